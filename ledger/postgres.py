"""PostgreSQL, the production backend: everything Lokikirja does differently on it, in one module.

The event recorder (:class:`LedgerPostgresRecorder`: binary ``COPY`` for bulk appends, pipeline
mode for a few, UPDATE/DELETE/TRUNCATE refused by triggers), the SQL dialect of Lokikirja's own
tables (:class:`PostgresDatabase`: arrays, ``COPY``, advisory locks, exported snapshots), where a
store lives (:class:`PostgresTarget`: a ``postgresql://`` URL) and how its database and schema are
created. The rest of Lokikirja reaches these through the interfaces of ``ledger/recorders.py``,
``ledger/db.py`` and ``ledger/backend.py`` and never asks which backend it is on (ADR 0016).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, overload
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
import psycopg.errors
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresTrackingRecorder
from eventsourcing.utils import get_topic, retry
from psycopg import sql as pgsql
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from ledger.backend import Target
from ledger.db import PREFIX, Cursor, Database, PageTracker
from ledger.errors import BackupFailed, NotInitialised, UsageError
from ledger.recorders import Insert, LedgerRecorder
from ledger.records import StoredFact
from ledger.snapshot import CHUNK, Bar, Copy, create_private, log_state

if TYPE_CHECKING:
    from ledger.store import Ledger

ITERATE_BY = 2000  # rows a result is iterated by (PostgresCursor.__iter__)
FEW = 16  # appends of up to this many events use INSERT … RETURNING rather than COPY
_ARRAY_TYPES: list[tuple[type, str]] = [(bool, "boolean"), (int, "bigint"), (UUID, "uuid"), (bytes, "bytea"),
                                        (str, "text")]


class _Pipeline:
    """psycopg's pipeline mode on a connection, entered now and ended at most once."""

    def __init__(self, conn: Any) -> None:
        self._context: Any = conn.pipeline()
        self._context.__enter__()

    def end(self, error: BaseException | None = None) -> None:
        context, self._context = self._context, None
        if context is not None:
            context.__exit__(type(error) if error else None, error, error.__traceback__ if error else None)


class _AppendCursor(psycopg.Cursor[Any]):
    """The append transaction's cursor: a ``COPY`` through it (the events, new data keys) first
    ends pipeline mode, which does not allow one."""

    pipeline: _Pipeline | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: results read once the append has committed (inside the pipeline, asking waits for the server)
        self.after_commit: list[_Returned | _StoredFingerprint] = []

    def copy(self, statement: Any, params: Any = None, *, writer: Any = None) -> Any:
        if self.pipeline is not None:
            self.pipeline.end()
        return super().copy(statement, params, writer=writer)


class _Returned(Sequence[int]):
    """The positions an ``INSERT … RETURNING`` gives, read from its cursor when first asked for
    (in pipeline mode that waits for the server) or once the append has committed."""

    def __init__(self, cur: Any, count: int) -> None:
        self._cur, self._count = cur, count
        self._positions: list[int] | None = None

    def read(self) -> list[int]:
        if self._positions is None:
            # under the EXCLUSIVE table lock the rows draw consecutive ids in the order given
            self._positions = sorted(r[0] for r in self._cur.fetchall())
        return self._positions

    def close(self) -> None:
        self._cur.close()

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        return self.read()[index]

    def __repr__(self) -> str:
        return f"_Returned({self._positions if self._positions is not None else '…'})"


class _StoredFingerprint:
    """What :meth:`LedgerPostgresRecorder.insert_if_absent` found: the fingerprint stored under the
    id before (``None``: the event was inserted), read once the append has committed."""

    def __init__(self, look: Any, add: Any) -> None:
        self._look, self._add = look, add
        self._read = False
        self._found: str | None = None

    def read(self) -> str | None:
        if not self._read:
            row = self._look.fetchone()
            self._found, self._read = (None if row is None else row[0]), True
        return self._found

    def close(self) -> None:
        self._look.close()
        self._add.close()


class LedgerPostgresRecorder(PostgresApplicationRecorder, LedgerRecorder):
    """PostgreSQL: binary COPY for bulk appends; UPDATE, DELETE and TRUNCATE refused."""

    position_column = "notification_id"

    @cached_property
    def _table(self) -> str:
        """The events table's qualified, quoted name, rendered once (composing SQL per statement
        costs more than the single fact's own work)."""
        return Identifier(self.datastore.schema, self.events_table_name).as_string(None)

    @property
    def events_table(self) -> str:
        return self._table

    def event_id_bytes(self, stored: Any) -> bytes:
        return bytes(stored.bytes)

    def event_id_param(self, event: UUID) -> Any:
        return event

    def guard_statements(self) -> list[Any]:
        return self.append_only_statements()

    @cached_property
    def _begin_statements(self) -> list[str]:
        """``BEGIN``, then the library's lock statements and its ``NOTIFY``, as text."""
        statements = [*self.lock_table_statements, SQL("NOTIFY {0}").format(Identifier(self.channel_name))]
        return ["BEGIN", *(s.as_string(None) for s in statements)]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's save path, through the same COPY path as ingest."""
        if not stored_events:
            return []
        with self.append_transaction() as (_, insert):
            positions = insert(stored_events)
        return list(positions)  # read after the commit: a few events take one round trip

    @contextmanager
    def append_transaction(self) -> Iterator[tuple[Any, Insert]]:
        """``BEGIN``, the library's lock statements and its ``NOTIFY`` are sent in pipeline mode,
        without waiting for their answers: they travel with the first look-up (is this id stored?)
        in one round trip, and ``COMMIT`` with its sync in another, which is most of the cost of
        appending one fact. Pipeline mode ends before a ``COPY``, which it does not allow; the
        transaction goes on (the pooled connection is in autocommit mode, so the transaction is
        the explicit ``BEGIN`` … ``COMMIT``)."""
        with self.datastore.get_connection() as conn, _AppendCursor(conn, row_factory=tuple_row) as cur:
            pipeline = cur.pipeline = _Pipeline(conn)
            returned: list[_Returned | _StoredFingerprint] = cur.after_commit
            try:
                for statement in self._begin_statements:
                    cur.execute(statement)

                def insert(stored_events: Sequence[StoredEvent]) -> Sequence[int]:
                    if len(stored_events) <= FEW:
                        returned.append(self._insert_few(conn, stored_events))
                        return returned[-1]
                    return self._copy_stored_events(cur, stored_events)

                yield cur, insert
                cur.execute("COMMIT")
                pipeline.end()
                for positions in returned:
                    positions.read()
            except BaseException as e:
                pipeline.end(e)
                with suppress(psycopg.Error):  # a broken connection: the pool discards it; e is the news
                    conn.rollback()  # the server's transaction, whatever state it was left in
                raise
            finally:
                for positions in returned:
                    positions.close()

    def insert_if_absent(self, raw: Any, event: StoredEvent, insert: Insert) -> Callable[[], str | None]:
        """The look-up and an insert conditional on it travel in the pipeline with the ``COMMIT``:
        one round trip for a lone fact instead of two. Under the append's table lock nothing can
        come between them; a stored id leaves the log as it was (the insert adds no row)."""
        conn = raw.connection
        look = conn.cursor(row_factory=tuple_row)
        look.execute(f"SELECT convert_from(state, 'UTF8')::jsonb->>'fp' FROM {self._table} WHERE originator_id = %s",
                     (event.originator_id,))
        add = conn.cursor(row_factory=tuple_row)
        add.execute(f"INSERT INTO {self._table} (originator_id, originator_version, topic, state) "
                    f"SELECT %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM {self._table} WHERE originator_id = %s)",
                    (event.originator_id, event.originator_version, event.topic, event.state, event.originator_id))
        found = _StoredFingerprint(look, add)
        raw.after_commit.append(found)
        return found.read

    def _insert_few(self, conn: Any, stored_events: Sequence[StoredEvent]) -> _Returned:
        """A few events (the gateway path: one fact a request) with one ``INSERT … RETURNING``
        where COPY and reading the sequence back take three round trips. In pipeline mode the
        insert travels with the ``COMMIT``, unless its positions are asked for before."""
        rows = ", ".join(["(%s, %s, %s, %s)"] * len(stored_events))
        cur = conn.cursor(row_factory=tuple_row)
        cur.execute(f"INSERT INTO {self._table} (originator_id, originator_version, topic, state) VALUES {rows} "
                    "RETURNING notification_id",
                    [v for e in stored_events for v in (e.originator_id, e.originator_version, e.topic, e.state)])
        return _Returned(cur, len(stored_events))

    def _copy_stored_events(self, cur: Any, stored_events: Sequence[StoredEvent]) -> list[int]:
        """Insert with COPY under the table lock already held; ids are then contiguous."""
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        copy = SQL("COPY {}.{} (originator_id, originator_version, topic, state) FROM STDIN "
                   "(FORMAT BINARY)").format(schema, table)
        with cur.copy(copy) as cp:
            cp.set_types(["uuid", "int8", "text", "bytea"])
            for e in stored_events:
                cp.write_row((e.originator_id, e.originator_version, e.topic, e.state))
        # Under the EXCLUSIVE table lock no other transaction draws from the sequence, and the
        # binary COPY inserts rows in order, so our ids are the last len(stored_events) values.
        qualified = Identifier(self.datastore.schema, self.events_table_name).as_string(cur)
        cur.execute("SELECT currval(pg_get_serial_sequence(%s, 'notification_id'))", (qualified,))
        last = cur.fetchone()[0]
        return list(range(last - len(stored_events) + 1, last + 1))

    def fingerprints(self, raw: Any, ids: Sequence[UUID]) -> dict[UUID, str]:
        statement = (f"SELECT originator_id, convert_from(state, 'UTF8')::jsonb->>'fp' "
                     f"FROM {self._table} WHERE originator_id = ANY(%b)")  # binary: a fifth of the text cost
        with raw.connection.cursor(row_factory=tuple_row) as cur:
            cur.execute(statement, (list(ids),))
            return dict(cur.fetchall())

    def facts_after(self, start: int, limit: int, stop: int | None = None,
                    topics: Sequence[str] = ()) -> list[StoredFact]:
        """Up to ``limit`` facts with ``start < position ≤ stop`` of ``topics`` (all if empty), in log
        order: ``select_notifications`` without building a notification per row."""
        statement = SQL("SELECT notification_id, state FROM {}.{} WHERE notification_id > %s").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name))
        params: list[Any] = [start]
        if stop is not None:
            statement += SQL(" AND notification_id <= %s")
            params.append(stop)
        if topics:
            statement += SQL(" AND topic = ANY(%s)")
            params.append(list(topics))
        return self._facts(statement + SQL(" ORDER BY notification_id LIMIT %s"), [*params, limit])

    def facts_at(self, positions: Sequence[int]) -> list[StoredFact]:
        statement = SQL(
            "SELECT notification_id, state FROM {}.{} WHERE notification_id = ANY(%b)"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        return self._facts(statement, [list(positions)])

    def facts_by_id(self, ids: Sequence[UUID]) -> list[StoredFact]:
        statement = SQL(
            "SELECT notification_id, state FROM {}.{} WHERE originator_id = ANY(%b)"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        return self._facts(statement, [list(ids)])

    def _facts(self, statement: Any, params: list[Any]) -> list[StoredFact]:
        """Facts of a ``SELECT notification_id, state …``, read in binary: the states arrive as
        bytes rather than hex text to decode, in tuples rather than dictionaries."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(statement, params, binary=True)
            return [StoredFact.from_state(state, position) for position, state in cur.fetchall()]

    def append_only_statements(self) -> list[Any]:
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        fn = Identifier(self.datastore.schema, "lokikirja_refuse_change")
        return [
            SQL(
                "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'lokikirja: % on % is refused: the log is append-only', "
                "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
            ).format(fn),
            SQL("CREATE OR REPLACE TRIGGER lokikirja_append_only BEFORE UPDATE OR DELETE ON {}.{} "
                "FOR EACH ROW EXECUTE FUNCTION {}()").format(schema, table, fn),
            SQL("CREATE OR REPLACE TRIGGER lokikirja_no_truncate BEFORE TRUNCATE ON {}.{} "
                "FOR EACH STATEMENT EXECUTE FUNCTION {}()").format(schema, table, fn),
        ]


def _has_array(params: Sequence[Any]) -> bool:
    """Whether ``params`` hold an array (a list), which :class:`PostgresCursor` never prepares."""
    return any(type(p) is list for p in params)


class PostgresCursor(Cursor):
    """``%s`` placeholders as written; a server-side cursor to stream with; ``COPY`` to bulk-insert."""

    def stream(self, statement: str, params: Sequence[Any] = (), *, size: int = 5000) -> Iterator[tuple[Any, ...]]:
        """A server-side cursor (an ordinary one would hold the whole result in the client)."""
        conn = self.raw.connection
        with conn.transaction(), conn.cursor(name="lokikirja_stream", row_factory=tuple_row) as named:
            named.itersize = size
            named.execute(statement, params)
            yield from named

    def execute(self, statement: Any, params: Sequence[Any] = ()) -> Cursor:
        """A statement with an array parameter (:meth:`PostgresDatabase.in_list`,
        ``rows_relation``) is never prepared. psycopg prepares a statement on its fifth use, and
        after five more the server may settle on a generic plan, which cannot know how many
        elements the array holds. For the rebuild's look-up of customers' transfers it chose a
        nested loop that rescanned an index 500 times: 120 ms a query against 3 ms planned for the
        array at hand. Planning afresh costs a fraction of a millisecond."""
        if _has_array(params):
            self.raw.execute(statement, params, prepare=False)
            return self
        return super().execute(statement, params)

    def fetch_binary(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        prepare = False if _has_array(params) else None  # as in execute
        return list(self.raw.execute(statement, params, binary=True, prepare=prepare).fetchall())

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        """The rows a few thousand at a time: psycopg builds a batch in C, but each row of its own
        iterator in Python, at several times the cost (the result is in the client either way)."""
        while rows := self.raw.fetchmany(ITERATE_BY):
            yield from rows

    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]], *, columns: Sequence[str] = (),
                    types: Sequence[str] = ()) -> None:
        """``COPY`` (several times the rate of one INSERT per row); binary when ``types`` are given."""
        if not rows:
            return
        if types:
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        else:
            statement = f"COPY {table} FROM STDIN"
        with self.raw.copy(statement) as copy:
            if types:
                copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)


class PostgresPageTracker(PageTracker, PostgresTrackingRecorder):
    pass


class PostgresDatabase(Database):
    kind = "postgres"
    BLOB = "bytea"
    BIGINT = "bigint"
    CLUSTERED = ""
    REFRESHES_STATISTICS = True
    insufficient_privilege = (psycopg.errors.InsufficientPrivilege,)

    def wrap(self, raw: Any) -> Cursor:
        return PostgresCursor(raw)

    def table(self, name: str) -> str:
        return pgsql.Identifier(self.datastore.schema, PREFIX + name).as_string(None)

    def qualified(self, name: str) -> str:
        return pgsql.Identifier(self.datastore.schema, name).as_string(None)

    def in_list(self, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """One array parameter rather than a placeholder per value: psycopg converts a query with
        hundreds of placeholders afresh on every call, which costs more than the query itself. Sent
        in binary (``%b``): psycopg writes a text array in Python, at several times the cost."""
        kind = next((t for py, t in _ARRAY_TYPES if isinstance(values[0], py)), "text")
        return f"(SELECT unnest(%b::{kind}[]))", [list(values)]

    def upsert(self, cur: Cursor, table: str, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]],
               types: Sequence[str]) -> None:
        """COPY into a temporary table, then one INSERT … ON CONFLICT: tens of thousands of rows in
        a few round trips, where an executemany takes one per row."""
        if len(rows) < 100:
            super().upsert(cur, table, columns, key, rows, types)
            return
        names = ", ".join(columns)
        shape = hashlib.sha256(repr((table, tuple(columns), tuple(types))).encode()).hexdigest()[:12]
        scratch = f"lokikirja_upsert_{shape}"  # one per table and shape: a session may upsert into several
        cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} "
                    f"({', '.join(f'{c} {t}' for c, t in zip(columns, types, strict=True))}) ON COMMIT DELETE ROWS")
        cur.execute(f"TRUNCATE {scratch}")
        cur.insert_rows(scratch, rows, columns=columns, types=[t.lower() for t in types])  # psycopg's names
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} "
                    f"ON CONFLICT ({key}) DO UPDATE SET {updates}")

    def read_together(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """Several reads in one REPEATABLE READ, READ ONLY transaction, sent together with its BEGIN
        and COMMIT (psycopg's pipeline mode): one round trip for one consistent state."""
        with self.datastore.get_connection() as conn:
            before = conn.isolation_level, conn.read_only
            conn.isolation_level, conn.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
            cursors = [conn.cursor(row_factory=tuple_row) for _ in statements]
            try:
                with conn.pipeline(), conn.transaction():
                    for raw, (sql, params) in zip(cursors, statements, strict=True):
                        raw.execute(sql, params or None)
                return [list(raw.fetchall()) for raw in cursors]
            finally:
                for raw in cursors:
                    raw.close()
                conn.isolation_level, conn.read_only = before

    @contextmanager
    def connection(self) -> Iterator[Any]:
        with self.datastore.get_connection() as conn:
            yield conn

    def lock(self, cur: Cursor, name: str) -> None:
        """An advisory transaction lock: it needs no UPDATE or DELETE privilege, which the
        application role lacks on the append-only tables."""
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """Concurrent DDL fails on PostgreSQL even when it changes nothing (``CREATE OR REPLACE
        FUNCTION``: "tuple concurrently updated"; ``CREATE TABLE IF NOT EXISTS`` of a new table:
        a duplicate ``pg_type`` key). A session advisory lock, released before the connection goes
        back to the pool."""
        with self.datastore.get_connection() as conn, pg_setup_lock(conn, self.datastore.schema):
            yield

    @contextmanager
    def write(self) -> Iterator[Cursor]:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor(
            row_factory=tuple_row
        ) as raw:
            yield PostgresCursor(raw)

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        """Autocommit reads: one round trip per statement (each statement sees committed data)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as raw:
            yield PostgresCursor(raw)

    @contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """REPEATABLE READ, read only: it can be exported to other processes."""
        with self.connection() as conn, conn.transaction(), conn.cursor(row_factory=tuple_row) as raw:
            raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield PostgresCursor(raw)

    def export_snapshot(self, cur: Cursor) -> str | None:
        return str(cur.scalar("SELECT pg_export_snapshot()"))

    def match_any(self, column: str, values: list[Any]) -> Iterator[tuple[str, list[Any]]]:
        """One ``= ANY(array)`` round trip."""
        yield f"{column} = ANY(%s)", [values]

    def pairs_in(self, columns: tuple[str, str], types: tuple[str, str],
                 pairs: Sequence[tuple[Any, Any]]) -> list[tuple[str, list[Any]]]:
        """Two arrays: one query, no placeholder per pair."""
        relation, params = self.rows_relation(types, pairs)
        return [(f"({columns[0]}, {columns[1]}) IN ({relation})", params)]

    def rows_relation(self, types: tuple[str, str], pairs: Sequence[tuple[Any, Any]]) -> tuple[str, list[Any]]:
        return (f"SELECT * FROM unnest(%b::{types[0]}[], %b::{types[1]}[])",  # binary: as in_list
                [[p[0] for p in pairs], [p[1] for p in pairs]])

    def string_agg(self, column: str, separator: str) -> str:
        return f"string_agg({column}, '{separator}')"

    def json_text(self, column: str, key: str) -> str:
        return f"({column}::jsonb ->> '{key}')"

    def byte_order(self, column: str) -> str:
        return f'{column} COLLATE "C"'

    def table_exists(self, cur: Cursor, table: str) -> bool:
        return cur.scalar("SELECT to_regclass(%s)", (table,)) is not None

    def append_only_statements(self, table: str, *, what: str, function: str) -> list[str]:
        fn = pgsql.Identifier(self.datastore.schema, function).as_string(None)
        return [
            f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION 'lokikirja: % on % is refused: {what} is append-only', TG_OP, TG_TABLE_NAME "
            "USING ERRCODE = 'insufficient_privilege'; END $$",
            f"CREATE OR REPLACE TRIGGER lokikirja_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {fn}()",
            f"CREATE OR REPLACE TRIGGER lokikirja_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
        ]

    def forward_only_tracking_statements(self, name: str, *, what: str) -> list[str]:
        schema = self.datastore.schema
        fn = pgsql.Identifier(schema, f"lokikirja_{name}_tracking_forward").as_string(None)
        table = pgsql.Identifier(schema, f"lokikirja_{name}_tracking").as_string(None)
        return [
            f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP = 'DELETE' OR NEW.notification_id < OLD.notification_id THEN RAISE EXCEPTION "
            f"'lokikirja: {what} tracking position only moves forward' "
            "USING ERRCODE = 'insufficient_privilege'; END IF; RETURN NEW; END $$",
            f"CREATE OR REPLACE TRIGGER lokikirja_forward_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {fn}()",
        ]

    def erasure_guard_statements(self, events: str, keys_table: str) -> list[str]:
        """A trigger that lets a data key be deleted only inside the transaction that logged its
        ``subject.erased`` (named by the transaction-local setting ``lokikirja.erasure_event``,
        which :meth:`mark_erasure` sets): no silent crypto-shredding, not even by the application role."""
        fn = pgsql.Identifier(self.datastore.schema, "lokikirja_erasure_logged").as_string(None)
        return [
            f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE ev text := current_setting('lokikirja.erasure_event', true); BEGIN "
            "IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION 'lokikirja: the data keys are erased one customer at a "
            "time, each with its subject.erased event' USING ERRCODE = 'insufficient_privilege'; END IF; "
            "IF ev IS NULL OR ev !~ '^[0-9a-f-]{36}$' OR NOT EXISTS (SELECT 1 FROM " + events + " e "
            "WHERE e.originator_id = ev::uuid AND e.topic = 'subject.erased' "
            "AND convert_from(e.state, 'UTF8')::jsonb -> 'data' ->> 'subject' = OLD.subject) THEN "
            "RAISE EXCEPTION 'lokikirja: the data key of % is deleted only with its subject.erased event "
            "(lokikirja erase)', OLD.subject USING ERRCODE = 'insufficient_privilege'; END IF; "
            "RETURN OLD; END $$",
            f"CREATE OR REPLACE TRIGGER lokikirja_erasure_logged BEFORE DELETE ON {keys_table} "
            f"FOR EACH ROW EXECUTE FUNCTION {fn}()",
            f"CREATE OR REPLACE TRIGGER lokikirja_no_truncate BEFORE TRUNCATE ON {keys_table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
        ]

    def trigger_exists(self, cur: Cursor, trigger: str, table: str) -> bool:
        return bool(cur.scalar("SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
                               (trigger, table)))

    def mark_erasure(self, cur: Cursor, erasure_event: str) -> None:
        cur.execute("SELECT set_config('lokikirja.erasure_event', %s, true)", (erasure_event,))

    def scrub(self, table: str) -> bool:
        """``VACUUM (FULL)`` rewrites ``table`` into a new file, unlinking the old one."""
        with self.datastore.get_connection() as conn:
            conn.autocommit = True
            conn.execute(f"VACUUM (FULL) {table}")
        return True

    def page_tracker(self, name: str) -> PageTracker:
        """A tracking table of the follower's own, ``lokikirja_<name>_tracking``."""
        return PostgresPageTracker(self.datastore, tracking_table_name=f"lokikirja_{name}_tracking")

    def tracking_table(self, name: str) -> str:
        return f"{self.datastore.schema}.lokikirja_{name}_tracking"

    def wait_for_news(self, recorder: Any, position: int, stop_event: threading.Event, poll: float) -> None:
        """Woken by LISTEN/NOTIFY (the library's subscription), or after ``poll`` seconds."""
        subscription = recorder.subscribe(gt=position)
        deadline = time.monotonic() + poll
        try:
            waiter = threading.Thread(target=lambda: next(iter(subscription), None), daemon=True)
            waiter.start()
            while waiter.is_alive() and not stop_event.is_set() and time.monotonic() < deadline:
                waiter.join(0.05)
        finally:
            subscription.stop()


@contextmanager
def pg_setup_lock(conn: Any, schema: str) -> Iterator[None]:
    """The session advisory lock that serialises schema setup of the store in ``schema``, held
    on ``conn`` until the block ends."""
    key = f"lokikirja-setup:{schema}"
    conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


@dataclass(frozen=True)
class PostgresTarget(Target):
    """A store in a PostgreSQL database and schema; ``pg``: how to connect (from the URL)."""

    pg: dict[str, str] = field(repr=False, default_factory=dict)
    kind: ClassVar[str] = "postgres"
    backup_file: ClassVar[str] = "database.pgdump"
    described: ClassVar[str] = "a postgresql:// URL"

    @property
    def schema(self) -> str | None:
        return self.pg["schema"]

    def database(self, datastore: Any) -> Database:
        return PostgresDatabase(datastore)

    def connect(self, dbname: str | None = None) -> psycopg.Connection[Any]:
        """An autocommit connection of its own to ``dbname`` (the store's database by default)."""
        p = self.pg
        try:
            return psycopg.connect(
                dbname=dbname or p["dbname"], host=p["host"], port=p["port"], user=p["user"],
                password=p["password"] or None, connect_timeout=10, autocommit=True,
            )
        except psycopg.OperationalError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise NotInitialised(f"cannot reach PostgreSQL at {self.display}: {first}") from None

    def database_exists(self, *, with_schema: bool = True) -> bool:
        with self.connect("postgres") as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.pg["dbname"],)).fetchone() is None:
                return False
        if not with_schema:
            return True
        with self.connect() as conn:
            return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                                (self.pg["schema"],)).fetchone() is not None

    def create_database(self) -> None:
        with self.connect("postgres") as conn, contextlib.suppress(
            psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation  # another process created it first
        ):
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(self.pg["dbname"])))

    def exists(self) -> bool:
        return self.database_exists()

    def prepare(self) -> None:
        if not self.database_exists(with_schema=False):
            self.create_database()

    def create_schema(self) -> None:
        """Create the schema when missing (an existing one needs no CREATE privilege on the database)."""
        with self.connect() as conn:
            if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.pg["schema"],)).fetchone():
                return
            conn.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(self.pg["schema"])))

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """:func:`pg_setup_lock` on a connection of its own, as the application's pool does not exist yet."""
        with self.connect() as conn, pg_setup_lock(conn, self.pg["schema"]):
            yield

    @contextmanager
    def own_cursor(self, snapshot: str | None) -> Iterator[Cursor]:
        """REPEATABLE READ, read only, in the exported ``snapshot``."""
        p = self.pg
        with psycopg.connect(dbname=p["dbname"], host=p["host"], port=p["port"], user=p["user"],
                             password=p["password"] or None) as conn:
            conn.isolation_level, conn.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
            with conn.cursor() as raw:
                raw.execute(pgsql.SQL("SET TRANSACTION SNAPSHOT {}").format(pgsql.Literal(snapshot)))
                yield PostgresCursor(raw)


    def copy_database(self, ledger: Ledger, out: Path, bar: Bar) -> Copy:
        return _dump_postgres(ledger, self, out, bar)

    def is_empty(self) -> bool:
        """No database, no schema, or no relation or function in the schema."""
        if not self.database_exists(with_schema=False):
            return True
        with self.connect() as conn:
            found = conn.execute(
                "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s) + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = %s)", (self.pg["schema"], self.pg["schema"])).fetchone()
        return found is None or found[0] == 0

    def check_restorable(self, manifest: dict[str, Any]) -> None:
        if self.pg["schema"] != manifest.get("schema"):
            raise UsageError(f"this backup holds the schema {manifest.get('schema')}: restore it into a target with "
                             f"?schema={manifest.get('schema')} (a schema is not renamed on restore)")

    def load_database(self, file: Path, bar: Bar) -> None:
        _restore_postgres(file, self, bar)


def _pg_env(target: PostgresTarget) -> dict[str, str]:
    """The environment of a PostgreSQL client tool: the password never on its command line."""
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    if target.pg["password"]:
        env["PGPASSWORD"] = target.pg["password"]
    return env


def _pg_args(target: PostgresTarget) -> list[str]:
    p = target.pg
    return ["--no-password", "--host", p["host"], "--port", p["port"], "--username", p["user"], "--dbname", p["dbname"]]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(f"{name} was not found: install the PostgreSQL client tools (the server's major "
                           "version or newer) and put them on PATH")
    return found


def _failure(tool: str, stderr: str) -> BackupFailed:
    lines = [line.removeprefix(f"{tool}: ").strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")] or lines or ["no message"]
    return BackupFailed(f"{tool} failed: {errors[0].removeprefix('error: ')}; nothing was kept")


def _dump_postgres(ledger: Ledger, target: PostgresTarget, out: Path, bar: Bar) -> Copy:
    """A ``REPEATABLE READ`` transaction exports its snapshot; ``pg_dump --snapshot`` dumps the
    store's schema (tables, sequences, functions, triggers, indexes) in exactly that snapshot, in
    its custom format."""
    schema = target.pg["schema"]
    digest, size = hashlib.sha256(), 0
    with target.connect() as conn:
        conn.autocommit = False
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            snapshot = cur.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
            position, events, checkpoint = log_state(ledger, PostgresCursor(cur))
            # --compress=1: at this level pg_dump runs 4x faster than at its default, for a dump 20 % larger
            command = [_tool("pg_dump"), "--format=custom", "--compress=1",
                       "--schema", '"' + schema.replace('"', '""') + '"', "--snapshot", snapshot,
                       "--lock-wait-timeout=60000", *_pg_args(target)]
            with tempfile.TemporaryFile() as errors, os.fdopen(create_private(out), "wb") as f, \
                    bar("dump the database", None, "bytes") as advance:
                dump = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=_pg_env(target))
                assert dump.stdout is not None
                while chunk := dump.stdout.read(CHUNK):
                    f.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    advance(len(chunk))
                f.flush()
                os.fsync(f.fileno())
                if dump.wait() != 0:
                    errors.seek(0)
                    raise _failure("pg_dump", errors.read().decode(errors="replace"))
        conn.rollback()  # the snapshot is released only after pg_dump has finished with it
    return Copy(out, digest.hexdigest(), size, position, events, checkpoint)


def _restore_list(file: Path, schema: str, schema_exists: bool) -> list[str]:
    """``pg_restore --list`` of the archive; an existing (empty) schema is not created again."""
    listed = subprocess.run([_tool("pg_restore"), "--list", str(file)], capture_output=True, text=True)
    if listed.returncode != 0:
        raise _failure("pg_restore", listed.stderr)
    entries = listed.stdout.splitlines()
    if schema_exists:
        own = re.compile(rf"^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA ){re.escape(schema)} ")
        entries = [e for e in entries if not own.match(e)]
    return entries


def _restore_postgres(file: Path, target: PostgresTarget, bar: Bar) -> None:
    """``pg_restore --single-transaction`` into an empty database or schema of the same name:
    all or nothing."""
    created = not target.database_exists(with_schema=False)
    if created:
        target.create_database()
    schema = target.pg["schema"]
    with target.connect() as conn:
        schema_exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None
    entries = _restore_list(file, schema, schema_exists)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".list") as listing:
            listing.write("\n".join(entries) + "\n")
            listing.flush()
            command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
                       "--exit-on-error", "--verbose", "--use-list", listing.name, *_pg_args(target), str(file)]
            steps = sum(1 for e in entries if e and not e.startswith(";"))
            with bar("restore the database", steps, "objects") as advance:
                run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                       env=_pg_env(target))
                assert run.stderr is not None
                said = []
                for line in run.stderr:
                    said.append(line)
                    if line.startswith(("pg_restore: creating", "pg_restore: processing data")):
                        advance(1)
                if run.wait() != 0:
                    raise _failure("pg_restore", "".join(said))
    except BaseException:
        if created:
            _drop_database(target)
        raise
    with target.connect() as conn:  # pg_restore leaves the planner without statistics
        for (table,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall():
            conn.execute(pgsql.SQL("ANALYZE {}").format(pgsql.Identifier(schema, table)))


def _drop_database(target: PostgresTarget) -> None:
    with target.connect("postgres") as conn:
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(target.pg["dbname"])))


def postgres_target(url: str) -> PostgresTarget:
    """The store a ``postgresql://`` URL names (``?schema=``: its schema, ``public`` by default)."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    dbname = unquote(parts.path.lstrip("/")) or "lokikirja"
    pg = {
        "dbname": dbname,
        "host": query.get("host") or parts.hostname or "localhost",
        "port": str(parts.port or query.get("port") or 5432),
        "user": unquote(parts.username) if parts.username else query.get("user", getpass.getuser()),
        "password": unquote(parts.password) if parts.password else query.get("password", ""),
        "schema": query.get("schema", "public"),
    }
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": pg["dbname"],
        "POSTGRES_HOST": pg["host"],
        "POSTGRES_PORT": pg["port"],
        "POSTGRES_USER": pg["user"],
        "POSTGRES_PASSWORD": pg["password"],
        "POSTGRES_SCHEMA": pg["schema"],
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "8",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "300",
        "APPLICATION_RECORDER_TOPIC": get_topic(LedgerPostgresRecorder),
    }
    safe = f"postgresql://{pg['user']}@{pg['host']}:{pg['port']}/{dbname}"
    if pg["schema"] != "public":
        safe += f"?schema={pg['schema']}"
    return PostgresTarget(safe, env, pg=pg)
