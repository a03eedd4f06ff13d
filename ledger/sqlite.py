"""SQLite, the embedded default: everything Lokikirja does differently on it, in one module.

The event recorder (:class:`LedgerSQLiteRecorder`), the SQL dialect of Lokikirja's own tables
(:class:`SQLiteDatabase`), where a store lives (:class:`SQLiteTarget`: a file path) and how it is
opened. The rest of Lokikirja reaches these through the interfaces of ``ledger/recorders.py``,
``ledger/db.py`` and ``ledger/backend.py`` and never asks which backend it is on (ADR 0016).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing import persistence as es
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteTrackingRecorder
from eventsourcing.utils import get_topic

from ledger.backend import Target
from ledger.db import PREFIX, Cursor, Database, PageTracker, folder_lock
from ledger.errors import UsageError
from ledger.private_files import create_private as create_private_store
from ledger.recorders import Insert, LedgerRecorder
from ledger.records import StoredFact
from ledger.snapshot import CHUNK, Bar, Copy, create_private, log_state, sha256_of

if TYPE_CHECKING:
    from ledger.store import Ledger

SQLITE_STEP = 4096  # pages per step of the online backup (16 MiB at SQLite's default page size)

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


class LedgerSQLiteRecorder(SQLiteApplicationRecorder, LedgerRecorder):
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
    def append_transaction(self) -> Iterator[tuple[Any, Insert]]:
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


    position_column = "rowid"

    @property
    def events_table(self) -> str:
        return self.events_table_name

    def guard_statements(self) -> list[Any]:
        """None: the table's own triggers (created with it) refuse UPDATE and DELETE."""
        return []

    def event_id_bytes(self, stored: Any) -> bytes:
        return bytes.fromhex(stored)

    def event_id_param(self, event: UUID) -> Any:
        return event.hex


class SQLiteCursor(Cursor):
    """``?`` placeholders; a cursor of its own to stream with."""

    def _q(self, statement: str) -> str:
        return statement.replace("%s", "?")

    def stream(self, statement: str, params: Sequence[Any] = (), *, size: int = 5000) -> Iterator[tuple[Any, ...]]:
        """A cursor of its own, which steps through the result."""
        raw = self.raw.connection.cursor()
        try:
            raw.execute(self._q(statement), params)
            while rows := raw.fetchmany(size):
                yield from rows
        finally:
            raw.close()

    def fetch_binary(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return list(self.raw.execute(self._q(statement), params).fetchall())

    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]], *, columns: Sequence[str] = (),
                    types: Sequence[str] = ()) -> None:
        if rows:
            self.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)


class SQLitePageTracker(PageTracker, SQLiteTrackingRecorder):
    pass


class SQLiteDatabase(Database):
    kind = "sqlite"
    BLOB = "BLOB"
    BIGINT = "INTEGER"
    CLUSTERED = " WITHOUT ROWID"  # a table stored in its primary key's order, with no second b-tree

    def wrap(self, raw: Any) -> Cursor:
        return SQLiteCursor(raw)

    def table(self, name: str) -> str:
        return PREFIX + name

    def qualified(self, name: str) -> str:
        return name

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
                yield SQLiteCursor(raw)
            except BaseException:
                raw.connection.rollback()
                raise
            raw.connection.commit()

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        with self._cursor(commit=False) as raw:
            raw.execute("BEGIN")
            try:
                yield SQLiteCursor(raw)
            finally:
                raw.connection.rollback()

    @contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """A read transaction: in WAL mode it sees one snapshot until it ends."""
        with self.read() as cur:
            yield cur

    def lock(self, cur: Cursor, name: str) -> None:
        """Nothing to take: a write transaction holds SQLite's write lock (``BEGIN IMMEDIATE``)."""

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """SQLite serialises each DDL statement, but not eventsourcing's tracking setup, which
        reads and then writes in two steps: :func:`folder_lock` on the database's folder."""
        with folder_lock(Path(self.datastore.pool.db_name).parent):
            yield

    def match_any(self, column: str, values: list[Any]) -> Iterator[tuple[str, list[Any]]]:
        """``IN`` lists of 500."""
        for i in range(0, len(values), 500):
            marks, params = self.in_list(values[i : i + 500])
            yield f"{column} IN {marks}", params

    def pairs_in(self, columns: tuple[str, str], types: tuple[str, str],
                 pairs: Sequence[tuple[Any, Any]]) -> list[tuple[str, list[Any]]]:
        a, b = columns
        return [(" OR ".join([f"({a} = %s AND {b} = %s)"] * len(part)), [v for pair in part for v in pair])
                for part in (pairs[i : i + 300] for i in range(0, len(pairs), 300))]

    def rows_relation(self, types: tuple[str, str], pairs: Sequence[tuple[Any, Any]]) -> tuple[str, list[Any]]:
        return "VALUES " + ", ".join(["(%s, %s)"] * len(pairs)), [v for pair in pairs for v in pair]

    def string_agg(self, column: str, separator: str) -> str:
        return f"group_concat({column}, '{separator}')"

    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def table_exists(self, cur: Cursor, table: str) -> bool:
        return cur.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", (table,)) is not None

    def append_only_statements(self, table: str, *, what: str, function: str) -> list[str]:
        stem = table.replace(".", "_")
        return [f"CREATE TRIGGER IF NOT EXISTS {stem}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{what} is append-only'); END" for op in ("UPDATE", "DELETE")]

    def mark_erasure(self, cur: Cursor, erasure_event: str) -> None:
        """The deleted bytes are overwritten with zeros (``secure_delete``). (Whoever can write a
        SQLite file can do anything to it: there is no role to hold to the erasure event.)"""
        cur.execute("PRAGMA secure_delete = ON")

    def scrub(self, table: str) -> bool:
        """With ``secure_delete`` on, every row of ``table`` is deleted (its pages are zeroed,
        including stale cell copies that earlier page splits may have left) and written back, in
        one write transaction; then ``wal_checkpoint(TRUNCATE)`` empties the write-ahead log
        (False when a reader elsewhere kept it from truncating: it is cleaned at a later checkpoint)."""
        with self.write() as cur:
            cur.execute("PRAGMA secure_delete = ON")
            rows = cur.execute(f"SELECT * FROM {table}").fetchall()
            cur.execute(f"DELETE FROM {table}")
            cur.insert_rows(table, rows)
        with self.datastore.get_connection(commit=True) as conn, conn.cursor() as raw:
            busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return not busy

    def page_tracker(self, name: str) -> PageTracker:
        """The library's shared ``tracking`` table."""
        return SQLitePageTracker(self.datastore)

    def tracking_table(self, name: str) -> str:
        return "tracking"

    def wait_for_news(self, recorder: Any, position: int, stop_event: threading.Event, poll: float) -> None:
        """SQLite has no subscriptions: poll."""
        stop_event.wait(poll)


@dataclass(frozen=True)
class SQLiteTarget(Target):
    """A store in the SQLite file at ``path``."""

    path: Path
    kind: ClassVar[str] = "sqlite"
    backup_file: ClassVar[str] = "database.sqlite"
    described: ClassVar[str] = "a file path (SQLite)"

    def database(self, datastore: Any) -> Database:
        return SQLiteDatabase(datastore)

    def exists(self) -> bool:
        return self.path.exists()

    def prepare(self) -> None:
        if not self.path.parent.exists():
            raise UsageError(f"the folder {self.path.parent} does not exist")

    def create_schema(self) -> None:
        """No schemas in a SQLite file: the file itself, 0600 (personal data), before SQLite opens
        it — its -wal and -shm take the same mode."""
        create_private_store(self.path)

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        with folder_lock(self.path.parent):
            yield

    @contextmanager
    def own_cursor(self, snapshot: str | None) -> Iterator[Cursor]:
        """A read-only connection of its own (a read transaction: one snapshot)."""
        lite = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        try:
            lite.execute("BEGIN")
            yield SQLiteCursor(lite.cursor())
        finally:
            lite.close()


    def copy_database(self, ledger: Ledger, out: Path, bar: Bar) -> Copy:
        return _copy_sqlite(ledger, self.path, out, bar)

    def is_empty(self) -> bool:
        """No file, or an empty one."""
        return not self.path.exists() or (self.path.is_file() and self.path.stat().st_size == 0)

    def check_restorable(self, manifest: dict[str, Any]) -> None:
        if not self.path.parent.is_dir():
            raise UsageError(f"the folder {self.path.parent} does not exist")

    def load_database(self, file: Path, bar: Bar) -> None:
        _load_sqlite(file, self.path, bar)


def _copy_sqlite(ledger: Ledger, path: Path, out: Path, bar: Bar) -> Copy:
    """The online backup API (``sqlite3.Connection.backup``), in steps of pages, from a connection
    that holds one read transaction for the whole copy. In WAL mode that transaction neither blocks
    writers nor is restarted by them: every step reads the same snapshot."""
    os.close(create_private(out))  # an empty file is an empty database: the copy is born 0600
    source = sqlite3.connect(path, isolation_level=None, timeout=60)
    copy = sqlite3.connect(out, isolation_level=None)
    try:
        source.execute("BEGIN")  # one read transaction: every step of the backup reads this snapshot
        position, events, checkpoint = log_state(ledger, SQLiteCursor(source.cursor()))
        page_size = source.execute("PRAGMA page_size").fetchone()[0]
        pages = source.execute("PRAGMA page_count").fetchone()[0]
        with bar("back up the database", pages * page_size, "bytes") as advance:
            done = [0]

            def step(_status: int, remaining: int, total: int) -> None:
                advance((total - remaining - done[0]) * page_size)
                done[0] = total - remaining

            source.backup(copy, pages=SQLITE_STEP, progress=step)
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal beside it
        source.execute("COMMIT")
    finally:
        copy.close()
        source.close()
    with bar("checksum", out.stat().st_size, "bytes") as advance:
        digest = sha256_of(out, advance)
    return Copy(out, digest, out.stat().st_size, position, events, checkpoint)


def _load_sqlite(file: Path, path: Path, bar: Bar) -> None:
    if not path.parent.is_dir():
        raise UsageError(f"the folder {path.parent} does not exist")
    aside = path.with_name(f".{path.name}.restore-{os.getpid()}")
    aside.unlink(missing_ok=True)
    try:
        with file.open("rb") as src, os.fdopen(create_private(aside), "wb") as dst, \
                bar("restore the database", file.stat().st_size, "bytes") as advance:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
                advance(len(chunk))
            dst.flush()
            os.fsync(dst.fileno())
        if path.exists():  # an empty file (target_is_empty): replaced
            os.replace(aside, path)
        else:
            os.link(aside, path)  # never over a store that appeared meanwhile
    finally:
        aside.unlink(missing_ok=True)
    from ledger.keys import fsync_folder

    fsync_folder(path.parent)




def sqlite_target(spec: str) -> SQLiteTarget:
    """The store in the file ``spec`` (``~`` expanded, made absolute)."""
    path = Path(spec).expanduser().resolve()
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "60",
        "APPLICATION_RECORDER_TOPIC": get_topic(LedgerSQLiteRecorder),
    }
    return SQLiteTarget(str(path), env, path=path)
