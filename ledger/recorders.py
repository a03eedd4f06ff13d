"""What Lokikirja's event recorders offer beyond eventsourcing's application recorder, declared once.

Each backend module subclasses the library's recorder for its database and this interface
(``ledger/sqlite.py``: :class:`~ledger.sqlite.LedgerSQLiteRecorder`, ``ledger/postgres.py``:
:class:`~ledger.postgres.LedgerPostgresRecorder`), at the library's seams:

- :meth:`LedgerRecorder.append_transaction`: one transaction spanning many inserts, holding the
  write lock from the start, so that "is this id already stored?" and the insert cannot race, and
  a file is stored entirely or not at all;
- :meth:`LedgerRecorder.fingerprints` and :meth:`LedgerRecorder.facts_by_id`: look-ups by contract
  id (the originator id);
- reads of the log as :class:`~ledger.records.StoredFact` without building a notification per row;
- the log table's name and position column, for the seal's direct reads.

The library's own recorder test cases run against both subclasses (tests/ledger).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from ledger.records import StoredFact

#: inserts stored events in the open append transaction; returns their positions
Insert = Callable[[Sequence[StoredEvent]], Sequence[int]]


class LedgerRecorder(ApplicationRecorder):
    """An application recorder the ledger can append to atomically and read facts from."""

    events_table_name: str
    datastore: Any
    #: the column that holds a stored event's position (its notification id)
    position_column: str

    @property
    @abstractmethod
    def events_table(self) -> str:
        """The log table's qualified, quoted name, ready to put in SQL."""

    @abstractmethod
    def append_transaction(self) -> AbstractContextManager[tuple[Any, Insert]]:
        """One atomic append holding the write lock: yields the raw cursor and an insert function;
        commits when the block ends, rolls back on any exception."""

    @abstractmethod
    def fingerprints(self, raw: Any, ids: Sequence[UUID]) -> dict[UUID, str]:
        """``{id: fp}`` of the given ids that the log holds, read on ``raw`` (the append's cursor)."""

    def insert_if_absent(self, raw: Any, event: StoredEvent, insert: Insert) -> Callable[[], str | None]:
        """Append ``event`` unless the log holds its id. Returns a function that tells, once the
        append has committed, the fingerprint stored before (``None``: ``event`` was inserted).
        Here: look up, then insert; a backend with round trips may send both with the commit."""
        stored = self.fingerprints(raw, [event.originator_id]).get(event.originator_id)
        if stored is None:
            insert([event])
        return lambda: stored

    @abstractmethod
    def facts_after(self, start: int, limit: int, stop: int | None = None,
                    topics: Sequence[str] = ()) -> list[StoredFact]:
        """Up to ``limit`` facts with ``start < position ≤ stop`` of ``topics`` (all if empty), in log order."""

    @abstractmethod
    def facts_at(self, positions: Sequence[int]) -> list[StoredFact]:
        """The facts at ``positions`` (any order)."""

    @abstractmethod
    def facts_by_id(self, ids: Sequence[UUID]) -> list[StoredFact]:
        """The facts with the given contract ids (any order)."""

    @abstractmethod
    def guard_statements(self) -> list[Any]:
        """DDL run as the store's owner at ``init`` that makes the log append-only beyond what
        creating the table already did (empty where the table's own triggers suffice)."""

    @abstractmethod
    def event_id_bytes(self, stored: Any) -> bytes:
        """The 16 bytes of an originator id as the log table returns it."""

    @abstractmethod
    def event_id_param(self, event: UUID) -> Any:
        """An originator id as a parameter compared with the log table's column."""

