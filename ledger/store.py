"""The event store: an eventsourcing ``Application`` on SQLite (embedded default) or PostgreSQL.

``--db TARGET`` / ``LOKIKIRJA_DB`` is a file path (SQLite) or a ``postgresql://`` URL. The store
keeps every fact as one stored event (ADR 0001); its notification id is the fact's position.
:class:`Ledger` is what the rest of Lokikirja opens: the application, the SQL seam to Lokikirja's
own tables, the keys, and the append transaction that makes ingest atomic and idempotent.
"""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
import psycopg.errors
from eventsourcing.application import Application
from eventsourcing.utils import get_topic
from psycopg.sql import Identifier

from ledger.db import Cursor, Database, PostgresDatabase, SQLiteDatabase, folder_lock, pg_setup_lock
from ledger.errors import KeyMismatch, NotInitialised, UsageError
from ledger.keys import KeyRing, create_keys, load_keys, resolve_keys_dir
from ledger.privacy import DataKeys
from ledger.private_files import create_private
from ledger.recorders import LedgerPostgresRecorder, LedgerSQLiteRecorder
from ledger.records import FactMapper, StoredFact

DEFAULT_DB = "lokikirja.db"
STATISTICS_FROM = 20_000  # facts in the log before its planner statistics are first refreshed


class Lokikirja(Application[UUID]):
    """The ledger's eventsourcing application: one stored event per fact."""

    name = "Lokikirja"
    env: ClassVar[dict[str, str]] = {"MAPPER_TOPIC": get_topic(FactMapper)}


@dataclass(frozen=True)
class Target:
    """Where a ledger lives: ``kind`` is ``sqlite`` or ``postgres``."""

    kind: str
    display: str
    env: dict[str, str] = field(repr=False)
    path: Path | None = None
    pg: dict[str, str] | None = field(default=None, repr=False)

    def exists(self) -> bool:
        if self.kind == "sqlite":
            assert self.path is not None
            return self.path.exists()
        return _pg_database_exists(self)


def resolve_target(db: str | None) -> Target:
    """The store named by ``--db``, else ``LOKIKIRJA_DB``, else ``./lokikirja.db``."""
    spec = db or os.environ.get("LOKIKIRJA_DB") or DEFAULT_DB
    if spec.startswith(("postgresql://", "postgres://")):
        return _postgres_target(spec)
    if "://" in spec:
        raise UsageError(f"--db must be a file path or a postgresql:// URL, not {spec.split('://')[0]}://")
    path = Path(spec).expanduser().resolve()
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "60",
        "APPLICATION_RECORDER_TOPIC": get_topic(LedgerSQLiteRecorder),
    }
    return Target("sqlite", str(path), env, path=path)


def _postgres_target(url: str) -> Target:
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
    return Target("postgres", safe, env, pg=pg)


def _pg_connect(target: Target, dbname: str | None = None) -> psycopg.Connection[Any]:
    assert target.pg is not None
    p = target.pg
    try:
        return psycopg.connect(
            dbname=dbname or p["dbname"], host=p["host"], port=p["port"], user=p["user"],
            password=p["password"] or None, connect_timeout=10, autocommit=True,
        )
    except psycopg.OperationalError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise NotInitialised(f"cannot reach PostgreSQL at {target.display}: {first}") from None


def _pg_database_exists(target: Target, *, with_schema: bool = True) -> bool:
    assert target.pg is not None
    with _pg_connect(target, "postgres") as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target.pg["dbname"],)).fetchone() is None:
            return False
    if not with_schema:
        return True
    with _pg_connect(target) as conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                            (target.pg["schema"],)).fetchone() is not None


def _pg_create_database(target: Target) -> None:
    assert target.pg is not None
    with _pg_connect(target, "postgres") as conn, contextlib.suppress(
        psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation  # another process created it first
    ):
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(target.pg["dbname"])))


@contextlib.contextmanager
def _setup_lock(target: Target) -> Iterator[None]:
    """While the store's schema is set up (eventsourcing creates its tables, functions and
    triggers whenever an application is made): ``Database.setup_lock``, on PostgreSQL on a
    connection of its own, as the application's pool does not exist yet."""
    if target.kind != "postgres":
        assert target.path is not None
        with folder_lock(target.path.parent):
            yield
        return
    assert target.pg is not None
    with _pg_connect(target) as conn, pg_setup_lock(conn, target.pg["schema"]):
        yield


def _pg_create_schema(target: Target) -> None:
    """Create the schema when missing (an existing one needs no CREATE privilege on the database)."""
    assert target.pg is not None
    with _pg_connect(target) as conn:
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (target.pg["schema"],)).fetchone():
            return
        conn.execute(psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
            psycopg.sql.Identifier(target.pg["schema"])))


class Ledger:
    """An open ledger. Use :meth:`open` or :meth:`init`; close it (or use ``with``)."""

    def __init__(self, target: Target, keys: KeyRing | None, app: Lokikirja) -> None:
        self.target = target
        self.app = app
        datastore = app.recorder.datastore  # type: ignore[attr-defined]
        self.db: Database = (
            SQLiteDatabase(datastore) if target.kind == "sqlite" else PostgresDatabase(datastore)
        )
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
        if target.kind == "sqlite":
            assert target.path is not None
            if not target.path.parent.exists():
                raise UsageError(f"the folder {target.path.parent} does not exist")
        else:
            if not _pg_database_exists(target, with_schema=False):
                _pg_create_database(target)
        with _setup_lock(target):
            if target.kind == "postgres":
                _pg_create_schema(target)
            else:  # personal data: the file 0600, and so its -wal and -shm (SQLite copies the mode)
                assert target.path is not None
                create_private(target.path)
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
        with _setup_lock(target):
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
            if self.db.kind == "postgres":
                for s in self.app.recorder.append_only_statements():  # type: ignore[attr-defined]
                    cur.execute(s)
                for s in self._erasure_guard():
                    cur.execute(s)

    def _erasure_guard(self) -> list[str]:
        schema = self.db.datastore.schema
        events = Identifier(schema, self.app.recorder.events_table_name).as_string(None)  # type: ignore[attr-defined]
        return DataKeys(self.db, self.keys).erasure_guard_statements(events, schema)

    def _add_erasure_guard(self) -> None:
        """PostgreSQL: give a store made before it the data keys' erasure trigger (``init`` again, as
        the owner; a role that may not create it leaves the store as it is)."""
        if self.db.kind != "postgres":
            return
        with self.db.read() as cur:
            if cur.scalar("SELECT 1 FROM pg_trigger WHERE tgname = 'lokikirja_erasure_logged' "
                          "AND tgrelid = %s::regclass", (self.db.table("data_keys"),)):
                return
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege), self.db.write() as cur:
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
        recorder = self.app.recorder
        with recorder.append_transaction() as (cur, insert):  # type: ignore[attr-defined]
            yield AppendTransaction(self, Cursor(cur, self.db.kind), insert)

    def max_position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def refresh_statistics(self, tables: Sequence[str] = ()) -> bool:
        """PostgreSQL: ``ANALYZE`` the log (and ``tables`` growing with it, the seal's) once it holds
        more than twice the rows the planner last counted (from 20,000 facts on). A server without
        autovacuum would otherwise plan look-ups in a log of millions as for an empty table — and
        compile them with JIT: an event looked up by id took 40 ms at 10 M events instead of 0.6.
        Returns whether it analysed."""
        if self.db.kind != "postgres":
            return False
        recorder = self.app.recorder
        events = Identifier(self.db.datastore.schema, recorder.events_table_name).as_string(None)  # type: ignore[attr-defined]
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
        recorder = self.app.recorder
        position, left = start, limit
        while left is None or left > 0:
            size = page if left is None else min(page, left)
            batch: list[StoredFact] = recorder.facts_after(position, size, stop, topics)  # type: ignore[attr-defined]
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
            out += self.app.recorder.facts_at(ordered[i : i + 1000])  # type: ignore[attr-defined]
        return sorted(out, key=lambda f: f.position or 0)

    def facts_by_id(self, ids: Sequence[UUID]) -> dict[UUID, StoredFact]:
        out: dict[UUID, StoredFact] = {}
        for i in range(0, len(ids), 1000):
            for fact in self.app.recorder.facts_by_id(ids[i : i + 1000]):  # type: ignore[attr-defined]
                out[fact.id] = fact
        return out


@dataclass
class AppendTransaction:
    """The open append: look up what is stored, get data keys, insert facts."""

    ledger: Ledger
    cur: Cursor
    _insert: Any

    def stored_fingerprints(self, ids: Sequence[UUID]) -> dict[UUID, str]:
        """``{id: fp}`` of the given ids that the log already holds (this transaction included)."""
        return self.ledger.app.recorder.fingerprints(self.cur.raw, ids)  # type: ignore[attr-defined]

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
        return self._insert([f.to_stored_event(recorded_text=recorded[f.recorded_at]) for f in facts])  # type: ignore[no-any-return]


def _open_app(target: Target) -> Lokikirja:
    try:
        return Lokikirja(env=target.env)
    except Exception as e:
        raise NotInitialised(f"cannot open the ledger at {target.display}: {e}") from None


def contract_json(ledger: Ledger, facts: Sequence[StoredFact]) -> list[dict[str, Any]]:
    """The contract JSON of stored facts, personal fields decrypted where the keys still exist."""
    from ledger.privacy import personal_subject, reveal

    subjects = {s for f in facts if (s := personal_subject(f.type, f.data))}
    with ledger.db.read() as cur:
        keys = ledger.data_keys.for_reading(cur, subjects) if subjects else {}
    return [{"id": str(f.id), "type": f.type, "at": f.at_text, "actor": f.actor,
             "data": reveal(f.type, str(f.id), f.data, keys)} for f in facts]
