"""The event store: an eventsourcing ``Application`` on SQLite (embedded default) or PostgreSQL.

``--db TARGET`` / ``LOKIKIRJA_DB`` is a file path (SQLite, ``ledger/sqlite.py``) or a
``postgresql://`` URL (``ledger/postgres.py``); :data:`SCHEMES` maps a URL's scheme to its
backend module, and nothing here asks which backend it is on (ADR 0016). The store
keeps every fact as one stored event (ADR 0001); its notification id is the fact's position.
:class:`Ledger` is what the rest of Lokikirja opens: the application, the SQL seam to Lokikirja's
own tables, the keys, and the append transaction that makes ingest atomic and idempotent.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from ledger.backend import Target
from ledger.db import Cursor, Database
from ledger.errors import KeyMismatch, NotInitialised, UsageError
from ledger.keys import KeyRing, create_keys, load_keys, resolve_keys_dir
from ledger.postgres import PostgresTarget, postgres_target
from ledger.privacy import DataKeys
from ledger.recorders import Insert, LedgerRecorder
from ledger.records import FactMapper, StoredFact
from ledger.sqlite import SQLiteTarget, sqlite_target

DEFAULT_DB = "lokikirja.db"
STATISTICS_FROM = 20_000  # facts in the log before its planner statistics are first refreshed


class Lokikirja(Application[UUID]):
    """The ledger's eventsourcing application: one stored event per fact."""

    name = "Lokikirja"
    env: ClassVar[dict[str, str]] = {"MAPPER_TOPIC": get_topic(FactMapper)}


#: every backend, by the name users see (a backup's manifest records it)
BACKENDS: dict[str, type[Target]] = {t.kind: t for t in (SQLiteTarget, PostgresTarget)}
#: the backend module for each URL scheme ``--db`` may use; anything else without ``://`` is a SQLite file
SCHEMES: dict[str, Callable[[str], Target]] = {"postgresql": postgres_target, "postgres": postgres_target}


def resolve_target(db: str | None) -> Target:
    """The store named by ``--db``, else ``LOKIKIRJA_DB``, else ``./lokikirja.db``."""
    spec = db or os.environ.get("LOKIKIRJA_DB") or DEFAULT_DB
    if "://" in spec:
        scheme = spec.split("://")[0]
        if scheme not in SCHEMES:
            raise UsageError(f"--db must be a file path or a postgresql:// URL, not {scheme}://")
        return SCHEMES[scheme](spec)
    return sqlite_target(spec)


class Ledger:
    """An open ledger. Use :meth:`open` or :meth:`init`; close it (or use ``with``)."""

    def __init__(self, target: Target, keys: KeyRing | None, app: Lokikirja) -> None:
        self.target = target
        self.app = app
        self.db: Database = target.database(self.recorder.datastore)
        self._keys = keys
        self.meta_table = self.db.table("meta")

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def init(cls, db: str | None = None, keys_dir: str | os.PathLike[str] | None = None,
             origin: str | None = None) -> tuple[Ledger, bool]:
        """Create the store and the keys if missing. Returns the ledger and whether it was new.
        ``origin``: the log's identity in its checkpoint notes (fixed at creation)."""
        target = resolve_target(db)
        folder = resolve_keys_dir(keys_dir).resolve()
        target.prepare()
        with target.setup_lock():
            target.create_schema()
            return cls._init_opened(target, _open_app(target), keys_dir, folder, origin)

    @classmethod
    def _init_opened(cls, target: Target, app: Lokikirja, keys_dir: str | os.PathLike[str] | None,
                     folder: Path, origin: str | None) -> tuple[Ledger, bool]:
        ledger = cls(target, None, app)
        existing = ledger._meta_or_none()
        if existing is not None and "index_key_id" in existing:
            ledger._keys = ledger._load_keys(keys_dir, existing)
            had = existing.get("origin") or f"lokikirja.invalid/{existing['signing_key_id']}"
            if origin is not None and origin != had:
                ledger.close()
                raise UsageError(f"this ledger's origin is {had}; an origin is fixed when the ledger is created")
            ledger._add_erasure_guard()
            return ledger, False
        ring = create_keys(folder)
        ledger._keys = ring
        ledger._create_tables()
        now = datetime.now(UTC).isoformat()
        ledger.set_meta({
            "created_at": now, "keys_dir": str(folder), "schema_version": "1",
            "index_key_id": ring.index_key_id, "master_key_id": ring.master_key_id,
            "signing_key_id": ring.signing_key_id,
            "signing_public_key": __import__("base64").b64encode(ring.public_key_bytes).decode(),
            "origin": origin or f"lokikirja.invalid/{ring.signing_key_id}",
        })
        return ledger, True

    @classmethod
    def open(cls, db: str | None = None, keys_dir: str | os.PathLike[str] | None = None,
             *, need_keys: bool = True, create: bool = False) -> Ledger:
        """Open an initialised ledger (``create=True``: initialise it first when missing)."""
        if create:
            return cls.init(db, keys_dir)[0]
        return cls.open_target(resolve_target(db), keys_dir, need_keys=need_keys)

    @classmethod
    def open_target(cls, target: Target, keys_dir: str | os.PathLike[str] | None = None,
                    *, need_keys: bool = True) -> Ledger:
        """Open the initialised ledger at ``target`` (a read replica's is made by ``ledger/replica.py``)."""
        if not target.exists():
            raise NotInitialised(f"no ledger at {target.display}; run `lokikirja init` first")
        with target.setup_lock():
            app = _open_app(target)
        ledger = cls(target, None, app)
        meta = ledger._meta_or_none()
        if meta is None or "index_key_id" not in meta:
            ledger.close()
            raise NotInitialised(f"no ledger at {target.display}; run `lokikirja init` first")
        if need_keys:
            ledger._keys = ledger._load_keys(keys_dir, meta)
        return ledger

    def _load_keys(self, keys_dir: str | os.PathLike[str] | None, meta: dict[str, str]) -> KeyRing:
        folder = resolve_keys_dir(keys_dir)
        explicit = keys_dir or os.environ.get("LOKIKIRJA_KEYS")
        if not explicit and not folder.exists() and meta.get("keys_dir"):
            folder = Path(meta["keys_dir"])  # the folder `init` recorded
        if (folder / "signing.key.pending").exists():  # a signing-key rotation stopped half-way
            from ledger.checkpoints import finish_signing_rotation

            finish_signing_rotation(folder, meta)
        ring = load_keys(folder)
        if ring.index_key_id != meta["index_key_id"] or ring.signing_key_id != meta["signing_key_id"]:
            raise KeyMismatch(f"the keys in {folder} are not the keys of the ledger at {self.target.display}")
        if ring.master_key_id != meta["master_key_id"]:
            raise KeyMismatch(f"the master key in {folder} is not the one this ledger's data keys are wrapped with")
        return ring

    @property
    def recorder(self) -> LedgerRecorder:
        """The application's event recorder, as the ledger's interface to it."""
        recorder = self.app.recorder
        if not isinstance(recorder, LedgerRecorder):
            raise TypeError(f"the ledger's recorder must be a LedgerRecorder, not {type(recorder).__name__}")
        return recorder

    def close(self) -> None:
        self.app.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def keys(self) -> KeyRing:
        if self._keys is None:
            raise NotInitialised("this command needs the ledger's keys")
        return self._keys

    @property
    def data_keys(self) -> DataKeys:
        return DataKeys(self.db, self.keys)

    # ------------------------------------------------------------------ meta
    def _create_tables(self) -> None:
        statements = [f"CREATE TABLE IF NOT EXISTS {self.meta_table} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"]
        statements += DataKeys(self.db, self.keys).create_statements()
        with self.db.write() as cur:
            for s in statements:
                cur.execute(s)
            for s in self.recorder.guard_statements():
                cur.execute(s)
            for s in self._erasure_guard():
                cur.execute(s)

    def _erasure_guard(self) -> list[str]:
        return self.db.erasure_guard_statements(self.recorder.events_table, self.db.table("data_keys"))

    def _add_erasure_guard(self) -> None:
        """Give a store made before it the data keys' erasure trigger, where the backend has one
        (``init`` again, as the owner; a role that may not create it leaves the store as it is)."""
        if not self._erasure_guard():
            return
        with self.db.read() as cur:
            if self.db.trigger_exists(cur, "lokikirja_erasure_logged", self.db.table("data_keys")):
                return
        with contextlib.suppress(*self.db.insufficient_privilege), self.db.write() as cur:
            for statement in self._erasure_guard():
                cur.execute(statement)

    def _meta_or_none(self) -> dict[str, str] | None:
        try:
            with self.db.read() as cur:
                return dict(cur.execute(f"SELECT name, value FROM {self.meta_table}").fetchall())
        except Exception:  # the table does not exist yet
            return None

    def meta(self) -> dict[str, str]:
        meta = self._meta_or_none()
        if meta is None:
            raise NotInitialised(f"no ledger at {self.target.display}; run `lokikirja init` first")
        return meta

    def set_meta(self, values: dict[str, str], cur: Cursor | None = None) -> None:
        rows = list(values.items())
        sql = (f"INSERT INTO {self.meta_table} (name, value) VALUES (%s, %s) "
               "ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        if cur is not None:
            cur.executemany(sql, rows)
            return
        with self.db.write() as c:
            c.executemany(sql, rows)

    # ------------------------------------------------------------------ the log
    @contextlib.contextmanager
    def appending(self) -> Iterator[AppendTransaction]:
        """One atomic append: everything inserted through it commits together or not at all."""
        with self.recorder.append_transaction() as (raw, insert):
            yield AppendTransaction(self, self.db.wrap(raw), insert)

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def refresh_statistics(self, tables: Sequence[str] = ()) -> bool:
        """PostgreSQL: ``ANALYZE`` the log (and ``tables`` growing with it, the seal's) once it holds
        more than twice the rows the planner last counted (from 20,000 facts on). A server without
        autovacuum would otherwise plan look-ups in a log of millions as for an empty table — and
        compile them with JIT: an event looked up by id took 40 ms at 10 M events instead of 0.6.
        Returns whether it analysed."""
        if not self.db.REFRESHES_STATISTICS:
            return False
        events = self.recorder.events_table
        with self.db.read() as cur:
            counted = cur.scalar("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (events,))
        if self.max_position() <= 2 * max(counted or 0, STATISTICS_FROM / 2):
            return False
        with self.db.write() as cur:
            for table in (events, *tables):
                cur.execute(f"ANALYZE {table}")
        return True

    def read_log(self, start: int = 0, stop: int | None = None, page: int = 5000,
                 topics: Sequence[str] = (), limit: int | None = None) -> Iterator[StoredFact]:
        """Facts with ``start < position ≤ stop`` in log order (at most ``limit``), one page in
        memory at a time."""
        recorder = self.recorder
        position, left = start, limit
        while left is None or left > 0:
            size = page if left is None else min(page, left)
            batch: list[StoredFact] = recorder.facts_after(position, size, stop, topics)
            if not batch:
                return
            yield from batch
            position = batch[-1].position
            if left is not None:
                left -= len(batch)

    def facts_at(self, positions: Sequence[int]) -> list[StoredFact]:
        """The facts at the given log positions, in log order."""
        out: list[StoredFact] = []
        ordered = sorted(set(positions))
        for i in range(0, len(ordered), 1000):
            out += self.recorder.facts_at(ordered[i : i + 1000])
        return sorted(out, key=lambda f: f.position or 0)

    def facts_by_id(self, ids: Sequence[UUID]) -> dict[UUID, StoredFact]:
        out: dict[UUID, StoredFact] = {}
        for i in range(0, len(ids), 1000):
            for fact in self.recorder.facts_by_id(ids[i : i + 1000]):
                out[fact.id] = fact
        return out


@dataclass
class AppendTransaction:
    """The open append: look up what is stored, get data keys, insert facts."""

    ledger: Ledger
    cur: Cursor
    _insert: Insert

    def stored_fingerprints(self, ids: Sequence[UUID]) -> dict[UUID, str]:
        """``{id: fp}`` of the given ids that the log already holds (this transaction included)."""
        return self.ledger.recorder.fingerprints(self.cur.raw, ids)

    def data_keys(self, subjects: Sequence[str]) -> dict[str, bytes]:
        return self.ledger.data_keys.for_writing(self.cur, subjects)

    def insert(self, facts: Sequence[StoredFact]) -> Sequence[int]:
        """Append ``facts`` in order; returns their positions (on PostgreSQL, a few facts' positions
        are read when first asked for, or at the commit: asking within the transaction costs a
        round trip)."""
        if not facts:
            return []
        recorded: dict[datetime, str] = {}
        for f in facts:
            if f.recorded_at not in recorded:
                recorded[f.recorded_at] = f.recorded_at.isoformat(timespec="microseconds")
        return self._insert([f.to_stored_event(recorded_text=recorded[f.recorded_at]) for f in facts])

    def insert_if_absent(self, event: StoredEvent) -> Callable[[], str | None]:
        """Append ``event`` unless its id is stored; the returned function tells, after the commit,
        the fingerprint stored before (``None``: appended). On PostgreSQL this costs no round trip
        of its own: a lone fact (the gateway path) commits in one."""
        return self.ledger.recorder.insert_if_absent(self.cur.raw, event, self._insert)

    def insert_stored(self, events: Sequence[StoredEvent]) -> Sequence[int]:
        """Append facts already in their stored form (``ledger/ingest``), in order."""
        return self._insert(events) if events else []


def _open_app(target: Target) -> Lokikirja:
    try:
        return Lokikirja(env=target.env)
    except Exception as e:
        raise NotInitialised(f"cannot open the ledger at {target.display}: {e}") from None
