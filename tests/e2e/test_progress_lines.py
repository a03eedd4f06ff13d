"""Off a terminal (piped, under a scheduler) a long run says how far it is: a line on stderr every
LOKIKIRJA_PROGRESS_INTERVAL seconds instead of a progress bar; stdout still carries only the data."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import Cli

OFTEN = {"LOKIKIRJA_PROGRESS_INTERVAL": "0.000001"}  # a line at (nearly) every step
EVENTS_LINE = r"\d+/\d+ events \(\d+%\), \d+/s(, about \d+ (s|min) left|, done in \d+ s)"


def _lines(stderr: str, pattern: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.fullmatch(pattern, line)]


def test_ingest_rebuild_and_verify_report_progress_in_lines_when_stderr_is_piped(cli: Cli, tmp_path: Path):
    events = tmp_path / "events.jsonl"
    cli("simulate", "--customers", "60", "--days", "10", "--seed", "3", "--out", str(events), check=0)
    ingested = cli("ingest", str(events), "--format", "json", env=OFTEN, check=0)
    assert json.loads(ingested.stdout)["ingested"] > 500  # the data alone on stdout
    name = re.escape(str(events))
    assert _lines(ingested.stderr, rf"ingest {name}: \d+\.\d/\d+\.\d MB \(\d+%\), \d+\.\d MB/s(, about \d+ s left)?")
    assert _lines(ingested.stderr, rf"ingest {name}: .*\(100%\), .*, done in \d+ s")
    assert _lines(ingested.stderr, rf"project views: {EVENTS_LINE}")
    assert _lines(ingested.stderr, rf"seal: {EVENTS_LINE}")

    rebuilt = cli("rebuild", "--format", "json", env=OFTEN, check=0)
    assert json.loads(rebuilt.stdout)["events"] > 500
    assert _lines(rebuilt.stderr, r"rebuild views: .*\(100%\), \d+/s, done in \d+ s")
    verified = cli("verify", "--format", "json", env=OFTEN, check=0)
    assert json.loads(verified.stdout)["ok"] is True
    assert _lines(verified.stderr, rf"verify: {EVENTS_LINE}")


def test_a_run_shorter_than_the_interval_prints_no_progress(cli: Cli, tmp_path: Path):
    events = tmp_path / "events.jsonl"
    cli("simulate", "--customers", "20", "--days", "3", "--seed", "3", "--out", str(events), check=0)
    assert cli("ingest", str(events), "--format", "json", check=0).stderr == ""  # default: every 5 s
    assert cli("rebuild", "--format", "json", env={"LOKIKIRJA_PROGRESS_INTERVAL": "0"}, check=0).stderr == ""
