"""Shared fixtures: one scenario, both backends.

- ``backend`` is parametrised over ``sqlite`` and ``postgres``; ``db_url`` is a fresh store for
  each test: a file in ``tmp_path``, or a fresh schema in this run's fresh PostgreSQL database.
- The PostgreSQL database is created at the start of the run from the maintenance connection
  ``LOKIKIRJA_TEST_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and dropped
  at the end. Unreachable: PostgreSQL tests are skipped with a one-line reason, except with
  ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from ledger.store import Ledger

MAINTENANCE_DSN = os.environ.get("LOKIKIRJA_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgres"]


def _with_dbname(dsn: str, dbname: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, "", ""))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run; its URL (no schema)."""
    name = f"lokikirja_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with psycopg.connect(MAINTENANCE_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as e:
        reason = f"PostgreSQL not reachable at {MAINTENANCE_DSN}: {str(e).strip().splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    yield _with_dbname(MAINTENANCE_DSN, name)
    with psycopg.connect(MAINTENANCE_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL variants at collection, so that ``-m "not postgres"`` deselects them
    (a marker applied while a test runs comes too late for ``-m``)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgres":
            item.add_marker(pytest.mark.postgres)


def fresh_db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return str(tmp_path / f"ledger-{uuid.uuid4().hex[:6]}.db")
    base = request.getfixturevalue("pg_database")
    return f"{base}?schema=t_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, not yet initialised store on the parametrised backend."""
    return fresh_db_url(backend, tmp_path, request)


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def ledger(db_url: str, keys_dir: Path) -> Iterator[Ledger]:
    """An initialised, open ledger on the parametrised backend."""
    opened, _ = Ledger.init(db_url, keys_dir)
    with opened:
        yield opened


class Cli:
    """The real ``lokikirja`` command in a subprocess, against one store and key folder."""

    def __init__(self, db: str, keys: Path, cwd: Path) -> None:
        self.db, self.keys, self.cwd = db, keys, cwd

    def __call__(self, *args: str, input: str | bytes | None = None,
                 check: int | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "LOKIKIRJA_DB": self.db, "LOKIKIRJA_KEYS": str(self.keys),
                    "COLUMNS": "200", **(env or {})}
        full_env.pop("LOKIKIRJA_DEBUG", None)
        data = input.decode() if isinstance(input, bytes) else input
        result = subprocess.run(
            [sys.executable, "-m", "service", *args], input=data, capture_output=True, text=True,
            cwd=self.cwd, env=full_env, timeout=600,
        )
        if check is not None:
            assert result.returncode == check, (
                f"exit {result.returncode}, expected {check}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        assert "Traceback" not in result.stderr, result.stderr
        return result


@pytest.fixture
def cli(db_url: str, keys_dir: Path, tmp_path: Path) -> Cli:
    return Cli(db_url, keys_dir, tmp_path)
