"""``lokikirja simulate`` end to end: the real command in a subprocess (it needs no store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli

# The command runs in a temporary folder; make the working tree's packages importable there even
# where the installed (editable) package predates ``simulation``.
_ENV = {"PYTHONPATH": str(Path(__file__).resolve().parents[2])}


@pytest.fixture
def backend() -> str:
    """``simulate`` touches no store: one backend is enough."""
    return "sqlite"


def test_simulate_writes_the_events_and_the_truth_it_reports(cli: Cli, tmp_path: Path) -> None:
    events, truth = tmp_path / "events.jsonl", tmp_path / "truth.jsonl"
    result = cli("simulate", "--customers", "80", "--days", "12", "--seed", "9", "--out", str(events),
                 "--truth", str(truth), "--format", "json", check=0, env=_ENV)
    doc = json.loads(result.stdout)
    assert doc["events"] == len(events.read_bytes().splitlines())
    assert doc["violations"] == len(truth.read_bytes().splitlines()) > 0
    assert doc["first"].startswith("2021-03-01") and doc["by_type"]["organisation.registered"] == 38


def test_simulate_is_reproducible_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (first, second):
        cli("simulate", "--customers", "40", "--days", "5", "--seed", "2", "--start", "2022-01-03", "--out", str(out),
            check=0, env=_ENV)
    assert first.read_bytes() == second.read_bytes()


def test_a_bad_start_date_is_a_usage_error_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    result = cli("simulate", "--start", "1.3.2021", "--out", str(out), check=2, env=_ENV)
    assert "--start" in result.stderr
    assert not out.exists()
