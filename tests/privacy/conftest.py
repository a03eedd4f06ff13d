"""Helpers of the privacy tests: the CLI run in-process (fast), a handle on the store's bytes.

``run`` invokes the very ``lokikirja`` command group in this process (click's runner), with the
store and key folder of the test; the subprocess ``cli`` fixture (tests/conftest.py) is kept for
the end-to-end assertions on exit codes and stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ledger.store import Ledger
from service.cli import main


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


Run = Callable[..., Ran]


@pytest.fixture
def run(db_url: str, keys_dir: Path) -> Run:
    """``run("findings", "--format", "json", check=0)``: the CLI in-process, against the test's store."""

    def invoke(*args: str, check: int | None = 0, env: dict[str, str] | None = None) -> Ran:
        runner = CliRunner()
        result = runner.invoke(main, list(args), env={"LOKIKIRJA_DB": db_url, "LOKIKIRJA_KEYS": str(keys_dir),
                                                      "COLUMNS": "200", **(env or {})}, catch_exceptions=False)
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        if check is not None:
            assert ran.exit_code == check, f"exit {ran.exit_code}, expected {check}\n{ran.stdout}\n{ran.stderr}"
        return ran

    return invoke


def log_size(db_url: str, keys_dir: Path) -> int:
    with Ledger.open(db_url, keys_dir, need_keys=False) as ledger:
        return ledger.max_position()


def data_key_rows(db_url: str, keys_dir: Path) -> dict[str, tuple[bytes, str]]:
    """``{subject: (wrapped key, master key id)}`` straight from the keys table."""
    with Ledger.open(db_url, keys_dir, need_keys=False) as ledger, ledger.db.read() as cur:
        rows = cur.execute(f"SELECT subject, wrapped, master_key_id FROM {ledger.db.table('data_keys')}").fetchall()
    return {s: (bytes(w), m) for s, w, m in rows}


def sqlite_bytes(db_url: str) -> bytes:
    """The raw bytes of an SQLite store with its -wal and -shm files."""
    return b"".join(p.read_bytes() for p in (Path(db_url), Path(db_url + "-wal"), Path(db_url + "-shm"))
                    if p.exists())
