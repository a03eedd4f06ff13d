"""Personal data at rest: per-subject data keys, field encryption, the HETU blind index.

- Each customer (and each user with a HETU) has a 256-bit data key, stored only wrapped
  (AES-256-GCM) under the master key in the ``data_keys`` table.
- Personal fields (``events.PERSONAL_FIELDS``) are stored as ``enc:v1:<base64(nonce‖ct‖tag)>``,
  AES-256-GCM under the subject's data key, bound by associated data to the event id and field.
- The blind index is HMAC-SHA-256 of the normalised HETU under the separate index key; look-ups
  by HETU compute it, they never decrypt.
- Erasure deletes the data key (crypto-shredding): ciphertext stays, and verifies, but no one can
  read it. Facts about an erased subject that arrive later are sealed under a throw-away key.
  ``ledger.erasure.scrub_key_store`` then makes the database drop the deleted bytes.
- Master key rotation (:func:`rotate_master_key`) re-wraps every data key under a new master
  key in one transaction; the log is never touched.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hmac
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.db import Cursor, Database
from ledger.errors import KeyMismatch, UsageError
from ledger.events import PERSONAL_FIELDS
from ledger.identifiers import normalise_hetu
from ledger.keys import ENV_NAMES, KEY_FILES, KeyRing, fsync_folder, key_id

if TYPE_CHECKING:
    from ledger.records import StoredFact
    from ledger.store import Ledger

ENC_PREFIX = "enc:v1:"
ERASED = "[erased]"


def blind_index(index_key: bytes, hetu: str) -> str:
    """The HMAC-SHA-256 blind index (the ring's index key) of a HETU (hex); equal HETUs give equal
    indexes."""
    return hmac.digest(index_key, b"hetu\x00" + normalise_hetu(hetu).encode(), "sha256").hex()


def fingerprint(index_key: bytes, canonical: bytes) -> str:
    """A keyed digest (the ring's index key) of a fact's contract content: same content, same
    fingerprint."""
    return hmac.digest(index_key, b"fact\x00" + canonical, "sha256").hex()


@functools.lru_cache(maxsize=8)
def _aead(key: bytes) -> AESGCM:
    """The AES-GCM cipher of a key. Building one costs as much as an encryption, and ingest uses
    each key two or three times in a row (HETU and name of one fact, the master key per subject);
    the cache is tiny, so a key leaves process memory soon after its last use."""
    return AESGCM(key)


def _wrap(master: bytes, subject: str, data_key: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + _aead(master).encrypt(nonce, data_key, b"lokikirja-dk\x00" + subject.encode())


def _unwrap(master: bytes, subject: str, wrapped: bytes) -> bytes:
    try:
        return _aead(master).decrypt(wrapped[:12], wrapped[12:], b"lokikirja-dk\x00" + subject.encode())
    except InvalidTag:
        raise KeyMismatch("a data key is not wrapped with this master key (was the master key rotated "
                          "while this process ran? reopen the ledger with the current key folder)") from None


def encrypt_field(data_key: bytes, event_id: str, name: str, value: str) -> str:
    """``enc:v1:base64(nonce ‖ ciphertext ‖ tag)``: AES-256-GCM, a fresh 96-bit nonce from the
    operating system's CSPRNG, bound to the fact and field by the associated data."""
    nonce = os.urandom(12)
    aad = f"{event_id}\x00{name}".encode()
    return ENC_PREFIX + base64.b64encode(nonce + _aead(data_key).encrypt(nonce, value.encode(), aad)).decode()


def decrypt_field(data_key: bytes | None, event_id: str, name: str, stored: str) -> str:
    """The clear value, or ``[erased]`` when the subject's key is gone."""
    if not stored.startswith(ENC_PREFIX):
        return stored
    if data_key is None:
        return ERASED
    blob = base64.b64decode(stored[len(ENC_PREFIX):])
    try:
        return AESGCM(data_key).decrypt(blob[:12], blob[12:], f"{event_id}\x00{name}".encode()).decode()
    except InvalidTag:
        return ERASED


class DataKeys:
    """The wrapped per-subject data keys, in the ledger's own database."""

    def __init__(self, db: Database, ring: KeyRing) -> None:
        self.db = db
        self.ring = ring
        self.table = db.table("data_keys")
        self.erased_table = db.table("erased")

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} (subject TEXT PRIMARY KEY, "
            f"wrapped {self.db.BLOB} NOT NULL, master_key_id TEXT NOT NULL, created_at TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.erased_table} (subject TEXT PRIMARY KEY, "
            "erased_at TEXT NOT NULL)",
        ]

    def _rows(self, cur: Cursor, table: str, columns: str, subjects: list[str]) -> Iterator[tuple[Any, ...]]:
        """Rows of ``table`` for ``subjects``: one ``= ANY(array)`` round trip on PostgreSQL,
        ``IN`` lists of 500 on SQLite."""
        for where, params in self.db.match_any("subject", subjects):
            yield from cur.execute(f"SELECT {columns} FROM {table} WHERE {where}", params)

    def _insert(self, cur: Cursor, rows: list[tuple[str, bytes, str, str]]) -> None:
        """Insert wrapped keys: binary ``COPY`` on PostgreSQL, one ``executemany`` on SQLite."""
        if not rows:
            return
        cur.insert_rows(self.table, rows, columns=("subject", "wrapped", "master_key_id", "created_at"),
                        types=("text", "bytea", "text", "text"))

    def for_writing(self, cur: Cursor, subjects: Iterable[str]) -> dict[str, bytes]:
        """Data keys of ``subjects``, creating missing ones inside the caller's transaction.
        An erased subject gets a throw-away key that is never stored."""
        wanted = sorted(set(subjects))
        if not wanted:
            return {}
        keys = self.for_reading(cur, wanted)
        erased = {r[0] for r in self._rows(cur, self.erased_table, "subject", wanted)}
        now = datetime.now(UTC).isoformat()
        fresh = []
        for subject in wanted:
            if keys.get(subject) is None:
                keys[subject] = os.urandom(32)
                if subject not in erased:
                    fresh.append((subject, _wrap(self.ring.master, subject, keys[subject]),
                                  self.ring.master_key_id, now))
        if fresh:
            self._check_master(cur)
        self._insert(cur, fresh)
        return {s: k for s, k in keys.items() if k is not None}

    def _check_master(self, cur: Cursor) -> None:
        """Refuse to wrap new keys under a master key the ledger no longer uses (a rotation
        committed while this process ran): such keys would be lost with the old master key."""
        current = cur.scalar(f"SELECT value FROM {self.db.table('meta')} WHERE name = 'master_key_id'")
        if current is not None and current != self.ring.master_key_id:
            raise KeyMismatch("the master key was rotated while this process ran; nothing was stored "
                              "(run the command again: it loads the current key)")

    def for_reading(self, cur: Cursor, subjects: Iterable[str]) -> dict[str, bytes | None]:
        """``{subject: data key}``, None where the subject has none (never had, or erased)."""
        wanted = sorted(set(subjects))
        out: dict[str, bytes | None] = dict.fromkeys(wanted)
        for subject, wrapped in list(self._rows(cur, self.table, "subject, wrapped", wanted)):
            out[subject] = _unwrap(self.ring.master, subject, bytes(wrapped))
        return out

    def states(self, cur: Cursor, subjects: Iterable[str]) -> dict[str, str]:
        """``{subject: "live" | "erased" | "unknown"}``: has a data key, had one destroyed, or
        never had one (the ledger holds no personal data of it)."""
        wanted = sorted(set(subjects))
        out = dict.fromkeys(wanted, "unknown")
        for table, state in ((self.erased_table, "erased"), (self.table, "live")):
            for (subject,) in list(self._rows(cur, table, "subject", wanted)):
                out[subject] = state
        return out

    def destroy(self, cur: Cursor, subject: str, erasure_event: str) -> bool:
        """Delete ``subject``'s data key for good, in the transaction that logged its
        ``subject.erased`` (``erasure_event``, its id); True when one existed. On SQLite the deleted
        bytes are overwritten with zeros (``secure_delete``); see ``ledger.erasure.scrub_key_store``."""
        existed = cur.scalar(f"SELECT COUNT(*) FROM {self.table} WHERE subject = %s", (subject,))
        self.db.mark_erasure(cur, erasure_event)
        cur.execute(f"DELETE FROM {self.table} WHERE subject = %s", (subject,))
        cur.execute(
            f"INSERT INTO {self.erased_table} VALUES (%s, %s) ON CONFLICT (subject) DO NOTHING",
            (subject, datetime.now(UTC).isoformat()),
        )
        return bool(existed)

    def rewrap_all(self, cur: Cursor, new_master: bytes, new_master_id: str) -> int:
        """Re-wrap every data key under ``new_master``; the log is not touched."""
        rows = cur.execute(f"SELECT subject, wrapped FROM {self.table}").fetchall()
        updated = [
            (_wrap(new_master, s, _unwrap(self.ring.master, s, bytes(w))), new_master_id, s)
            for s, w in rows
        ]
        cur.executemany(
            f"UPDATE {self.table} SET wrapped = %s, master_key_id = %s WHERE subject = %s", updated
        )
        return len(updated)


def personal_subject(type_name: str, data: dict[str, object]) -> str | None:
    """Whose data key protects the personal fields of a fact of this type (None: no personal data)."""
    if type_name not in PERSONAL_FIELDS:
        return None
    subject = data.get("customer") or data.get("user")
    return subject if isinstance(subject, str) else None


def reveal(type_name: str, event_id: str, data: dict[str, object], keys: dict[str, bytes | None]) -> dict[str, object]:
    """The contract data of a stored fact with personal fields decrypted (``[erased]`` when shredded).
    ``keys`` maps subjects to data keys as returned by :meth:`DataKeys.for_reading`."""
    subject = personal_subject(type_name, data)
    if subject is None:
        return dict(data)
    out = dict(data)
    for name in PERSONAL_FIELDS[type_name]:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = decrypt_field(keys.get(subject), event_id, name, value)
    return out


# --------------------------------------------------------------------------- master key rotation

PENDING_MASTER = "master.key.pending"


def _write_durably(path: Path, material: bytes) -> None:
    """Write a key file (0600) and make it durable before anything relies on it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.b64encode(material) + b"\n")
        f.flush()
        os.fsync(f.fileno())
    fsync_folder(path.parent)


def rotate_master_key(ledger: Ledger) -> dict[str, object]:
    """Re-wrap every data key under a fresh master key and replace ``master.key``.

    Order (crash-safe): the new key is written durably to ``master.key.pending``; one transaction
    (the append lock, so no ingest interleaves) re-wraps every data key and records the new
    ``master_key_id`` in the meta table; only then ``master.key.pending`` atomically replaces
    ``master.key``, which removes the old key. A crash after the commit is completed by
    :func:`finish_rotation`. The log is not touched.
    """
    ring = ledger.keys
    if os.environ.get(ENV_NAMES["master"]) or ring.folder is None:
        raise UsageError(f"the master key comes from {ENV_NAMES['master']}: rotate it where it is kept, "
                         "or unset it to rotate the key folder's master.key")
    folder = ring.folder
    new_ring = dataclasses.replace(ring, master=secrets.token_bytes(32))
    pending = folder / PENDING_MASTER
    pending.unlink(missing_ok=True)
    _write_durably(pending, new_ring.master)
    try:
        with ledger.appending() as tx:
            count = DataKeys(ledger.db, ring).rewrap_all(tx.cur, new_ring.master, new_ring.master_key_id)
            ledger.set_meta({"master_key_id": new_ring.master_key_id,
                             "master_key_rotated_at": datetime.now(UTC).isoformat()}, tx.cur)
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    os.replace(pending, folder / KEY_FILES["master"])
    fsync_folder(folder)
    return {"master_key_id": new_ring.master_key_id, "previous_master_key_id": ring.master_key_id,
            "rewrapped": count}


def finish_rotation(folder: Path, meta_master_key_id: str) -> str | None:
    """Complete or discard a rotation that stopped half-way; returns what was done, if anything.

    ``master.key.pending`` whose id the meta table already names: the transaction committed,
    so it becomes ``master.key``. Any other pending key: the transaction never committed, so it
    is deleted and the old key stays in force.
    """
    pending = folder / PENDING_MASTER
    if not pending.exists():
        return None
    material = base64.b64decode(pending.read_text().strip())
    if key_id(b"master:" + material) == meta_master_key_id:
        os.replace(pending, folder / KEY_FILES["master"])
        fsync_folder(folder)
        return "completed"
    pending.unlink()
    return "discarded"


def contract_json(ledger: Ledger, facts: Sequence[StoredFact]) -> list[dict[str, Any]]:
    """The contract JSON of stored facts, personal fields decrypted where the keys still exist."""
    subjects = {s for f in facts if (s := personal_subject(f.type, f.data))}
    with ledger.db.read() as cur:
        keys = ledger.data_keys.for_reading(cur, subjects) if subjects else {}
    return [{"id": str(f.id), "type": f.type, "at": f.at_text, "actor": f.actor,
             "data": reveal(f.type, str(f.id), f.data, keys)} for f in facts]
