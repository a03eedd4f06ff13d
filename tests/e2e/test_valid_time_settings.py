"""The valid-time range ingest accepts is documented and configurable (docs/input.md): the range's
bounds and the days a fact may lie ahead of its recording, through the real CLI on both backends."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.factories import ev, write_jsonl


def _view(at: str) -> dict:
    return ev("record.viewed", at, "u:hki-1", subject="c:a1", purpose="service_guidance", categories=["identity"])


def _ingest(cli: Cli, path: Path, check: int, **env: str) -> str:
    result = cli("ingest", str(path), "--format", "json", check=check, env=env)
    return result.stdout if check == 0 else result.stderr


def test_the_start_of_the_range_is_configurable(cli: Cli, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "old.jsonl", [_view("1965-06-01T10:00:00+03:00")])
    assert "at: is before 1970-01-01 (Helsinki)" in _ingest(cli, path, 2)
    assert json.loads(_ingest(cli, path, 0, LOKIKIRJA_VALID_FROM="1960-01-01")) == {"ingested": 1, "duplicates": 0}


def test_the_end_of_the_range_is_configurable_and_a_whole_day(cli: Cli, tmp_path: Path) -> None:
    last = write_jsonl(tmp_path / "last.jsonl", [_view("2021-06-30T23:59:59+03:00")])
    after = write_jsonl(tmp_path / "after.jsonl", [_view("2021-07-01T00:00:00+03:00")])
    assert json.loads(_ingest(cli, last, 0, LOKIKIRJA_VALID_UNTIL="2021-06-30"))["ingested"] == 1
    assert "at: is after 2021-06-30 (Helsinki)" in _ingest(cli, after, 2, LOKIKIRJA_VALID_UNTIL="2021-06-30")


def test_a_fact_up_to_a_day_ahead_of_its_recording_is_taken_and_no_later(cli: Cli, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    soon = write_jsonl(tmp_path / "soon.jsonl", [_view((now + timedelta(hours=12)).isoformat(timespec="seconds"))])
    later = write_jsonl(tmp_path / "later.jsonl", [_view((now + timedelta(days=3)).isoformat(timespec="seconds"))])
    assert json.loads(_ingest(cli, soon, 0))["ingested"] == 1
    assert "at: is more than 1 day after the ledger recorded it" in _ingest(cli, later, 2)
    assert json.loads(_ingest(cli, later, 0, LOKIKIRJA_MAX_DAYS_AHEAD="5"))["ingested"] == 1


@pytest.mark.parametrize(("name", "value", "says"), [
    ("LOKIKIRJA_VALID_FROM", "0001-01-01", "LOKIKIRJA_VALID_FROM must lie between 1800-01-01 and 2199-12-31"),
    ("LOKIKIRJA_VALID_UNTIL", "9999-12-31", "LOKIKIRJA_VALID_UNTIL must lie between 1800-01-01 and 2199-12-31"),
    ("LOKIKIRJA_VALID_UNTIL", "1969-12-31", "LOKIKIRJA_VALID_UNTIL is before LOKIKIRJA_VALID_FROM"),
    ("LOKIKIRJA_MAX_DAYS_AHEAD", "-1", "LOKIKIRJA_MAX_DAYS_AHEAD must be a whole number of days"),
    ("LOKIKIRJA_VALID_FROM", "yesterday", "LOKIKIRJA_VALID_FROM must be a date YYYY-MM-DD or an RFC 3339 time"),
])
def test_a_bad_setting_is_one_sentence_and_exit_2_before_anything_opens(
        cli: Cli, tmp_path: Path, backend: str, name: str, value: str, says: str) -> None:
    path = write_jsonl(tmp_path / "one.jsonl", [_view("2022-01-10T10:00:00+02:00")])
    result = cli("ingest", str(path), check=2, env={name: value})
    assert result.stderr.startswith(f"error: {says}") and result.stderr.count("\n") == 1
    if backend == "sqlite":
        assert not Path(cli.db).exists()


def test_serve_refuses_a_bad_setting_before_it_listens(cli: Cli) -> None:
    cli("init", check=0)
    env = {"LOKIKIRJA_DB": cli.db, "LOKIKIRJA_KEYS": str(cli.keys), "LOKIKIRJA_VALID_FROM": "0001-01-01",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "service", "serve", "--port", "0"], capture_output=True, text=True,
                            env=env, cwd=cli.cwd, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "LOKIKIRJA_VALID_FROM must lie between" in result.stderr
