"""Personal data at rest: per-subject data keys, field encryption, the HETU blind index.

- Each customer (and each user with a HETU) has a 256-bit data key, stored only wrapped
  (AES-256-GCM) under the master key in the ``data_keys`` table.
- Personal fields (``events.PERSONAL_FIELDS``) are stored as ``enc:v1:<base64(nonce‖ct‖tag)>``,
  AES-256-GCM under the subject's data key, bound by associated data to the event id and field.
- The blind index is HMAC-SHA-256 of the normalised HETU under the separate index key; look-ups
  by HETU compute it, they never decrypt.
- Erasure deletes the data key (crypto-shredding): ciphertext stays, and verifies, but no one can
  read it. Facts about an erased subject that arrive later are sealed under a throw-away key.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.db import Cursor, Database
from ledger.events import PERSONAL_FIELDS
from ledger.identifiers import normalise_hetu
from ledger.keys import KeyRing

ENC_PREFIX = "enc:v1:"
ERASED = "[erased]"


def blind_index(ring: KeyRing, hetu: str) -> str:
    """The HMAC-SHA-256 blind index of a HETU (hex); equal HETUs give equal indexes."""
    return hmac.digest(ring.index, b"hetu\x00" + normalise_hetu(hetu).encode(), "sha256").hex()


def fingerprint(ring: KeyRing, canonical: bytes) -> str:
    """A keyed digest of a fact's contract content: same content, same fingerprint."""
    return hmac.digest(ring.index, b"fact\x00" + canonical, "sha256").hex()


def _wrap(master: bytes, subject: str, data_key: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(master).encrypt(nonce, data_key, b"lokikirja-dk\x00" + subject.encode())


def _unwrap(master: bytes, subject: str, wrapped: bytes) -> bytes:
    return AESGCM(master).decrypt(wrapped[:12], wrapped[12:], b"lokikirja-dk\x00" + subject.encode())


def encrypt_field(data_key: bytes, event_id: str, name: str, value: str) -> str:
    nonce = secrets.token_bytes(12)
    aad = f"{event_id}\x00{name}".encode()
    return ENC_PREFIX + base64.b64encode(nonce + AESGCM(data_key).encrypt(nonce, value.encode(), aad)).decode()


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

    def for_writing(self, cur: Cursor, subjects: Iterable[str]) -> dict[str, bytes]:
        """Data keys of ``subjects``, creating missing ones inside the caller's transaction.
        An erased subject gets a throw-away key that is never stored."""
        wanted = sorted(set(subjects))
        if not wanted:
            return {}
        keys = self.for_reading(cur, wanted)
        marks, params = self.db.in_list(wanted)
        erased = {r[0] for r in cur.execute(
            f"SELECT subject FROM {self.erased_table} WHERE subject IN {marks}", params)}
        now = datetime.now(UTC).isoformat()
        fresh = []
        for subject in wanted:
            if keys.get(subject) is None:
                keys[subject] = secrets.token_bytes(32)
                if subject not in erased:
                    fresh.append((subject, _wrap(self.ring.master, subject, keys[subject]),
                                  self.ring.master_key_id, now))
        cur.executemany(f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s)", fresh)
        return {s: k for s, k in keys.items() if k is not None}

    def for_reading(self, cur: Cursor, subjects: Iterable[str]) -> dict[str, bytes | None]:
        wanted = sorted(set(subjects))
        out: dict[str, bytes | None] = dict.fromkeys(wanted)
        for i in range(0, len(wanted), 500):
            marks, params = self.db.in_list(wanted[i : i + 500])
            for subject, wrapped in cur.execute(
                f"SELECT subject, wrapped FROM {self.table} WHERE subject IN {marks}", params
            ):
                out[subject] = _unwrap(self.ring.master, subject, bytes(wrapped))
        return out

    def destroy(self, cur: Cursor, subject: str) -> bool:
        """Delete ``subject``'s data key for good; True when one existed."""
        existed = cur.scalar(f"SELECT COUNT(*) FROM {self.table} WHERE subject = %s", (subject,))
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
