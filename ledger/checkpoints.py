"""Signed checkpoints (tree heads) of the Merkle seal, and the proofs served against them.

A checkpoint is ``{"tree_size", "root_hash", "timestamp", "key_id", "signature"}`` (CONTRACT §7):
``root_hash`` hex, ``signature`` base64 of an Ed25519 signature (RFC 8032) over these ASCII bytes,
each line ending in ``\\n``::

    lokikirja-checkpoint/v1
    tree_size=<decimal, no leading zeros>
    root_hash=<64 lowercase hex digits>
    timestamp=<the JSON timestamp string exactly, e.g. 2026-11-30T12:00:00.123456+00:00>
    key_id=<the JSON key_id: the first 16 hex digits of SHA-256 of the raw 32-byte public key>

Each checkpoint is also a C2SP signed note (``c2sp.org/tlog-checkpoint``, ``ledger/note.py``): the
text ``<origin>\n<tree size>\n<base64 root>\n`` signed by the same Ed25519 key under the log's
origin (``init --origin``; the two signed messages cannot be confused: an origin never is
``lokikirja-checkpoint/v1``). Its signature lines — the log's and the witnesses' cosignatures —
are kept in ``checkpoint_signatures``; :func:`checkpoint_note` puts the note together.

A checkpoint is signed when the tree has grown since the latest one; when it has not, the latest
is the checkpoint of the current tree and is returned as it is (its timestamp says when that tree
head was first signed). Every checkpoint is kept (table ``checkpoints``, append-only).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger import merkle, subject_index
from ledger.db import Cursor
from ledger.errors import IntegrityFailure, LedgerError, UnknownSubject, UsageError
from ledger.keys import key_id as key_id_of
from ledger.note import ED25519, CheckpointText, NoteSigner, Signature, SignedNote, VerifierKey, valid_name
from ledger.seal import Seal, leaf_bytes, seal_catch_up
from ledger.store import Ledger

CHECKPOINT_TAG = "lokikirja-checkpoint/v1"
DEFAULT_ORIGIN_HOST = "lokikirja.invalid"


def signed_bytes(tree_size: int, root_hash: bytes, timestamp: str, key_id: str) -> bytes:
    """The canonical bytes a checkpoint's signature covers (see the module docstring)."""
    text = (f"{CHECKPOINT_TAG}\ntree_size={tree_size}\nroot_hash={root_hash.hex()}\n"
            f"timestamp={timestamp}\nkey_id={key_id}\n")
    return text.encode("ascii")


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head."""

    tree_size: int
    root_hash: bytes
    timestamp: str
    key_id: str
    signature: bytes

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.tree_size, self.root_hash, self.timestamp, self.key_id)

    def to_json(self) -> dict[str, Any]:
        return {"tree_size": self.tree_size, "root_hash": self.root_hash.hex(), "timestamp": self.timestamp,
                "key_id": self.key_id, "signature": base64.b64encode(self.signature).decode()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Checkpoint:
        try:
            return cls(int(doc["tree_size"]), bytes.fromhex(doc["root_hash"]), str(doc["timestamp"]),
                       str(doc["key_id"]), base64.b64decode(doc["signature"], validate=True))
        except (KeyError, TypeError, ValueError, binascii.Error) as e:
            raise UsageError(f"not a Lokikirja checkpoint: {e}") from None

    def verifies_with(self, public_key: bytes) -> bool:
        """Whether the signature is valid for ``public_key`` (raw 32 bytes) and names its key id."""
        if self.key_id != key_id_of(public_key):
            return False
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(self.signature, self.signed_bytes())
        except (InvalidSignature, ValueError):
            return False
        return True


_COLUMNS = "tree_size, root_hash, timestamp, key_id, signature"


def _row(r: Sequence[Any]) -> Checkpoint:
    tree_size, root_hash, timestamp, key_id, signature = r
    return Checkpoint(int(tree_size), bytes(root_hash), timestamp, key_id, bytes(signature))


def stored_checkpoints(seal: Seal, cur: Cursor) -> list[Checkpoint]:
    """Every stored checkpoint, by tree size."""
    return [_row(r) for r in cur.execute(f"SELECT {_COLUMNS} FROM {seal.checkpoints} ORDER BY tree_size")]


def _latest(seal: Seal, cur: Cursor) -> Checkpoint | None:
    row = cur.execute(f"SELECT {_COLUMNS} FROM {seal.checkpoints} ORDER BY tree_size DESC LIMIT 1").fetchone()
    return None if row is None else _row(row)


def latest_checkpoint(ledger: Ledger) -> Checkpoint | None:
    """The checkpoint with the largest tree size, or ``None`` before the first."""
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        return _latest(seal, cur)


def public_key(ledger: Ledger) -> tuple[str, bytes]:
    """``(key id, raw Ed25519 public key)`` of the ledger, from its meta table (no private key)."""
    meta = ledger.meta()
    return meta["signing_key_id"], base64.b64decode(meta["signing_public_key"])


PENDING_SIGNING = "signing.key.pending"
NEXT_SIGNING = "signing.key.next"


def prepare_signing_key(ledger: Ledger) -> str:
    """Make (once) the log's next signing key, ``signing.key.next``, and return its verifier key —
    to hand to the witnesses and verifiers *before* :func:`rotate_signing_key` puts it in use."""
    from ledger.keys import _write_secret

    folder = _key_folder(ledger)
    path = folder / NEXT_SIGNING
    if not path.exists():
        _write_secret(path, Ed25519PrivateKey.generate().private_bytes_raw())
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_text().strip()))
    return str(VerifierKey(log_origin(ledger), ED25519, private.public_key().public_bytes_raw()))


def _key_folder(ledger: Ledger) -> Path:
    from ledger.keys import ENV_NAMES

    if os.environ.get(ENV_NAMES["signing"]):
        raise UsageError("the signing key comes from LOKIKIRJA_SIGNING_KEY: replace it there, not with this command")
    if ledger.keys.folder is None:
        raise UsageError("the ledger's keys were not loaded from a folder")
    return ledger.keys.folder


def previous_public_keys(ledger: Ledger) -> list[tuple[str, bytes]]:
    """``(key id, raw public key)`` of the log's signing keys before rotations, oldest first."""
    raw = ledger.meta().get("previous_signing_keys")
    return [(k["key_id"], base64.b64decode(k["public_key"])) for k in (json.loads(raw) if raw else [])]


def finish_signing_rotation(folder: Path, meta: dict[str, str]) -> str | None:
    """Complete or discard a signing-key rotation that stopped half-way (see :func:`rotate_signing_key`)."""
    pending = folder / PENDING_SIGNING
    if not pending.exists():
        return None
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(pending.read_text().strip()))
    if key_id_of(private.public_key().public_bytes_raw()) == meta["signing_key_id"]:
        os.replace(pending, folder / "signing.key")
        return "completed"
    pending.unlink()
    return "discarded"


def rotate_signing_key(ledger: Ledger) -> dict[str, Any]:
    """Replace the log's signing key by the prepared one (:func:`prepare_signing_key`; else a new
    one). The current tree is signed with the old key first; the new key is written aside, the
    meta table names it (and keeps the old public key) in one transaction, then the new key
    replaces ``signing.key`` — the old private key is gone. Old checkpoints keep their old
    signatures; verifiers pin both keys across the change."""
    from ledger.keys import _write_secret

    folder = _key_folder(ledger)
    sign_checkpoint(ledger)
    meta = ledger.meta()
    origin, old_id, old_public = log_origin(ledger), meta["signing_key_id"], meta["signing_public_key"]
    prepared = folder / NEXT_SIGNING
    new = (Ed25519PrivateKey.from_private_bytes(base64.b64decode(prepared.read_text().strip()))
           if prepared.exists() else Ed25519PrivateKey.generate())
    new_public = new.public_key().public_bytes_raw()
    pending = folder / PENDING_SIGNING
    pending.unlink(missing_ok=True)
    _write_secret(pending, new.private_bytes_raw())
    previous = [*json.loads(meta.get("previous_signing_keys") or "[]"),
                {"key_id": old_id, "public_key": old_public, "retired_at": datetime.now(UTC).isoformat()}]
    ledger.set_meta({"origin": origin, "signing_key_id": key_id_of(new_public),
                     "signing_public_key": base64.b64encode(new_public).decode(),
                     "previous_signing_keys": json.dumps(previous)})
    finish_signing_rotation(folder, ledger.meta())
    prepared.unlink(missing_ok=True)
    return {"origin": origin, "signing_key_id": key_id_of(new_public), "previous_signing_key_id": old_id,
            "vkey": str(VerifierKey(origin, ED25519, new_public))}


def log_positions(ledger: Ledger, notification_ids: Sequence[int]) -> dict[int, int]:
    """``{notification id: position}`` of sealed events: the position every output names (CONTRACT
    §7: 0-based, the log's total order, which is the leaf index), not eventsourcing's notification
    id (from 1, with gaps on PostgreSQL). Unsealed events are left out."""
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        return {p: leaf.leaf_index for p, leaf in seal.leaves_at(cur, list(notification_ids)).items()}


def check_origin(origin: str) -> str:
    """``origin`` if it can be a log's origin and key name (c2sp.org/tlog-checkpoint), else a UsageError."""
    if not valid_name(origin) or origin == CHECKPOINT_TAG or len(origin) > 200:
        raise UsageError(f"{origin!r} cannot be a log origin: use a schema-less URL such as "
                         "lokikirja.example.fi/area-helsinki (no spaces, no '+', at most 200 characters)")
    return origin


_ORIGINS: weakref.WeakKeyDictionary[Ledger, str] = weakref.WeakKeyDictionary()


def log_origin(ledger: Ledger) -> str:
    """The log's origin: the checkpoint notes' first line and the name of the log's key. Set by
    ``init --origin``; a store made before origins existed uses ``lokikirja.invalid/<key id>``
    (fixed in the meta table at the first signing-key rotation). Read once per open ledger."""
    if ledger not in _ORIGINS:
        meta = ledger.meta()
        _ORIGINS[ledger] = meta.get("origin") or f"{DEFAULT_ORIGIN_HOST}/{meta['signing_key_id']}"
    return _ORIGINS[ledger]


def log_verifier(ledger: Ledger) -> VerifierKey:
    """The log's verifier key (``name+hexid+base64(0x01 ‖ key)``), from the meta table."""
    _kid, key = public_key(ledger)
    return VerifierKey(log_origin(ledger), ED25519, key)


def _signature_rows(seal: Seal, cur: Cursor, sizes: Sequence[int]) -> dict[int, list[tuple[str, Signature, str]]]:
    """``{tree size: [(origin, signature, role)]}`` of the stored note signatures, the log's first."""
    out: dict[int, list[tuple[str, Signature, str]]] = {}
    if not sizes:
        return out
    marks, params = seal.db.in_list(list(sizes))
    rows = cur.execute(f"SELECT tree_size, origin, name, key_hash, signature, role FROM {seal.signatures} "
                       f"WHERE tree_size IN {marks} ORDER BY tree_size, role, name, key_hash", params).fetchall()
    for size, origin, name, khash, sig, role in rows:
        out.setdefault(int(size), []).append((origin, Signature(name, int(khash), bytes(sig)), role))
    return out


def note_of(checkpoint: Checkpoint, rows: Sequence[tuple[str, Signature, str]]) -> SignedNote | None:
    """The C2SP note of ``checkpoint`` with the stored signature lines (``None`` without the log's own)."""
    logs = [(o, s) for o, s, role in rows if role == "log"]
    if not logs:
        return None
    origin = logs[0][0]
    text = CheckpointText(origin, checkpoint.tree_size, checkpoint.root_hash).text()
    same = [s for o, s, _role in rows if o == origin]
    return SignedNote(text, tuple(same))


def checkpoint_note(ledger: Ledger, tree_size: int | None = None) -> tuple[Checkpoint, SignedNote]:
    """The checkpoint of ``tree_size`` (default: the latest) as a signed note with every stored
    signature: the log's, then each witness's cosignature."""
    checkpoint, note = checkpoint_at(ledger, tree_size)
    if note is None:
        raise UsageError(f"the checkpoint of tree size {checkpoint.tree_size} was signed before checkpoints were "
                         "C2SP notes; run `lokikirja checkpoint` to sign the current tree as a note")
    return checkpoint, note


def checkpoint_at(ledger: Ledger, tree_size: int | None = None) -> tuple[Checkpoint, SignedNote | None]:
    """The checkpoint of ``tree_size`` (default: the latest) and its note, if it was signed as one."""
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        if tree_size is None:
            checkpoint = _latest(seal, cur)
        else:
            row = cur.execute(f"SELECT {_COLUMNS} FROM {seal.checkpoints} WHERE tree_size = %s",
                              (tree_size,)).fetchone()
            checkpoint = None if row is None else _row(row)
        if checkpoint is None:
            raise UsageError("there is no checkpoint yet; run `lokikirja checkpoint` first" if tree_size is None
                             else f"there is no checkpoint of tree size {tree_size}")
        note = note_of(checkpoint, _signature_rows(seal, cur, [checkpoint.tree_size]).get(checkpoint.tree_size, []))
    return checkpoint, note


def notes_by_size(ledger: Ledger, cur: Cursor, checkpoints: Sequence[Checkpoint]) -> dict[int, SignedNote]:
    """The stored notes of ``checkpoints`` (those signed as notes), by tree size."""
    seal = Seal(ledger, create=False)
    rows = _signature_rows(seal, cur, [c.tree_size for c in checkpoints])
    out = {}
    for c in checkpoints:
        note = note_of(c, rows.get(c.tree_size, []))
        if note is not None:
            out[c.tree_size] = note
    return out


def store_signatures(seal: Seal, cur: Cursor, tree_size: int, origin: str, signatures: Sequence[Signature],
                     role: str) -> None:
    """Keep note signature lines of the checkpoint of ``tree_size`` (a line already kept is skipped)."""
    cur.executemany(f"INSERT INTO {seal.signatures} (tree_size, origin, name, key_hash, signature, role) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (tree_size, name, key_hash) DO NOTHING",
                    [(tree_size, origin, s.name, s.key_hash, s.signature, role) for s in signatures])


def _sign_note(ledger: Ledger, seal: Seal, cur: Cursor, checkpoint: Checkpoint) -> None:
    """Sign ``checkpoint`` as a C2SP note with the log's key, unless that is done already."""
    origin = log_origin(ledger)
    signer = NoteSigner(origin, ledger.keys.signing)
    text = CheckpointText(origin, checkpoint.tree_size, checkpoint.root_hash).text()
    store_signatures(seal, cur, checkpoint.tree_size, origin, [signer.sign(text)], "log")


def sign_checkpoint(ledger: Ledger, *, min_interval: float = 0.0, covering: int | None = None) -> dict[str, Any]:
    """Seal everything appended so far and return the checkpoint of the sealed tree: a new one
    signed with the ledger's key when the tree grew since the latest, else the latest.

    ``min_interval`` (seconds): sign only when the latest checkpoint is at least that old — for
    callers that append single facts at a high rate (a checkpoint per fact would make ``verify``
    check a signature per fact); the latest is returned meanwhile, and the newer events stay
    sealed but not yet covered. ``covering`` (a log position): sign only when the latest
    checkpoint does not cover the event at that position — for a reader who needs proofs of
    events up to there (a dossier), not of the query it has just recorded."""
    seal_catch_up(ledger)
    seal = Seal(ledger, create=False)
    if _grows(ledger, seal, min_interval, covering):
        subject_index.SubjectIndex(ledger).take_in()  # the index keeps up with every tree signed
    with ledger.db.write() as cur:
        ledger.db.lock(cur, seal.checkpoints)
        size, _ = seal.head(cur)
        latest = _latest(seal, cur)
        if latest is not None and covering is not None:
            leaf = seal.leaves_at(cur, [covering]).get(covering)
            if leaf is not None and leaf.leaf_index < latest.tree_size:
                _sign_note(ledger, seal, cur, latest)
                return latest.to_json()
        if latest is not None and (latest.tree_size >= size or _younger_than(latest, min_interval)):
            if latest.tree_size > size:
                raise IntegrityFailure(f"the latest checkpoint covers {latest.tree_size} events but the seal "
                                       f"holds {size}; run `lokikirja verify`")
            _sign_note(ledger, seal, cur, latest)
            return latest.to_json()
        root = merkle.root(seal.source(cur), size)
        keys = ledger.keys
        stamp = datetime.now(UTC).isoformat(timespec="microseconds")
        body = signed_bytes(size, root, stamp, keys.signing_key_id)
        made = Checkpoint(size, root, stamp, keys.signing_key_id, keys.signing.sign(body))
        cur.execute(f"INSERT INTO {seal.checkpoints} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
                    (made.tree_size, made.root_hash, made.timestamp, made.key_id, made.signature))
        _sign_note(ledger, seal, cur, made)
    return made.to_json()


def _grows(ledger: Ledger, seal: Seal, min_interval: float, covering: int | None) -> bool:
    """Whether :func:`sign_checkpoint` may sign a new tree (then the subject index takes in the
    leaves first): the sealed tree grew since the latest checkpoint, which is old enough or does
    not cover ``covering``, or the index lags behind the seal."""
    index = subject_index.SubjectIndex(ledger)  # its tables made before the read (a SQLite read sees no later DDL)
    with ledger.db.read() as cur:
        size, _ = seal.head(cur)
        latest = _latest(seal, cur)
        if latest is None:
            return size > 0
        if covering is not None:
            leaf = seal.leaves_at(cur, [covering]).get(covering)
            if leaf is not None and leaf.leaf_index < latest.tree_size:
                return False
        if covering is None and _younger_than(latest, min_interval):
            return False
        return size > latest.tree_size or index.state(cur).tree_size < size


def commit_subject_index(ledger: Ledger) -> dict[str, Any]:
    """Bring the subject index's root into the log (``ledger.index_committed``, when the log does
    not hold the current root yet) and sign a checkpoint covering it; returns that checkpoint.
    Called before a subject's completeness is proven (reports, bundles)."""
    seal_catch_up(ledger)
    index = subject_index.SubjectIndex(ledger)
    index.take_in()
    index.append_root()
    with ledger.db.read() as cur:
        appended = index.state(cur).appended_position
    return sign_checkpoint(ledger, covering=appended or None)


def _younger_than(checkpoint: Checkpoint, seconds: float) -> bool:
    if seconds <= 0:
        return False
    try:
        signed_at = datetime.fromisoformat(checkpoint.timestamp)
    except ValueError:
        return False
    return (datetime.now(UTC) - signed_at).total_seconds() < seconds


# ---------------------------------------------------------------------- proofs


def _tree_size(seal: Seal, cur: Cursor, tree_size: int | None) -> tuple[int, Checkpoint | None]:
    """The tree a proof is made against: ``tree_size``, else the latest checkpoint's."""
    sealed, _ = seal.head(cur)
    latest = _latest(seal, cur)
    if tree_size is None:
        if latest is None:
            raise UsageError("there is no checkpoint yet; run `lokikirja checkpoint` first")
        tree_size = latest.tree_size
    if not 1 <= tree_size <= sealed:
        raise UsageError(f"the tree size must be between 1 and {sealed} (the events sealed so far)")
    return tree_size, latest if latest is not None and latest.tree_size == tree_size else None


def _sealed_events(seal: Seal, cur: Cursor, ids: Sequence[UUID],
                   unproven: dict[UUID, str] | None = None) -> dict[UUID, tuple[int, int, bytes, bytes]]:
    """``{id: (leaf index, position, leaf bytes, sealed leaf hash)}``; unknown ids raise, and so do
    unsealed ones and those no longer matching their seal — unless ``unproven`` collects them, with why."""
    stored = seal.event_rows(cur, ids)
    sealed = seal.leaves_at(cur, [position for position, _ in stored.values()])
    out: dict[UUID, tuple[int, int, bytes, bytes]] = {}
    for uid in ids:
        if uid not in stored:
            raise UnknownSubject(f"no event with id {uid} in the ledger")
        position, state = stored[uid]
        problem: LedgerError | None = None
        if position not in sealed:
            problem = UsageError(f"event {uid} is not sealed yet; run `lokikirja checkpoint` first")
        else:
            index, digest = sealed[position].leaf_index, sealed[position].hash
            leaf = leaf_bytes(index, position, state)
            if sealed[position].event != uid.bytes or merkle.leaf_hash(leaf) != digest:
                problem = IntegrityFailure(f"the stored event {uid} no longer matches its seal (position {index}); "
                                           "run `lokikirja verify`")
        if problem is None:
            out[uid] = (index, position, leaf, digest)
        elif unproven is None:
            raise problem
        else:
            unproven[uid] = str(problem)
    return out


def inclusion_proofs(ledger: Ledger, event_ids: Sequence[UUID], tree_size: int | None = None, *,
                     unproven: dict[UUID, str] | None = None) -> dict[UUID, dict[str, Any]]:
    """RFC 6962 inclusion proofs (CONTRACT §7) of events, against ``tree_size`` (default: the
    latest checkpoint's). Nodes shared by the proofs are read once. An event that cannot be proven
    raises — or, with ``unproven``, is left out and noted there with the reason."""
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        size, checkpoint = _tree_size(seal, cur, tree_size)
        events = _sealed_events(seal, cur, event_ids, unproven)
        for uid, (index, *_rest) in list(events.items()):
            if index >= size:
                problem = (f"event {uid} (leaf {index}) is not in the tree of size {size}; "
                           "run `lokikirja checkpoint` for a newer one")
                if unproven is None:
                    raise UsageError(problem)
                unproven[uid] = problem
                del events[uid]
        by_leaf = merkle.batch_inclusion_ranges([e[0] for e in events.values()], size)
        ranges = {(0, size)}.union(*by_leaf.values())
        nodes = {r: merkle.range_nodes(*r) for r in ranges}
        known = seal.source(cur).node_hashes({n for ns in nodes.values() for n in ns})
    hashed = {r: merkle.fold([known[n] for n in ns]) for r, ns in nodes.items()}  # nearby leaves share paths
    paths = {uid: by_leaf[e[0]] for uid, e in events.items()}
    root = hashed[(0, size)]
    if checkpoint is not None and checkpoint.root_hash != root:
        raise IntegrityFailure(f"the seal's root at tree size {size} is not the signed one; run `lokikirja verify`")
    out: dict[UUID, dict[str, Any]] = {}
    for uid, (index, _position, leaf, digest) in events.items():
        path = [hashed[r] for r in paths[uid]]
        if len(events) == 1:  # a batch is covered by the root check above; one proof is re-checked whole
            with _refusing_bad_proofs():
                merkle.verify_inclusion(index, size, digest, path, root)
        out[uid] = {"leaf_index": index, "tree_size": size, "leaf": base64.b64encode(leaf).decode(),
                    "leaf_hash": digest.hex(), "audit_path": [h.hex() for h in path], "root_hash": root.hex()}
    return out


@contextmanager
def _refusing_bad_proofs() -> Iterator[None]:
    """A stored node altered after sealing would give a proof no verifier accepts: refuse it."""
    try:
        yield
    except merkle.ProofError:
        raise IntegrityFailure("the seal's stored nodes do not yield a valid proof (the seal tables were "
                               "altered); run `lokikirja verify`") from None


def inclusion_proof(ledger: Ledger, event_id: UUID, tree_size: int | None = None) -> dict[str, Any]:
    """The inclusion proof of one event (see :func:`inclusion_proofs`)."""
    return inclusion_proofs(ledger, [event_id], tree_size)[event_id]


def consistency_proof(ledger: Ledger, first: int, second: int) -> dict[str, Any]:
    """The RFC 6962 consistency proof (CONTRACT §7) that the tree of ``first`` events is a
    prefix of the tree of ``second`` events (1 ≤ first ≤ second ≤ events sealed)."""
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        sealed, _ = seal.head(cur)
        if not 1 <= first <= second <= sealed:
            raise UsageError(f"the sizes must satisfy 1 ≤ OLD_SIZE ≤ NEW_SIZE ≤ {sealed} (the events sealed so far)")
        ranges = {(0, first), (0, second), *merkle.consistency_ranges(first, second)}
        known = seal.source(cur).node_hashes({n for a, b in ranges for n in merkle.range_nodes(a, b)})
        signed = {c.tree_size: c.root_hash for c in _checkpoints_of_sizes(seal, cur, (first, second))}
    roots = {n: merkle.range_hash(0, n, known) for n in (first, second)}
    if any(signed.get(n, r) != r for n, r in roots.items()):
        raise IntegrityFailure("the seal's root differs from the signed checkpoint of that size; "
                               "run `lokikirja verify`")
    proof = [merkle.range_hash(a, b, known) for a, b in merkle.consistency_ranges(first, second)]
    with _refusing_bad_proofs():
        merkle.verify_consistency(first, second, roots[first], roots[second], proof)
    return {"first_size": first, "second_size": second, "first_root": roots[first].hex(),
            "second_root": roots[second].hex(), "proof": [h.hex() for h in proof]}


def _checkpoints_of_sizes(seal: Seal, cur: Cursor, sizes: Sequence[int]) -> list[Checkpoint]:
    marks, params = seal.db.in_list(list(sizes))
    return [_row(r) for r in cur.execute(f"SELECT {_COLUMNS} FROM {seal.checkpoints} WHERE tree_size IN {marks}",
                                         params)]
