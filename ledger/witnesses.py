"""The log's side of witnessing (``c2sp.org/tlog-witness``): the witnesses a ledger submits its
checkpoints to, and the cosignatures they return.

``lokikirja witnesses add URL VKEY`` keeps a witness in the table ``witnesses`` (name and key from
its verifier key, type 0x04). After every signed checkpoint (``ingest``, ``checkpoint``, the HTTP
server's batches) :func:`submit` sends the latest checkpoint note to each witness with a
consistency proof from the largest tree that witness cosigned before (as the log's own table
records it; a ``409`` says the witness's size, and the request is made again from there). Each
returned cosignature is checked with the witness's key and kept in ``checkpoint_signatures``.

A witness that is down or refuses delays nothing: the outcome is reported and the next
submission (the next ingest or checkpoint) tries it again, from the latest checkpoint. Within
one long-running process a witness found unreachable is not asked again for
:data:`RETRY_AFTER_S` seconds.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ledger.checkpoints import checkpoint_note, consistency_proof, store_signatures
from ledger.errors import LedgerError, UsageError
from ledger.note import COSIGNATURE_V1, NoteError, Signature, SignedNote, VerifierKey, add_checkpoint_request
from ledger.seal import Seal
from ledger.store import Ledger

TIMEOUT_S = 5.0
RETRY_AFTER_S = 30.0
_UNREACHABLE_UNTIL: dict[tuple[str, str], float] = {}


@dataclass(frozen=True)
class WitnessConfig:
    key: VerifierKey
    url: str

    @property
    def name(self) -> str:
        return self.key.name


@dataclass(frozen=True)
class Outcome:
    """What one witness did with the latest checkpoint: ``cosigned`` (now or before),
    ``refused`` or ``unreachable``; ``tree_size``: the size it cosigned or says it holds."""

    witness: str
    key_id: str
    url: str
    status: str
    tree_size: int | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line for people: ``witness name+keyid: status (detail)``."""
        return f"witness {self.witness}+{self.key_id}: {self.status}" + (f" ({self.detail})" if self.detail else "")


def _table(ledger: Ledger) -> str:
    Seal(ledger)  # creates the integrity tables, the witnesses' among them, when missing
    return ledger.db.table("witnesses")


def configured(ledger: Ledger) -> list[WitnessConfig]:
    """The witnesses this ledger submits its checkpoints to, by name."""
    table = _table(ledger)
    with ledger.db.read() as cur:
        rows = cur.execute(f"SELECT vkey, url FROM {table} ORDER BY name").fetchall()
    return [WitnessConfig(VerifierKey.parse(v), u) for v, u in rows]


def add(ledger: Ledger, url: str, vkey: str) -> WitnessConfig:
    """Submit future checkpoints to the witness at ``url`` whose cosignatures ``vkey`` verifies."""
    try:
        key = VerifierKey.parse(vkey)
    except NoteError as e:
        raise UsageError(str(e)) from None
    if key.algorithm != COSIGNATURE_V1:
        raise UsageError("a witness's verifier key is of type 0x04 (Ed25519 cosignature/v1); "
                         "`lokikirja witness key` prints it")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{url!r} is not an http:// or https:// URL")
    table = _table(ledger)
    with ledger.db.write() as cur:
        cur.execute(f"INSERT INTO {table} (name, vkey, url, added_at) VALUES (%s, %s, %s, %s) ON CONFLICT (name) "
                    "DO UPDATE SET vkey = excluded.vkey, url = excluded.url",
                    (key.name, str(key), url.rstrip("/"), datetime.now(UTC).isoformat()))
    return WitnessConfig(key, url.rstrip("/"))


def remove(ledger: Ledger, name: str) -> bool:
    table = _table(ledger)
    with ledger.db.write() as cur:
        found = cur.execute(f"SELECT 1 FROM {table} WHERE name = %s", (name,)).fetchone() is not None
        cur.execute(f"DELETE FROM {table} WHERE name = %s", (name,))
    return found


def _cosigned_sizes(ledger: Ledger, key: VerifierKey) -> list[int]:
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        rows = cur.execute(f"SELECT tree_size FROM {seal.signatures} WHERE name = %s AND key_hash = %s "
                           "AND role = 'witness' ORDER BY tree_size", (key.name, key.key_hash)).fetchall()
    return [int(r[0]) for r in rows]


def submit(ledger: Ledger, *, force: bool = False, timeout: float = TIMEOUT_S) -> list[Outcome]:
    """Send the latest checkpoint to every configured witness (see the module docstring).
    ``force``: also ask witnesses found unreachable a moment ago."""
    witnesses = configured(ledger)
    if not witnesses:
        return []
    try:
        checkpoint, note = checkpoint_note(ledger)
    except UsageError:
        return []  # no checkpoint note yet
    outcomes = []
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        for w in witnesses:
            outcomes.append(_submit_one(ledger, client, w, checkpoint.tree_size, note, force))
    return outcomes


def _submit_one(ledger: Ledger, client: httpx.Client, w: WitnessConfig, size: int, note: SignedNote,
                force: bool) -> Outcome:
    def outcome(status: str, tree_size: int | None, detail: str) -> Outcome:
        return Outcome(w.name, w.key.key_id, w.url, status, tree_size, detail)

    sizes = _cosigned_sizes(ledger, w.key)
    if size in sizes:
        return outcome("cosigned", size, "cosigned before")
    mark = (ledger.target.display, w.name)
    if not force and _UNREACHABLE_UNTIL.get(mark, 0) > time.monotonic():
        return outcome("unreachable", None, "unreachable a moment ago; tried again later")
    old = max((s for s in sizes if s <= size), default=0)
    for _attempt in range(3):
        try:
            hexes = [] if old in (0, size) else consistency_proof(ledger, old, size)["proof"]
            proof = [bytes.fromhex(h) for h in hexes]
        except LedgerError as e:
            return outcome("refused", old, f"no consistency proof from size {old}: {e}")
        body = add_checkpoint_request(old, proof, note.encode())
        try:
            answer = client.post(f"{w.url}/add-checkpoint", content=body.encode())
        except httpx.HTTPError as e:
            _UNREACHABLE_UNTIL[mark] = time.monotonic() + RETRY_AFTER_S
            return outcome("unreachable", None, f"{type(e).__name__}: {e}".rstrip(": "))
        _UNREACHABLE_UNTIL.pop(mark, None)
        if answer.status_code == 409:
            try:
                theirs = int(answer.text.strip())
            except ValueError:
                return outcome("refused", None, f"409 without a size: {answer.text.strip()[:200]}")
            if theirs > size:
                return outcome("refused", theirs, (
                    f"the witness has cosigned a tree of {theirs} events but the log's latest checkpoint has {size}: "
                    "the log was rolled back (or another log signs under this origin)"))
            if theirs == old:
                return outcome("refused", theirs, "409 for the size the witness itself reported")
            old = theirs
            continue
        if answer.status_code != 200:
            first = answer.text.strip().splitlines()[0] if answer.text.strip() else ""
            return outcome("refused", None, f"HTTP {answer.status_code}: {first[:300]}")
        return _keep(ledger, w, size, note, answer.text, outcome)
    return outcome("refused", None, "the witness's size kept changing; try again")


def _keep(ledger: Ledger, w: WitnessConfig, size: int, note: SignedNote, text: str, outcome: Any) -> Outcome:
    """Check the returned cosignature lines with the witness's key and keep the valid ones."""
    try:
        lines = [Signature.parse(line) for line in text.splitlines(keepends=True) if line.strip()]
        verified = SignedNote(note.text, tuple(lines)).verify([w.key])
    except NoteError as e:
        return outcome("refused", None, f"its answer is not a valid cosignature: {e}")
    if not verified:
        return outcome("refused", None, "its answer holds no cosignature by its key")
    mine = [s for s in lines if (s.name, s.key_hash) == (w.key.name, w.key.key_hash)][:1]
    seal = Seal(ledger)
    origin = note.text.split("\n", 1)[0]
    with ledger.db.write() as cur:
        store_signatures(seal, cur, size, origin, mine, "witness")
    stamp = datetime.fromtimestamp(verified[0].timestamp, UTC).isoformat()
    return outcome("cosigned", size, f"cosigned at {stamp}")
