"""A thin SQL seam over the connections eventsourcing's datastores already hold.

The event store, notification log and tracking belong to eventsourcing. Lokikirja's own tables
(meta, data keys, read models, the Merkle seal) are written through :class:`Database`, which lends
a connection from the same pool, so a read model's rows and its tracking position share one
transaction. SQL is written once with ``%s`` placeholders; the SQLite flavour rewrites them.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from psycopg import IsolationLevel
from psycopg import sql as pgsql
from psycopg.rows import tuple_row

PREFIX = "lokikirja_"
_ARRAY_TYPES: list[tuple[type, str]] = [(bool, "boolean"), (int, "bigint"), (UUID, "uuid"), (bytes, "bytea"),
                                        (str, "text")]


class Cursor:
    """A cursor yielding tuples, with ``%s`` placeholders on both backends."""

    def __init__(self, raw: Any, kind: str) -> None:
        self.raw = raw
        self.kind = kind

    def _q(self, statement: str) -> str:
        return statement.replace("%s", "?") if self.kind == "sqlite" else statement

    def execute(self, statement: Any, params: Sequence[Any] = ()) -> Cursor:
        if params:
            self.raw.execute(self._q(statement), params)
        else:
            self.raw.execute(statement)
        return self

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            self.raw.executemany(self._q(statement), rows)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self.raw.fetchall())

    def fetchone(self) -> tuple[Any, ...] | None:
        row = self.raw.fetchone()
        return None if row is None else tuple(row)

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(statement, params).fetchone()
        return None if row is None else row[0]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.raw)

    def stream(self, statement: str, params: Sequence[Any] = (), *, size: int = 5000) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, ``size`` at a time, in bounded memory however many there are:
        a cursor of its own on SQLite (which steps through the result), a server-side cursor on
        PostgreSQL (whose ordinary cursor would hold the whole result in the client)."""
        if self.kind == "sqlite":
            raw = self.raw.connection.cursor()
            try:
                raw.execute(self._q(statement), params)
                while rows := raw.fetchmany(size):
                    yield from rows
            finally:
                raw.close()
            return
        conn = self.raw.connection
        with conn.transaction(), conn.cursor(name="lokikirja_stream", row_factory=tuple_row) as named:
            named.itersize = size
            named.execute(statement, params)
            yield from named


class Database(ABC):
    """Lokikirja's own tables on the backend the event store uses."""

    kind: Literal["sqlite", "postgres"]
    BLOB: str
    BIGINT: str
    CLUSTERED: str  # the table option that stores rows in primary-key order, where there is one

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    @abstractmethod
    def table(self, name: str) -> str:
        """The qualified name of Lokikirja's table ``name`` (prefix ``lokikirja_``)."""

    @abstractmethod
    @contextmanager
    def write(self) -> Iterator[Cursor]:
        """One write transaction: commits on success, rolls back on any exception."""

    @abstractmethod
    @contextmanager
    def read(self) -> Iterator[Cursor]:
        """A connection to read with (no writes)."""

    def read_together(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """The rows of several reads that all see one committed state, in order (on PostgreSQL in
        one round trip)."""
        with self.read() as cur:  # SQLite: one read transaction, one snapshot
            return [cur.execute(sql, params).fetchall() for sql, params in statements]

    def in_list(self, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """SQL and parameters for ``x IN (…)`` over ``values`` (non-empty)."""
        return "(" + ",".join(["%s"] * len(values)) + ")", list(values)

    def upsert(self, cur: Cursor, table: str, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]],
               types: Sequence[str]) -> None:
        """Insert ``rows``, replacing the other columns of a row whose ``key`` exists."""
        names = ", ".join(columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))}) "
                        f"ON CONFLICT ({key}) DO UPDATE SET {updates}", rows)

    @abstractmethod
    def lock(self, cur: Cursor, name: str) -> None:
        """Serialise the transactions that write ``name`` (a table, a follower) until commit."""

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """Serialise schema setup (``CREATE … IF NOT EXISTS``, ``CREATE OR REPLACE``) with other
        processes opening the same store. SQLite serialises DDL itself."""
        yield


class SQLiteDatabase(Database):
    kind = "sqlite"
    BLOB = "BLOB"
    BIGINT = "INTEGER"
    CLUSTERED = " WITHOUT ROWID"  # a table stored in its primary key's order, with no second b-tree

    def table(self, name: str) -> str:
        return PREFIX + name

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[sqlite3.Cursor]:
        with self.datastore.get_connection(commit=commit) as conn, conn.cursor() as raw:
            raw.row_factory = None
            yield raw

    @contextmanager
    def write(self) -> Iterator[Cursor]:
        with self._cursor(commit=True) as raw:
            raw.execute("BEGIN IMMEDIATE")
            try:
                yield Cursor(raw, self.kind)
            except BaseException:
                raw.connection.rollback()
                raise
            raw.connection.commit()

    def lock(self, cur: Cursor, name: str) -> None:
        """Nothing to take: a write transaction holds SQLite's write lock (``BEGIN IMMEDIATE``)."""

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """SQLite serialises each DDL statement, but not eventsourcing's tracking setup, which
        reads and then writes in two steps: :func:`folder_lock` on the database's folder."""
        with folder_lock(Path(self.datastore.pool.db_name).parent):
            yield

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        with self._cursor(commit=False) as raw:
            raw.execute("BEGIN")
            try:
                yield Cursor(raw, self.kind)
            finally:
                raw.connection.rollback()


class PostgresDatabase(Database):
    kind = "postgres"
    BLOB = "bytea"
    BIGINT = "bigint"
    CLUSTERED = ""

    def table(self, name: str) -> str:
        return pgsql.Identifier(self.datastore.schema, PREFIX + name).as_string(None)

    def in_list(self, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """One array parameter rather than a placeholder per value: psycopg converts a query with
        hundreds of placeholders afresh on every call, which costs more than the query itself."""
        kind = next((t for py, t in _ARRAY_TYPES if isinstance(values[0], py)), "text")
        return f"(SELECT unnest(%s::{kind}[]))", [list(values)]

    def upsert(self, cur: Cursor, table: str, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]],
               types: Sequence[str]) -> None:
        """COPY into a temporary table, then one INSERT … ON CONFLICT: tens of thousands of rows in
        a few round trips, where an executemany takes one per row."""
        if len(rows) < 100:
            super().upsert(cur, table, columns, key, rows, types)
            return
        names = ", ".join(columns)
        cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS lokikirja_upsert_{len(columns)} "
                    f"({', '.join(f'{c} {t}' for c, t in zip(columns, types, strict=True))}) ON COMMIT DELETE ROWS")
        scratch = f"lokikirja_upsert_{len(columns)}"
        cur.execute(f"TRUNCATE {scratch}")
        with cur.raw.copy(f"COPY {scratch} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} "
                    f"ON CONFLICT ({key}) DO UPDATE SET {updates}")

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
            yield Cursor(raw, self.kind)

    def read_together(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """Several reads in one REPEATABLE READ, READ ONLY transaction, sent together with its BEGIN
        and COMMIT (psycopg's pipeline mode): one round trip for one consistent state."""
        with self.datastore.get_connection() as conn:
            before = conn.isolation_level, conn.read_only
            conn.isolation_level, conn.read_only = IsolationLevel.REPEATABLE_READ, True
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
    def read(self) -> Iterator[Cursor]:
        """Autocommit reads: one round trip per statement (each statement sees committed data)."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as raw:
            yield Cursor(raw, self.kind)


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


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on a folder, held until the block ends: processes setting up a
    SQLite store in that folder take turns. Not the database file itself: closing another
    descriptor of that file would drop SQLite's own (POSIX) locks. Not re-entrant."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
