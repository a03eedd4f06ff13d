"""Files of personal data are the owner's alone (0600) whatever the umask; a DPO's query is covered
by a signed checkpoint at once; an access log of someone the ledger does not know says so (issue 19.8)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ledger.store import Ledger
from tests.factories import hetu, write_jsonl
from tests.privacy.conftest import Run
from tests.scenarios import EVENTS

WHO = ("--as", "u:dpo-1", "--purpose", "request 2026/19")


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The usual umask, which leaves new files readable by everyone (0644)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_sqlite_store_and_its_wal_and_shm_files_are_private(lax_umask, db_url: str, keys_dir: Path, run: Run,
                                                                 tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    with Ledger.open(db_url, keys_dir) as ledger:  # open: the -wal and -shm files exist
        with ledger.db.write() as cur:
            cur.execute(f"SELECT count(*) FROM {ledger.db.table('meta')}")
        files = [Path(db_url + suffix) for suffix in ("", "-wal", "-shm")]
        assert {_mode(p) for p in files} == {0o600}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_letters_reports_and_bundles_are_written_0600_even_over_an_older_file(lax_umask, run: Run, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    older = tmp_path / "report.html"
    older.write_text("an older report")
    assert _mode(older) == 0o644
    letter, dossier, bundle = tmp_path / "letter.html", tmp_path / "dossier.html", tmp_path / "bundle.json"
    written = {
        older: ("supervision", "--format", "html", "--out", str(older)),
        letter: ("subject-report", "--subject", "c:a1", *WHO, "--format", "html", "--out", str(letter)),
        dossier: ("dossier", "c:a1", *WHO, "--format", "html", "--out", str(dossier)),
        bundle: ("dossier", "c:a1", *WHO, "--format", "bundle", "--out", str(bundle)),
    }
    for path, args in written.items():
        run(*args)
        assert _mode(path) == 0o600, path
        assert path.read_text().startswith(("<!doctype html>", "{")), path


def test_a_dpos_queries_are_sealed_and_signed_at_once_so_verify_covers_them(backend, run: Run, db_url: str,
                                                                           keys_dir: Path, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    run("access-log", "--subject", "c:a1", *WHO, "--format", "json")
    run("subject-report", "--subject", "c:a1", *WHO, "--format", "json")
    run("dossier", "c:a1", *WHO, "--format", "json")
    verified = run("verify", "--format", "json")
    assert verified.json()["ok"] and "not yet covered" not in verified.stderr
    with Ledger.open(db_url, keys_dir, need_keys=False) as ledger:
        size = ledger.max_position()
    assert size == len(EVENTS) + 3 + 1  # the three query records, the subject index committed by the first report
    assert run("checkpoint", "--format", "json").json()["tree_size"] == size


def test_the_access_log_of_someone_the_ledger_does_not_know_says_so(backend, run: Run, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    table = run("access-log", "--subject", "c:nobody", *WHO).stdout
    assert "c:nobody is unknown to the ledger" in table and "0 view(s)" not in table
    as_json = run("access-log", "--subject", "c:nobody", *WHO, "--format", "json")  # exit 0, the contract's shape
    assert as_json.json() == [] and "c:nobody is unknown to the ledger" in as_json.stderr
    assert "u:nobody is unknown to the ledger" in run("access-log", "--user", "u:nobody", *WHO).stdout
    stranger = hetu(date(1950, 1, 2), 777)
    assert "No customer with this personal identity code is known" in run("access-log", "--hetu", stranger,
                                                                          *WHO).stdout
    known = run("access-log", "--subject", "c:a1", *WHO)
    assert "unknown" not in known.stdout and "view(s)" in known.stdout
    assert json.loads(run("access-log", "--subject", "c:a1", *WHO, "--format", "json").stdout)
    assert "unknown" not in run("access-log", "--subject", "c:a1", *WHO, "--format", "json").stderr
