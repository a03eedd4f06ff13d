"""Followers of the log: whatever is derived from it in its order, exactly once, with tracking —
the read model (``projections/readmodel.py``) and the Merkle seal (``ledger/seal.py``) alike.

A :class:`Follower` reads the log after its tracked position one page at a time (bounded memory)
and, for each page, writes its own tables **and** its tracking position in one transaction. The
tracking goes through eventsourcing's own tracking recorders, subclassed here the way the
library's examples subclass them for a view (each backend's ``PageTracker`` in ``ledger/sqlite.py``
and ``ledger/postgres.py``: ``track`` inserts the position on the page's own cursor, and the
library refuses a position at or below the recorded one, so a page is never applied twice). A
crash at any point leaves the tables and the position consistent; the next run resumes after
the last committed page. Several processes may follow one store: a page is applied under the
follower's lock by whoever reads the tracked position first (ADR 0008).

Why pages and not ``ProjectionRunner``'s one transaction per event: a durable commit costs about a
millisecond here (PERFORMANCE.md), which caps a per-event runner near 1,000 events/s; rebuilding
10 M events needs ≥ 20,000/s. ADR 0003 records the choice, ADR 0010 the one seam for every
follower. ``project --follow`` keeps a follower running beside other writers, woken by PostgreSQL
LISTEN/NOTIFY (the library's subscription) or by polling on SQLite, which has no subscriptions.
"""

from __future__ import annotations

import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ledger.collector import collector_paused
from ledger.db import Cursor, PageTracker
from ledger.store import Ledger

PAGE = 20_000  # per transaction: a bigger page spreads a page's fixed queries and its commit over more facts
ANALYZE_AFTER = 20_000  # refresh the planner's statistics after a large catch-up or rebuild
REFRESH_FROM = 100_000  # …and, on PostgreSQL, during one, whenever the facts applied reach 100,000, 200,000, …
Progress = Callable[[int], None]
_SET_UP: weakref.WeakKeyDictionary[Ledger, set[str]] = weakref.WeakKeyDictionary()  # followers whose tables exist


def page_tracker(ledger: Ledger, name: str) -> PageTracker:
    """The tracking recorder of follower ``name`` (PostgreSQL table ``lokikirja_<name>_tracking``;
    SQLite: the library's shared ``tracking`` table)."""
    return ledger.db.page_tracker(name)


def tracking_table(ledger: Ledger, name: str) -> str:
    """The table that holds the tracking position of the follower ``name`` (``Lokikirja/<name>``)."""
    return ledger.db.tracking_table(name)


class Follower(ABC):
    """Something derived from the log, page by page. Subclasses define tables and :meth:`apply`,
    and may read the log their own way (:meth:`read`)."""

    #: the tracking name, also the PostgreSQL tracking table's stem
    name: str
    #: contract types this follower reads (empty: all); filtered in the database
    topics: Sequence[str] = ()
    #: the tracked position before the page being applied (None outside ``catch_up``)
    page_start: int | None = None

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.db = ledger.db
        self.tracking_name = f"Lokikirja/{self.name}"
        self._deferred: list[str] = []  # DDL a rebuild from scratch runs once caught up
        self.tracker: Any = page_tracker(ledger, self.name)
        ready = _SET_UP.setdefault(ledger, set())
        if self.name not in ready:  # once per open ledger: a server makes a follower per catch-up
            with self.db.setup_lock():
                self.tracker.create_table()
                _one_by_one(self.db, self.create_statements())
            ready.add(self.name)

    # ------------------------------------------------------------------ to implement
    @abstractmethod
    def create_statements(self) -> list[str]:
        """DDL of the follower's tables (idempotent)."""

    @abstractmethod
    def table_names(self) -> list[str]:
        """Qualified names of the follower's tables, dropped by :meth:`reset`."""

    def reset_statements(self) -> tuple[list[str], list[str]]:
        """DDL for empty tables at :meth:`reset`, and DDL deferred until the rebuild has caught up
        (indexes the follower never reads are cheaper built once than maintained row by row)."""
        return self.create_statements(), []

    @abstractmethod
    def apply(self, cur: Cursor, facts: list[Any]) -> None:
        """Apply one page (what :meth:`read` returned, in log order) inside the page's transaction."""

    def read(self, start: int, page: int, stop: int | None) -> tuple[list[Any], int]:
        """The next page after position ``start`` (at most ``page``, up to ``stop``) and the
        position of its last fact: by default the stored facts of :attr:`topics`, parsed."""
        facts = list(self.ledger.read_log(start, stop=stop, page=page, limit=page, topics=self.topics))
        return facts, (facts[-1].position or 0) if facts else start

    # ------------------------------------------------------------------ machinery
    def position(self) -> int:
        """The last log position this follower has applied (0: none)."""
        return self.tracker.max_tracking_id(self.tracking_name) or 0

    @property
    def _tracking_table(self) -> str:
        return tracking_table(self.ledger, self.name)

    def _lock(self, cur: Cursor) -> int:
        """Take this follower's write lock for the transaction; returns the position tracked then.
        Other processes may follow the same store (several `ingest`s, `serve`, `project
        --follow`): whoever holds the lock sees every page the others committed."""
        self.db.lock(cur, f"lokikirja-follower:{self._tracking_table}")
        return int(cur.scalar(f"SELECT MAX(notification_id) FROM {self._tracking_table} "
                              "WHERE application_name = %s", (self.tracking_name,)) or 0)

    def lag(self) -> int:
        return max(0, self.ledger.max_position() - self.position())

    def catch_up(self, progress: Progress | None = None, *, page: int = PAGE, stop: int | None = None) -> int:
        """Apply every fact after the tracked position (up to ``stop``); returns how many.

        On PostgreSQL the planner's statistics are refreshed whenever the facts applied have
        doubled (100,000, 200,000, 400,000, …): a server without autovacuum would otherwise plan a
        long catch-up's queries for the empty tables it began with — sequential scans, whose cost
        grows with the tables (a 10 M-event catch-up slowed to a few hundred facts a second)."""
        done, refresh_at, analysed = 0, REFRESH_FROM, -1
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"read-ahead-{self.name}") as reader:
            ahead: tuple[int, Future[tuple[list[Any], int]]] | None = None
            while True:
                start = self.position()
                if ahead is not None and ahead[0] == start:
                    facts, last = ahead[1].result()
                else:  # nothing read ahead, or another process moved the position meanwhile
                    facts, last = self.read(start, page, stop)
                ahead = None
                if not facts:
                    self._create_deferred()
                    if done >= ANALYZE_AFTER and analysed != done:
                        self.analyze()
                    return done
                if len(facts) == page and last != stop:  # a full page: the log likely goes on
                    ahead = (last, reader.submit(self.read, last, page, stop))
                self.page_start = start
                try:
                    applied = self._apply_page(facts, last)
                except BaseException:
                    self.page_start = None  # a failed page leaves no cache behind
                    raise
                if not applied:  # another process applied it first: read on from where it stopped
                    self.page_start = None
                    continue
                done += len(facts)
                if self.db.REFRESHES_STATISTICS and done >= refresh_at:
                    self.analyze()
                    refresh_at, analysed = 2 * done, done
                if progress is not None:
                    progress(len(facts))

    def _apply_page(self, facts: list[Any], last: int) -> bool:
        """Apply a page read after :attr:`page_start`, unless another process has moved the
        tracked position since (then nothing is written: ``False``)."""
        with collector_paused(), self.db.write() as cur:
            if self._lock(cur) != self.page_start:
                return False
            self.apply(cur, facts)
            self.tracker.track(cur, self.tracking_name, last)
        return True

    def _create_deferred(self) -> None:
        """Run the DDL :meth:`reset` deferred, once caught up. Should a rebuild stop before that,
        the next follower of the store creates it (``create_statements`` are run on opening)."""
        deferred, self._deferred = self._deferred, []
        if deferred:
            with self.db.setup_lock():  # another rebuild may end at the same time
                _one_by_one(self.db, deferred)

    def analyze(self) -> None:
        """Refresh the query planner's statistics of the follower's tables."""
        with self.db.write() as cur:
            for table in self.table_names():
                cur.execute(f"ANALYZE {table}")

    def reset(self) -> None:
        """Drop the follower's tables and forget its position (``rebuild`` then catches up)."""
        with self.db.write() as cur:
            self._lock(cur)
            for table in self.table_names():
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"DELETE FROM {self._tracking_table} WHERE application_name = %s", (self.tracking_name,))
            statements, self._deferred = self.reset_statements()
            for statement in statements:
                cur.execute(statement)
        # until the deferred DDL has run, the next follower made on this ledger runs it all again
        _SET_UP.get(self.ledger, set()).discard(self.name)

    def follow(self, stop_event: threading.Event, *, poll: float = 1.0,
               on_page: Progress | None = None) -> None:
        """Keep applying new facts until ``stop_event`` is set (``project --follow``)."""
        while not stop_event.is_set():
            if self.catch_up(on_page) == 0:
                self._wait_for_news(stop_event, poll)

    def _wait_for_news(self, stop_event: threading.Event, poll: float) -> None:
        self.db.wait_for_news(self.ledger.recorder, self.position(), stop_event, poll)


def _one_by_one(db: Any, statements: Sequence[str]) -> None:
    """Run idempotent DDL one statement per transaction. ``CREATE INDEX IF NOT EXISTS`` takes a
    share lock on its table even when the index exists; holding it while the next statement waits
    for a table that another process is writing a page into — whose page then waits for the first
    table — was a deadlock between two `ingest`s starting side by side (issue 17.9). One statement
    at a time, a process holds at most one such lock and only waits."""
    for statement in statements:
        with db.write() as cur:
            cur.execute(statement)
