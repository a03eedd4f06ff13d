"""A consistent copy of a store's database while it is in use, and its return into an empty one.

Both backends copy **one read snapshot** (ADR 0013), so a copy taken while ingest runs holds whole
append transactions only, the read model and the seal as of the same moment, and the latest
checkpoint of that moment — which :class:`Copy` reports, read in that same snapshot:

- **SQLite**: the online backup API (``sqlite3.Connection.backup``), in steps of pages, from a
  connection that holds one read transaction for the whole copy. In WAL mode that transaction
  neither blocks writers nor is restarted by them: every step reads the same snapshot.
- **PostgreSQL**: a ``REPEATABLE READ`` transaction exports its snapshot; ``pg_dump
  --snapshot`` dumps the store's schema (tables, sequences, functions, triggers, indexes) in
  exactly that snapshot, in its custom format. ``pg_restore --single-transaction`` loads it into
  an empty database or schema of the same name: all or nothing.

Each backend's way is its target's (``ledger/sqlite.py``, ``ledger/postgres.py``); this module holds
what they share. Progress goes through ``bar(description, total, unit)`` (a context manager yielding ``advance(n)``),
so that the terminal is the caller's business.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.db import Cursor

if TYPE_CHECKING:  # the backends' modules use this one's helpers; it needs theirs only through the target
    from ledger.backend import Target
    from ledger.store import Ledger

Advance = Callable[[float], None]
Bar = Callable[[str, float | None, str], AbstractContextManager[Advance]]  # description, total, unit
CHUNK = 1 << 20


@contextmanager
def no_bar(_description: str, _total: float | None, _unit: str) -> Iterator[Advance]:
    yield lambda _n: None


@dataclass(frozen=True)
class Copy:
    """A database copied into a backup: its file, and what the snapshot held."""

    file: Path
    sha256: str
    size: int
    position: int
    events: int
    checkpoint: dict[str, Any] | None


def create_private(path: Path) -> int:
    """A new file (0600) that must not exist yet; its descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def sha256_of(path: Path, advance: Advance = lambda _n: None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            advance(len(chunk))
    return digest.hexdigest()


def log_state(ledger: Ledger, cur: Cursor) -> tuple[int, int, dict[str, Any] | None]:
    """The log's last position, its number of events and the latest checkpoint, read on ``cur``
    (a cursor inside the snapshot)."""
    from ledger.checkpoints import Checkpoint

    recorder, checkpoints = ledger.recorder, ledger.db.table("checkpoints")
    exists = ledger.db.table_exists(cur, checkpoints)
    position, count = cur.execute(f"SELECT coalesce(max({recorder.position_column}), 0), count(*) "
                                  f"FROM {recorder.events_table}").fetchone() or (0, 0)
    row = cur.execute(f"SELECT tree_size, root_hash, timestamp, key_id, signature FROM {checkpoints} "
                      "ORDER BY tree_size DESC LIMIT 1").fetchone() if exists else None
    checkpoint = None if row is None else Checkpoint(int(row[0]), bytes(row[1]), row[2], row[3],
                                                     bytes(row[4])).to_json()
    return int(position), int(count), checkpoint


def copy_database(ledger: Ledger, folder: Path, bar: Bar = no_bar) -> Copy:
    """Copy the open ledger's database into ``folder`` (its target's ``backup_file``, 0600) from
    one consistent snapshot, while other processes go on writing."""
    return ledger.target.copy_database(ledger, folder / ledger.target.backup_file, bar)


# ---------------------------------------------------------------------------------------- restore
def target_is_empty(target: Target) -> bool:
    """Whether ``target`` holds no store (restore goes only into an empty one)."""
    return target.is_empty()


def load_database(file: Path, target: Target, bar: Bar = no_bar) -> None:
    """Put the copied database ``file`` into the empty ``target``, entirely or not at all."""
    target.load_database(file, bar)
