"""Lokikirja's subclasses of eventsourcing's application recorders.

They add what the ledger needs and the stock recorders do not offer, at the library's seams:

- :meth:`append_transaction`: one transaction spanning many inserts, holding the write lock
  from the start, so that "is this id already stored?" and the insert cannot race, and a file
  is stored entirely or not at all;
- :meth:`fingerprints` and :meth:`facts_by_id`: look-ups by contract id (the originator id);
- PostgreSQL: bulk insert with ``COPY … FROM STDIN (FORMAT BINARY)`` instead of ``unnest``,
  and triggers that make the event table append-only.

The library's own recorder test cases run against both subclasses (tests/integration).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cached_property
from typing import Any, overload
from uuid import UUID

import psycopg
from eventsourcing import persistence as es
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from ledger.records import StoredFact

FEW = 16  # appends of up to this many events use INSERT … RETURNING rather than COPY

_SQLITE_ERRORS: list[tuple[type[Exception], type[Exception]]] = [
    (sqlite3.IntegrityError, es.IntegrityError),
    (sqlite3.OperationalError, es.OperationalError),
    (sqlite3.InterfaceError, es.InterfaceError),
    (sqlite3.ProgrammingError, es.ProgrammingError),
    (sqlite3.DataError, es.DataError),
    (sqlite3.DatabaseError, es.DatabaseError),
]


@contextmanager
def _library_errors() -> Iterator[None]:
    """Translate sqlite3 errors into eventsourcing's persistence errors, as the library does."""
    try:
        yield
    except sqlite3.Error as e:
        for raw, mapped in _SQLITE_ERRORS:
            if isinstance(e, raw):
                raise mapped(e) from e
        raise es.PersistenceError(e) from e


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite: the write lock is taken with ``BEGIN IMMEDIATE`` for the whole append."""

    def construct_create_table_statements(self) -> list[str]:
        t = self.events_table_name
        return [
            *super().construct_create_table_statements(),
            f"CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} "
            "BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END",
            f"CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t} "
            "BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END",
        ]

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's save path, through the same locked transaction as ingest."""
        with self.append_transaction() as (_, insert):
            return insert(stored_events)

    @contextmanager
    def append_transaction(self) -> Iterator[tuple[Any, Any]]:
        with _library_errors(), self.datastore.get_connection(commit=True) as conn, conn.cursor() as raw:
            raw.row_factory = None
            raw.execute("BEGIN IMMEDIATE")

            def insert(stored_events: Sequence[StoredEvent]) -> Sequence[int]:
                return self._insert_events(raw, stored_events)  # type: ignore[arg-type]

            try:
                yield raw, insert
            except BaseException:
                raw.connection.rollback()
                raise
            raw.connection.commit()

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int]:
        """One ``executemany``; the write lock is held, so SQLite gives the new rows the rowids
        following the largest one (its documented rowid algorithm), which are returned."""
        rows = [(s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                 s.originator_version, s.topic, s.state) for s in stored_events]
        if len(rows) == 1:  # the gateway path: one statement, the rowid read back from it
            c.execute(self.insert_events_statement, rows[0])
            return [c.lastrowid]
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
        last = c.fetchone()[0] or 0
        c.executemany(self.insert_events_statement, rows)
        return list(range(last + 1, last + 1 + len(stored_events)))

    def fingerprints(self, raw: Any, ids: Sequence[UUID]) -> dict[UUID, str]:
        out: dict[UUID, str] = {}
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            marks = ",".join("?" * len(part))
            raw.execute(
                f"SELECT originator_id, json_extract(CAST(state AS TEXT), '$.fp') "
                f"FROM {self.events_table_name} WHERE originator_id IN ({marks})",
                [u.hex for u in part],
            )
            out.update((UUID(hex=oid), fp) for oid, fp in raw.fetchall())
        return out

    def facts_after(self, start: int, limit: int, stop: int | None = None,
                    topics: Sequence[str] = ()) -> list[StoredFact]:
        """Up to ``limit`` facts with ``start < position ≤ stop`` of ``topics`` (all if empty), in log
        order: ``select_notifications`` without building a notification per row."""
        statement = f"SELECT rowid, state FROM {self.events_table_name} WHERE rowid > ?"
        params: list[Any] = [start]
        if stop is not None:
            statement += " AND rowid <= ?"
            params.append(stop)
        if topics:
            statement += f" AND topic IN ({','.join('?' * len(topics))})"
            params += topics
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement + " ORDER BY rowid LIMIT ?", [*params, limit])
            return [StoredFact.from_state(r[1], r[0]) for r in c.fetchall()]

    def facts_at(self, positions: Sequence[int]) -> list[StoredFact]:
        marks = ",".join("?" * len(positions))
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid, state FROM {self.events_table_name} WHERE rowid IN ({marks})", list(positions))
            return [StoredFact.from_state(r[1], r[0]) for r in c.fetchall()]

    def facts_by_id(self, ids: Sequence[UUID]) -> list[StoredFact]:
        marks = ",".join("?" * len(ids))
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, state FROM {self.events_table_name} WHERE originator_id IN ({marks})",
                [u.hex for u in ids],
            )
            return [StoredFact.from_state(r[1], r[0]) for r in c.fetchall()]


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


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL: binary COPY for bulk appends; UPDATE, DELETE and TRUNCATE refused."""

    @cached_property
    def _table(self) -> str:
        """The events table's qualified, quoted name, rendered once (composing SQL per statement
        costs more than the single fact's own work)."""
        return Identifier(self.datastore.schema, self.events_table_name).as_string(None)

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
    def append_transaction(self) -> Iterator[tuple[Any, Any]]:
        """``BEGIN``, the library's lock statements and its ``NOTIFY`` are sent in pipeline mode,
        without waiting for their answers: they travel with the first look-up (is this id stored?)
        in one round trip, and ``COMMIT`` with its sync in another, which is most of the cost of
        appending one fact. Pipeline mode ends before a ``COPY``, which it does not allow; the
        transaction goes on (the pooled connection is in autocommit mode, so the transaction is
        the explicit ``BEGIN`` … ``COMMIT``)."""
        with self.datastore.get_connection() as conn, _AppendCursor(conn, row_factory=tuple_row) as cur:
            pipeline = cur.pipeline = _Pipeline(conn)
            returned: list[_Returned] = []
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
                     f"FROM {self._table} WHERE originator_id = ANY(%s)")
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
            "SELECT notification_id, state FROM {}.{} WHERE notification_id = ANY(%s)"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        return self._facts(statement, [list(positions)])

    def facts_by_id(self, ids: Sequence[UUID]) -> list[StoredFact]:
        statement = SQL(
            "SELECT notification_id, state FROM {}.{} WHERE originator_id = ANY(%s)"
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
