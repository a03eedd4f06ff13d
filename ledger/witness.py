"""A witness (``c2sp.org/tlog-witness``): the supervisor's own program, with its own key and its own
state, that cosigns a log's checkpoint only when it is consistent with every checkpoint it
cosigned for that log before.

A witness folder (``lokikirja witness init --dir DIR``) holds:

- ``witness.key``  the Ed25519 private key (raw 32 bytes, base64, mode 0600) of its cosignatures;
- ``witness.db``   its state, a SQLite file: the logs it follows (origin → the log's verifier keys),
  the latest checkpoint it cosigned for each, and every refused submission (evidence of a log's
  misbehaviour, e.g. a fork).

:meth:`Witness.add_checkpoint` answers ``POST /add-checkpoint`` with the spec's status codes:
200 and a ``cosignature/v1`` line; 400 malformed; 403 no valid signature of a trusted log key;
404 unknown origin; 409 the old size is not the witness's (body: its size); 422 the consistency
proof fails, or the old and new roots of one size differ. The check of the old size and the
update of the state are one ``BEGIN IMMEDIATE`` transaction, committed (``synchronous=FULL``)
before the cosignature is made: two requests never both pass, and a crash never leaves a
cosignature the state does not remember.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import merkle
from ledger.errors import NotInitialised, UsageError
from ledger.keys import _write_secret
from ledger.note import (
    COSIGNATURE_V1,
    ED25519,
    CheckpointText,
    NoteError,
    NoteSigner,
    SignedNote,
    VerifierKey,
    parse_add_checkpoint,
    valid_name,
)

KEY_FILE = "witness.key"
STATE_FILE = "witness.db"
CONFIG_FILE = "witness.json"
SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_BODY = 64 * 1024

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS logs (origin TEXT PRIMARY KEY, vkeys TEXT NOT NULL, added_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS latest (origin TEXT PRIMARY KEY, tree_size INTEGER NOT NULL, "
    "root_hash BLOB NOT NULL, note TEXT NOT NULL, cosigned_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS refused (at TEXT NOT NULL, origin TEXT, status INTEGER NOT NULL, "
    "reason TEXT NOT NULL, request TEXT NOT NULL)",
]


@dataclass(frozen=True)
class Answer:
    """An HTTP answer of the witness: status, body and its content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def origin_hash(origin: str) -> str:
    """The monitoring path's origin hash: SHA-256 of the origin, lowercase hex."""
    return hashlib.sha256(origin.encode()).hexdigest()


class Witness:
    """A witness's key and state in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        config = folder / CONFIG_FILE
        if not config.exists() or not (folder / KEY_FILE).exists():
            raise NotInitialised(f"no witness in {folder}; run `lokikirja witness init --dir {folder} --name NAME`")
        self.name = json.loads(config.read_text())["name"]
        raw = base64.b64decode((folder / KEY_FILE).read_text().strip(), validate=True)
        self.signer = NoteSigner(self.name, Ed25519PrivateKey.from_private_bytes(raw), COSIGNATURE_V1)
        with self._state() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    @classmethod
    def init(cls, folder: Path, name: str) -> Witness:
        """Create a witness (key, state) in ``folder``; an existing one is opened, never replaced."""
        if not valid_name(name):
            raise UsageError(f"{name!r} cannot name a witness: use a schema-less URL such as avi.fi/witness-1 "
                             "(no spaces, no '+')")
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = folder / CONFIG_FILE
        if config.exists():
            existing = json.loads(config.read_text())["name"]
            if existing != name:
                raise UsageError(f"{folder} already holds the witness {existing}")
        else:
            if not (folder / KEY_FILE).exists():
                _write_secret(folder / KEY_FILE, Ed25519PrivateKey.generate().private_bytes_raw())
            aside = folder / f".{CONFIG_FILE}.{os.getpid()}"
            aside.write_text(json.dumps({"name": name, "created": datetime.now(UTC).isoformat()}) + "\n")
            os.replace(aside, config)
        return cls(folder)

    @property
    def verifier(self) -> VerifierKey:
        return self.signer.verifier

    @contextmanager
    def _state(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.folder / STATE_FILE, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    # ------------------------------------------------------------------ configuration
    def trust_log(self, vkey: VerifierKey, origin: str | None = None) -> str:
        """Follow the log ``origin`` (default: the key's name), accepting checkpoints signed by ``vkey``."""
        if vkey.algorithm != ED25519:
            raise UsageError("a log's verifier key is of type 0x01 (Ed25519 note signatures)")
        origin = origin or vkey.name
        if vkey.name != origin:
            raise UsageError(f"the log key is named {vkey.name}, but the origin is {origin}: "
                             "a log signs under its origin")
        with self._state() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT vkeys FROM logs WHERE origin = ?", (origin,)).fetchone()
            keys = [] if row is None else row[0].split()
            if str(vkey) not in keys:
                keys.append(str(vkey))
            db.execute("INSERT INTO logs (origin, vkeys, added_at) VALUES (?, ?, ?) ON CONFLICT (origin) "
                       "DO UPDATE SET vkeys = excluded.vkeys", (origin, " ".join(keys), datetime.now(UTC).isoformat()))
            db.execute("COMMIT")
        return origin

    def logs(self) -> list[dict[str, object]]:
        """Each followed log: origin, its keys, and the latest size cosigned (0 before any)."""
        with self._state() as db:
            rows = db.execute("SELECT l.origin, l.vkeys, COALESCE(c.tree_size, 0), c.cosigned_at FROM logs l "
                              "LEFT JOIN latest c ON c.origin = l.origin ORDER BY l.origin").fetchall()
        return [{"origin": o, "log_keys": k.split(), "tree_size": n, "cosigned_at": t} for o, k, n, t in rows]

    def latest_note(self, hashed_origin: str) -> str | None:
        """The latest cosigned checkpoint of the log whose origin hashes to ``hashed_origin``."""
        with self._state() as db:
            for origin, note in db.execute("SELECT origin, note FROM latest"):
                if origin_hash(origin) == hashed_origin:
                    return str(note)
        return None

    # ------------------------------------------------------------------ the protocol
    def add_checkpoint(self, body: bytes) -> Answer:
        """``POST /add-checkpoint`` (see the module docstring)."""
        if len(body) > MAX_BODY:
            return Answer(400, "request too large\n")
        try:
            request = parse_add_checkpoint(body.decode("utf-8"))
            note = SignedNote.parse(request.note)
            checkpoint = CheckpointText.parse(note.text)
        except (UnicodeDecodeError, NoteError) as e:
            return Answer(400, f"malformed request: {e}\n")
        with self._state() as db:
            row = db.execute("SELECT vkeys FROM logs WHERE origin = ?", (checkpoint.origin,)).fetchone()
            if row is None:
                return Answer(404, f"unknown log origin {checkpoint.origin}\n")
            keys = [VerifierKey.parse(k) for k in row[0].split()]
            try:
                signed = note.verify(keys)
            except NoteError as e:
                return self._refuse(db, checkpoint.origin, 403, str(e), body)
            if not signed:
                return self._refuse(db, checkpoint.origin, 403, "no signature of a key trusted for this log", body)
            if request.old_size > checkpoint.tree_size:
                return self._refuse(db, checkpoint.origin, 400, "the old size is larger than the checkpoint's", body)
            db.execute("BEGIN IMMEDIATE")
            try:
                answer = self._check_and_store(db, request.old_size, request.proof, checkpoint, note)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if answer is not None:
                db.execute("ROLLBACK")
                if answer.status == 422:
                    return self._refuse(db, checkpoint.origin, 422, answer.body.strip(), body)
                return answer
            cosignature = self.signer.sign(note.text, timestamp=int(time.time()))
            db.execute("UPDATE latest SET note = ? WHERE origin = ?",
                       (note.with_signatures([cosignature]).encode(), checkpoint.origin))
            db.execute("COMMIT")  # persisted (synchronous=FULL) before the cosignature leaves
        return Answer(200, cosignature.line())

    def _check_and_store(self, db: sqlite3.Connection, old: int, proof: list[bytes], checkpoint: CheckpointText,
                         note: SignedNote) -> Answer | None:
        """Inside the transaction: ``None`` when consistent (the state is then updated), else the refusal."""
        row = db.execute("SELECT tree_size, root_hash FROM latest WHERE origin = ?", (checkpoint.origin,)).fetchone()
        size, root = (0, merkle.EMPTY_ROOT) if row is None else (int(row[0]), bytes(row[1]))
        if old != size:
            return Answer(409, f"{size}\n", SIZE_CONTENT_TYPE)
        if checkpoint.tree_size == 0 and checkpoint.root_hash != merkle.EMPTY_ROOT:
            return Answer(422, "a checkpoint of size 0 must have the empty tree's root\n")
        if old == 0:
            if proof:
                return Answer(422, "the consistency proof from size 0 must be empty\n")
        elif old == checkpoint.tree_size:
            if checkpoint.root_hash != root or proof:
                return Answer(422, f"the root of size {old} differs from the one cosigned before (a fork)\n")
        else:
            try:
                merkle.verify_consistency(old, checkpoint.tree_size, root, checkpoint.root_hash, proof)
            except merkle.ProofError as e:
                return Answer(422, f"the consistency proof from size {old} does not verify ({e}): "
                                   "the checkpoint is not an extension of the one cosigned before\n")
        db.execute("INSERT INTO latest (origin, tree_size, root_hash, note, cosigned_at) VALUES (?, ?, ?, ?, ?) "
                   "ON CONFLICT (origin) DO UPDATE SET tree_size = excluded.tree_size, "
                   "root_hash = excluded.root_hash, note = excluded.note, cosigned_at = excluded.cosigned_at",
                   (checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash, note.encode(), int(time.time())))
        return None

    def _refuse(self, db: sqlite3.Connection, origin: str, status: int, reason: str, body: bytes) -> Answer:
        """Keep a refused, validly addressed submission as evidence, and answer it."""
        db.execute("INSERT INTO refused (at, origin, status, reason, request) VALUES (?, ?, ?, ?, ?)",
                   (datetime.now(UTC).isoformat(), origin, status, reason, body.decode("utf-8", "replace")))
        return Answer(status, reason.rstrip("\n") + "\n")

    def refused(self) -> list[dict[str, object]]:
        with self._state() as db:
            rows = db.execute("SELECT at, origin, status, reason FROM refused ORDER BY rowid").fetchall()
        return [{"at": a, "origin": o, "status": s, "reason": r} for a, o, s, r in rows]
