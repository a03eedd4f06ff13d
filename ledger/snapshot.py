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

Progress goes through ``bar(description, total, unit)`` (a context manager yielding ``advance(n)``),
so that the terminal is the caller's business.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ledger.checkpoints import Checkpoint
from ledger.errors import BackupFailed, UsageError
from ledger.store import Ledger, Target, _pg_connect, _pg_create_database, _pg_database_exists

Advance = Callable[[float], None]
Bar = Callable[[str, float | None, str], AbstractContextManager[Advance]]  # description, total, unit
CHUNK = 1 << 20
SQLITE_STEP = 4096  # pages per step of the online backup (16 MiB at SQLite's default page size)


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


def _state(ledger: Ledger, raw: Any) -> tuple[int, int, dict[str, Any] | None]:
    """The log's last position, its number of events and the latest checkpoint, read on ``raw``
    (a cursor inside the snapshot)."""
    events = ledger.app.recorder.events_table_name  # type: ignore[attr-defined]
    checkpoints = ledger.db.table("checkpoints")
    if ledger.db.kind == "postgres":
        events = sql.Identifier(ledger.db.datastore.schema, events).as_string(None)
        position_column = "notification_id"
        exists = raw.execute("SELECT to_regclass(%s)", (checkpoints,)).fetchone()[0] is not None
    else:
        position_column = "rowid"
        exists = raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                             (checkpoints,)).fetchone() is not None
    position, count = raw.execute(f"SELECT coalesce(max({position_column}), 0), count(*) FROM {events}").fetchone()
    row = raw.execute(f"SELECT tree_size, root_hash, timestamp, key_id, signature FROM {checkpoints} "
                      "ORDER BY tree_size DESC LIMIT 1").fetchone() if exists else None
    checkpoint = None if row is None else Checkpoint(int(row[0]), bytes(row[1]), row[2], row[3],
                                                     bytes(row[4])).to_json()
    return int(position), int(count), checkpoint


def copy_database(ledger: Ledger, folder: Path, bar: Bar = no_bar) -> Copy:
    """Copy the open ledger's database into ``folder`` (``database.sqlite`` or ``database.pgdump``,
    0600) from one consistent snapshot, while other processes go on writing."""
    if ledger.db.kind == "sqlite":
        return _copy_sqlite(ledger, folder / "database.sqlite", bar)
    return _dump_postgres(ledger, folder / "database.pgdump", bar)


def _copy_sqlite(ledger: Ledger, out: Path, bar: Bar) -> Copy:
    assert ledger.target.path is not None
    os.close(create_private(out))  # an empty file is an empty database: the copy is born 0600
    source = sqlite3.connect(ledger.target.path, isolation_level=None, timeout=60)
    copy = sqlite3.connect(out, isolation_level=None)
    try:
        source.execute("BEGIN")  # one read transaction: every step of the backup reads this snapshot
        position, events, checkpoint = _state(ledger, source)
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


def _pg_env(target: Target) -> dict[str, str]:
    """The environment of a PostgreSQL client tool: the password never on its command line."""
    assert target.pg is not None
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    if target.pg["password"]:
        env["PGPASSWORD"] = target.pg["password"]
    return env


def _pg_args(target: Target) -> list[str]:
    assert target.pg is not None
    p = target.pg
    return ["--no-password", "--host", p["host"], "--port", p["port"], "--username", p["user"], "--dbname", p["dbname"]]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(f"{name} was not found: install the PostgreSQL client tools (the server's major "
                           "version or newer) and put them on PATH")
    return found


def _failure(tool: str, stderr: str) -> BackupFailed:
    lines = [line.removeprefix(f"{tool}: ").strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")] or lines or ["no message"]
    return BackupFailed(f"{tool} failed: {errors[0].removeprefix('error: ')}; nothing was kept")


def _dump_postgres(ledger: Ledger, out: Path, bar: Bar) -> Copy:
    target = ledger.target
    assert target.pg is not None
    schema = target.pg["schema"]
    digest, size = hashlib.sha256(), 0
    with _pg_connect(target) as conn:
        conn.autocommit = False
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            snapshot = cur.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
            position, events, checkpoint = _state(ledger, cur)
            # --compress=1: at this level pg_dump runs 4x faster than at its default, for a dump 20 % larger
            command = [_tool("pg_dump"), "--format=custom", "--compress=1",
                       "--schema", '"' + schema.replace('"', '""') + '"', "--snapshot", snapshot,
                       "--lock-wait-timeout=60000", *_pg_args(target)]
            with tempfile.TemporaryFile() as errors, os.fdopen(create_private(out), "wb") as f, \
                    bar("dump the database", None, "bytes") as advance:
                dump = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=_pg_env(target))
                assert dump.stdout is not None
                while chunk := dump.stdout.read(CHUNK):
                    f.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    advance(len(chunk))
                f.flush()
                os.fsync(f.fileno())
                if dump.wait() != 0:
                    errors.seek(0)
                    raise _failure("pg_dump", errors.read().decode(errors="replace"))
        conn.rollback()  # the snapshot is released only after pg_dump has finished with it
    return Copy(out, digest.hexdigest(), size, position, events, checkpoint)


# ---------------------------------------------------------------------------------------- restore
def target_is_empty(target: Target) -> bool:
    """Whether ``target`` holds no store: no file (or an empty one), or no PostgreSQL database,
    schema, or relation or function in the schema."""
    if target.kind == "sqlite":
        assert target.path is not None
        return not target.path.exists() or (target.path.is_file() and target.path.stat().st_size == 0)
    assert target.pg is not None
    if not _pg_database_exists(target, with_schema=False):
        return True
    with _pg_connect(target) as conn:
        found = conn.execute(
            "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s) + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = %s)", (target.pg["schema"], target.pg["schema"])).fetchone()
    return found is None or found[0] == 0


def load_database(file: Path, target: Target, bar: Bar = no_bar) -> None:
    """Put the copied database ``file`` into the empty ``target``, entirely or not at all."""
    if target.kind == "sqlite":
        _load_sqlite(file, target, bar)
    else:
        _restore_postgres(file, target, bar)


def _load_sqlite(file: Path, target: Target, bar: Bar) -> None:
    assert target.path is not None
    path = target.path
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


def _restore_list(file: Path, schema: str, schema_exists: bool) -> list[str]:
    """``pg_restore --list`` of the archive; an existing (empty) schema is not created again."""
    listed = subprocess.run([_tool("pg_restore"), "--list", str(file)], capture_output=True, text=True)
    if listed.returncode != 0:
        raise _failure("pg_restore", listed.stderr)
    entries = listed.stdout.splitlines()
    if schema_exists:
        own = re.compile(rf"^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA ){re.escape(schema)} ")
        entries = [e for e in entries if not own.match(e)]
    return entries


def _restore_postgres(file: Path, target: Target, bar: Bar) -> None:
    assert target.pg is not None
    created = not _pg_database_exists(target, with_schema=False)
    if created:
        _pg_create_database(target)
    schema = target.pg["schema"]
    with _pg_connect(target) as conn:
        schema_exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None
    entries = _restore_list(file, schema, schema_exists)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".list") as listing:
            listing.write("\n".join(entries) + "\n")
            listing.flush()
            command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction",
                       "--exit-on-error", "--verbose", "--use-list", listing.name, *_pg_args(target), str(file)]
            steps = sum(1 for e in entries if e and not e.startswith(";"))
            with bar("restore the database", steps, "objects") as advance:
                run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                       env=_pg_env(target))
                assert run.stderr is not None
                said = []
                for line in run.stderr:
                    said.append(line)
                    if line.startswith(("pg_restore: creating", "pg_restore: processing data")):
                        advance(1)
                if run.wait() != 0:
                    raise _failure("pg_restore", "".join(said))
    except BaseException:
        if created:
            _drop_database(target)
        raise
    with _pg_connect(target) as conn:  # pg_restore leaves the planner without statistics
        for (table,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall():
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, table)))


def _drop_database(target: Target) -> None:
    assert target.pg is not None
    with _pg_connect(target, "postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target.pg["dbname"])))
