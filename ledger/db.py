"""The SQL seam over the connections eventsourcing's datastores already hold: what every backend
offers, declared once; ``ledger/sqlite.py`` and ``ledger/postgres.py`` implement it (ADR 0016).

The event store, notification log and tracking belong to eventsourcing. Lokikirja's own tables
(meta, data keys, read models, the Merkle seal) are written through :class:`Database`, which lends
a connection from the same pool, so a read model's rows and its tracking position share one
transaction. SQL is written once with ``%s`` placeholders; a backend's :class:`Cursor` rewrites
them as its driver needs. Whatever SQL differs between backends (bulk insert, arrays, string
aggregation, triggers, snapshots) is a method here, so that no caller asks which backend it is on.
"""

from __future__ import annotations

import fcntl
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking

PREFIX = "lokikirja_"


class Cursor(ABC):
    """A cursor yielding tuples, with ``%s`` placeholders on every backend."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def _q(self, statement: str) -> str:
        """``statement`` with the driver's placeholders (``%s`` as written, by default)."""
        return statement

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

    @abstractmethod
    def stream(self, statement: str, params: Sequence[Any] = (), *, size: int = 5000) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, ``size`` at a time, in bounded memory however many there are."""

    @abstractmethod
    def fetch_binary(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """All rows of a query, read the cheapest way the driver has (PostgreSQL: binary, so that
        states arrive as bytes rather than hex text to decode)."""

    @abstractmethod
    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]], *, columns: Sequence[str] = (),
                    types: Sequence[str] = ()) -> None:
        """Bulk-insert ``rows`` (all of ``table``'s columns, in order) in this transaction: the
        fastest way the backend has (PostgreSQL: ``COPY``, binary when the column ``types`` are
        given and then into ``columns``; SQLite: one ``executemany``)."""


class Database(ABC):
    """Lokikirja's own tables on the backend the event store uses, and the SQL that differs
    between backends."""

    #: the backend's name, as users see it (``status``, metrics, a backup's manifest); never branched on
    kind: str
    BLOB: str
    BIGINT: str
    CLUSTERED: str  # the table option that stores rows in primary-key order, where there is one
    #: whether the planner keeps statistics that a large append makes stale (``ANALYZE`` pays)
    REFRESHES_STATISTICS: bool = False

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    @abstractmethod
    def wrap(self, raw: Any) -> Cursor:
        """The :class:`Cursor` over a driver cursor of this backend (an append transaction's)."""

    @abstractmethod
    def table(self, name: str) -> str:
        """The qualified name of Lokikirja's table ``name`` (prefix ``lokikirja_``)."""

    @abstractmethod
    def qualified(self, name: str) -> str:
        """The qualified, quoted name of the table ``name`` as it is (no prefix added)."""

    @abstractmethod
    @contextmanager
    def write(self) -> Iterator[Cursor]:
        """One write transaction: commits on success, rolls back on any exception."""

    @abstractmethod
    @contextmanager
    def read(self) -> Iterator[Cursor]:
        """A connection to read with (no writes)."""

    @abstractmethod
    @contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """One read snapshot for a long pass (``verify``): every statement sees the same data."""

    def export_snapshot(self, cur: Cursor) -> str | None:
        """A name under which other processes may read the snapshot ``cur`` is in (None: they cannot)."""
        return None

    def in_list(self, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """SQL and parameters for ``x IN (…)`` over ``values`` (non-empty)."""
        return "(" + ",".join(["%s"] * len(values)) + ")", list(values)

    def read_together(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """The rows of several reads that all see one committed state, in order (one round trip
        where the backend can send them together)."""
        with self.read() as cur:  # one read transaction: one snapshot
            return [cur.execute(sql, params).fetchall() for sql, params in statements]

    def upsert(self, cur: Cursor, table: str, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]],
               types: Sequence[str]) -> None:
        """Insert ``rows``, replacing the other columns of a row whose ``key`` exists (``types``:
        the columns' SQL types, for a backend that bulk-loads)."""
        names = ", ".join(columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))}) "
                        f"ON CONFLICT ({key}) DO UPDATE SET {updates}", rows)

    @abstractmethod
    def match_any(self, column: str, values: list[Any]) -> Iterator[tuple[str, list[Any]]]:
        """Conditions ``column`` is one of ``values``, with their parameters: as few queries as
        the backend allows."""

    @abstractmethod
    def pairs_in(self, columns: tuple[str, str], types: tuple[str, str],
                 pairs: Sequence[tuple[Any, Any]]) -> list[tuple[str, list[Any]]]:
        """Conditions ``(a, b)`` is one of ``pairs`` (``types``: their SQL types), with parameters."""

    @abstractmethod
    def rows_relation(self, types: tuple[str, str], pairs: Sequence[tuple[Any, Any]]) -> tuple[str, list[Any]]:
        """A relation of two columns holding ``pairs`` (for ``WITH b(x, y) AS (…)``), and its parameters."""

    @abstractmethod
    def string_agg(self, column: str, separator: str) -> str:
        """The aggregate that joins ``column``'s texts with ``separator``."""

    @abstractmethod
    def json_text(self, column: str, key: str) -> str:
        """The text at ``key`` of the JSON text in ``column``."""

    def byte_order(self, column: str) -> str:
        """``column`` to ``ORDER BY`` in byte order (SQLite's order of text)."""
        return column

    @abstractmethod
    def table_exists(self, cur: Cursor, table: str) -> bool:
        """Whether the table (as :meth:`table` names it) exists."""

    @abstractmethod
    def append_only_statements(self, table: str, *, what: str, function: str) -> list[str]:
        """DDL that refuses UPDATE, DELETE (and TRUNCATE, where there is one) on ``table``, saying
        "``what`` is append-only"; ``function``: the stem of a trigger function, where one is needed."""

    def forward_only_tracking_statements(self, name: str, *, what: str) -> list[str]:
        """DDL that lets the tracked position of follower ``name`` only move forward (where the
        follower has a tracking table of its own)."""
        return []

    def erasure_guard_statements(self, events: str, keys_table: str) -> list[str]:
        """DDL that lets a data key be deleted only in the transaction that logged its erasure,
        where the backend can hold a role to that (``events``: the qualified log table)."""
        return []

    def trigger_exists(self, cur: Cursor, trigger: str, table: str) -> bool:
        """Whether ``trigger`` is on ``table`` (always, where there are no such guards)."""
        return True

    #: what a write by a role without the privilege raises, where roles exist
    insufficient_privilege: tuple[type[BaseException], ...] = ()

    @abstractmethod
    def mark_erasure(self, cur: Cursor, erasure_event: str) -> None:
        """Before a data key is deleted in ``cur``'s transaction: say which logged erasure allows
        it, and have the deleted bytes overwritten where the backend can."""

    @abstractmethod
    def scrub(self, table: str) -> bool:
        """Rewrite ``table`` so that deleted rows' bytes are gone from its file; True when done."""

    @abstractmethod
    def lock(self, cur: Cursor, name: str) -> None:
        """Serialise the transactions that write ``name`` (a table, a follower) until commit."""

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """Serialise schema setup (``CREATE … IF NOT EXISTS``, ``CREATE OR REPLACE``) with other
        processes opening the same store."""
        yield

    @abstractmethod
    def page_tracker(self, name: str) -> PageTracker:
        """The tracking recorder of follower ``name``."""

    @abstractmethod
    def tracking_table(self, name: str) -> str:
        """The table that holds the tracking position of the follower ``name``."""

    @abstractmethod
    def wait_for_news(self, recorder: Any, position: int, stop_event: threading.Event, poll: float) -> None:
        """Return when the log may have grown past ``position``, ``stop_event`` is set, or after
        ``poll`` seconds."""


class PageTracker:
    """Records a follower's position on the cursor of the page it applied (a tracking-recorder
    subclass, as the library's own views are)."""

    def track(self, cur: Cursor, name: str, position: int) -> None:
        self._insert_tracking(cur.raw, Tracking(name, position))  # type: ignore[attr-defined]


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
