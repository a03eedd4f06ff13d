"""Where a ledger lives: a :class:`Target`, one subclass per backend, each in its backend's module.

``--db TARGET`` / ``LOKIKIRJA_DB`` is a file path (SQLite, ``ledger/sqlite.py``) or a
``postgresql://`` URL (PostgreSQL, ``ledger/postgres.py``). :func:`ledger.store.resolve_target`
picks the module by the URL's scheme; everything after that goes through the target's methods,
its :class:`~ledger.db.Database` and its :class:`~ledger.recorders.LedgerRecorder` (ADR 0016).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ledger.db import Cursor, Database

if TYPE_CHECKING:
    from ledger.snapshot import Bar, Copy
    from ledger.store import Ledger


@dataclass(frozen=True)
class Target(ABC):
    """Where a ledger lives: how to show it, the eventsourcing environment that opens it, and
    what its backend does before and around opening it."""

    display: str
    env: dict[str, str] = field(repr=False)
    #: the backend's name, as users see it and a backup's manifest records it
    kind: ClassVar[str]
    #: the database's file in a backup (``lokikirja backup``)
    backup_file: ClassVar[str]
    #: what ``--db`` names for this backend, in users' words
    described: ClassVar[str]

    @property
    def schema(self) -> str | None:
        """The namespace of the store's tables inside its database, where there are several."""
        return None

    @abstractmethod
    def database(self, datastore: Any) -> Database:
        """The SQL seam to Lokikirja's own tables over the opened application's ``datastore``."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether a store (perhaps not yet initialised) is there."""

    @abstractmethod
    def prepare(self) -> None:
        """Before ``init`` opens it: what must exist for the store to be created (a folder, a database)."""

    @abstractmethod
    def create_schema(self) -> None:
        """Under :meth:`setup_lock`, before the application creates its tables: their namespace."""

    @abstractmethod
    def setup_lock(self) -> AbstractContextManager[None]:
        """Serialises schema setup with other processes opening the same store (the application's
        own pool does not exist yet)."""

    @abstractmethod
    def own_cursor(self, snapshot: str | None) -> AbstractContextManager[Cursor]:
        """A read-only cursor on a connection of its own (``snapshot``: one exported by
        :meth:`Database.export_snapshot`, read in that same snapshot)."""


    # ------------------------------------------------------------------ backup and restore (ADR 0013)
    @abstractmethod
    def copy_database(self, ledger: Ledger, out: Path, bar: Bar) -> Copy:
        """Copy the open ``ledger``'s database into the new file ``out`` (0600) from one consistent
        read snapshot, while other processes go on writing."""

    @abstractmethod
    def is_empty(self) -> bool:
        """Whether no store is there (a restore goes only into an empty target)."""

    @abstractmethod
    def check_restorable(self, manifest: dict[str, Any]) -> None:
        """Refuse (:class:`~ledger.errors.UsageError`) a backup this target cannot take as it is."""

    @abstractmethod
    def load_database(self, file: Path, bar: Bar) -> None:
        """Put the copied database ``file`` into this empty target, entirely or not at all."""
