"""Test helpers: a sealed ledger to attack, and an attacker with file or superuser access who
bypasses the append-only triggers (SQLite: drops them; PostgreSQL: ``session_replication_role``)."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import psycopg

from ledger.checkpoints import sign_checkpoint
from ledger.ingest import ingest_stream
from ledger.records import canonical_json
from ledger.seal import Seal
from ledger.store import Ledger

BATCHES = (300, 300, 100)  # three ingests, a checkpoint after each: tree sizes 300, 600, 700


def views(n: int, start: int = 0) -> list[dict[str, Any]]:
    """``n`` valid ``record.viewed`` events with stable ids."""
    return [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"lokikirja-test/{i}")), "type": "record.viewed",
             "at": f"2022-03-14T{9 + i // 3600 % 9:02d}:{i // 60 % 60:02d}:{i % 60:02d}+02:00",
             "actor": f"u:hki-{i % 7}",
             "data": {"subject": f"c:{i % 50}", "purpose": "service_guidance", "categories": ["identity"]}}
            for i in range(start, start + n)]


def ingest(ledger: Ledger, events: Iterable[dict[str, Any]], name: str = "batch.jsonl") -> int:
    data = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    return ingest_stream(ledger, name, io.BytesIO(data)).ingested


def build(ledger: Ledger, batches: Sequence[int] = BATCHES, *, gap_before_last: int = 3) -> None:
    """Ingest ``batches`` with a signed checkpoint after each. On PostgreSQL, ``gap_before_last``
    sequence values are consumed before the last batch: a legitimate gap in the positions."""
    start = 0
    for i, n in enumerate(batches):
        if i == len(batches) - 1 and ledger.db.kind == "postgres" and gap_before_last:
            Attacker(ledger).consume_positions(gap_before_last)
        ingest(ledger, views(n, start))
        sign_checkpoint(ledger)
        start += n


class Attacker:
    """Direct access to the store's files or as the database superuser."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.seal = Seal(ledger)
        self.events, self.pos = self.seal.events, self.seal.position_column
        self.kind = ledger.db.kind
        target = ledger.target
        if self.kind == "sqlite":
            self.conn: Any = sqlite3.connect(str(target.path), isolation_level=None)
            for name in ("stored_events", "lokikirja_seal_leaves", "lokikirja_seal_nodes", "lokikirja_checkpoints",
                         "lokikirja_checkpoint_signatures"):
                for op in ("update", "delete"):
                    self.conn.execute(f"DROP TRIGGER IF EXISTS {name}_no_{op}")
        else:
            assert target.pg is not None
            p = target.pg
            self.conn = psycopg.connect(dbname=p["dbname"], host=p["host"], port=p["port"], user=p["user"],
                                        password=p["password"] or None, autocommit=True)
            self.conn.execute("SET session_replication_role = replica")

    def sql(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.kind == "sqlite":
            cur = self.conn.execute(statement.replace("%s", "?"), tuple(params))
        else:
            cur = self.conn.execute(statement, tuple(params))
        return list(cur.fetchall()) if cur.description else []

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ looking
    def positions(self) -> list[int]:
        return [r[0] for r in self.sql(f"SELECT {self.pos} FROM {self.events} ORDER BY {self.pos}")]

    def row(self, position: int) -> tuple[Any, bytes]:
        oid, state = self.sql(f"SELECT originator_id, state FROM {self.events} WHERE {self.pos} = %s", (position,))[0]
        return oid, bytes(state)

    def event_at(self, position: int) -> str:
        return str(orjson.loads(self.row(position)[1])["id"])

    # ------------------------------------------------------------------ tampering
    def set_state(self, position: int, state: bytes) -> None:
        self.sql(f"UPDATE {self.events} SET state = %s WHERE {self.pos} = %s", (state, position))

    def flip_byte(self, position: int, offset: int, xor: int = 1) -> bytes:
        """Change one byte of a stored state; returns the original state."""
        state = self.row(position)[1]
        changed = bytearray(state)
        changed[offset % len(state)] ^= xor
        self.set_state(position, bytes(changed))
        return state

    def delete(self, *positions: int) -> None:
        for p in positions:
            self.sql(f"DELETE FROM {self.events} WHERE {self.pos} = %s", (p,))

    def swap(self, p: int, q: int) -> None:
        """Exchange two whole rows (id and content) between positions ``p`` and ``q``."""
        (a_id, a_state), (b_id, b_state) = self.row(p), self.row(q)
        parking = uuid.uuid4() if self.kind == "postgres" else uuid.uuid4().hex
        update = f"UPDATE {self.events} SET originator_id = %s, state = %s WHERE {self.pos} = %s"
        self.sql(update, (parking, a_state, p))
        self.sql(update, (a_id, a_state, q))
        self.sql(update, (b_id, b_state, p))

    def forged_row(self, like: int) -> tuple[str, bytes]:
        """A plausible new event: the state at ``like`` under a new id."""
        doc = orjson.loads(self.row(like)[1])
        doc["id"] = str(uuid.uuid4())
        return doc["id"], canonical_json(doc)

    def insert_at(self, position: int, event_id: str, state: bytes) -> None:
        key: Any = uuid.UUID(event_id) if self.kind == "postgres" else uuid.UUID(event_id).hex
        self.sql(f"INSERT INTO {self.events} (originator_id, originator_version, topic, state, {self.pos}) "
                 "VALUES (%s, 1, 'record.viewed', %s, %s)", (key, state, position))

    def insert_shifted(self, position: int, event_id: str, state: bytes) -> None:
        """Move every row from ``position`` on one place up and insert a new row at ``position``."""
        self.sql(f"UPDATE {self.events} SET {self.pos} = -{self.pos} WHERE {self.pos} >= %s", (position,))
        self.sql(f"UPDATE {self.events} SET {self.pos} = 1 - {self.pos} WHERE {self.pos} < 0")
        self.insert_at(position, event_id, state)

    # ------------------------------------------------------------------ the operator's own rewrites
    def set_actor(self, position: int, actor: str) -> None:
        """Rewrite who did the event at ``position`` (canonical JSON kept, as the ledger writes it)."""
        doc = orjson.loads(self.row(position)[1])
        doc["actor"] = actor
        self.set_state(position, canonical_json(doc))

    def cut_seal(self, keep: int) -> None:
        """Remove the seal after its first ``keep`` leaves — leaves, subtrees, checkpoints and their
        signatures beyond — and move the seal's tracking back, so that sealing starts again there."""
        seal = self.seal
        self.sql(f"DELETE FROM {seal.leaves} WHERE leaf_index >= %s", (keep,))
        for level, idx in self.sql(f"SELECT level, idx FROM {seal.nodes}"):
            if (idx + 1) << level > keep:
                self.sql(f"DELETE FROM {seal.nodes} WHERE level = %s AND idx = %s", (level, idx))
        self.sql(f"DELETE FROM {seal.checkpoints} WHERE tree_size > %s", (keep,))
        self.sql(f"DELETE FROM {seal.signatures} WHERE tree_size > %s", (keep,))
        last = self.sql(f"SELECT position FROM {seal.leaves} WHERE leaf_index = %s", (keep - 1,)) if keep else []
        position = last[0][0] if last else 0
        if self.kind == "sqlite":
            self.sql("UPDATE tracking SET notification_id = %s WHERE application_name = 'Lokikirja/seal'", (position,))
        else:
            table = seal.leaves.replace("lokikirja_seal_leaves", "lokikirja_seal_tracking")
            self.sql(f"UPDATE {table} SET notification_id = %s WHERE application_name = 'Lokikirja/seal'", (position,))

    def delete_checkpoints_above(self, size: int) -> None:
        self.sql(f"DELETE FROM {self.seal.checkpoints} WHERE tree_size > %s", (size,))
        self.sql(f"DELETE FROM {self.seal.signatures} WHERE tree_size > %s", (size,))

    def delete_tail(self, keep: int) -> None:
        """Remove every event after the first ``keep`` and the seal beyond them (a rollback)."""
        for p in self.positions()[keep:]:
            self.delete(p)
        self.cut_seal(keep)

    def use_signing_key(self, public_key: bytes, key_id: str) -> None:
        """Put the operator's own signing key into the meta table, as if the ledger had been made with it."""
        import base64

        meta = self.ledger.meta_table
        encoded = base64.b64encode(public_key).decode()
        self.sql(f"UPDATE {meta} SET value = %s WHERE name = 'signing_public_key'", (encoded,))
        self.sql(f"UPDATE {meta} SET value = %s WHERE name = 'signing_key_id'", (key_id,))

    def consume_positions(self, n: int) -> None:
        """PostgreSQL: draw ``n`` values from the position sequence (as rolled-back inserts do)."""
        for _ in range(n):
            self.sql("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))", (self.events,))
