"""Findings on a simulated experiment equal its truth file exactly — every rule, on SQLite and
PostgreSQL, through the real CLI (precision and recall 1.0)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ledger.events import Rule


def _simulated(cli, tmp_path: Path, *options: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(expected, found): the truth file's violations and the ledger's findings, as (event, rule)."""
    events, truth = tmp_path / "events.jsonl", tmp_path / "truth.jsonl"
    cli("simulate", *options, "--out", str(events), "--truth", str(truth), check=0)
    cli("ingest", str(events), check=0)
    findings = json.loads(cli("findings", "--format", "json", check=0).stdout)
    expected = {(row["event"], row["rule"]) for row in map(json.loads, truth.read_text().splitlines())}
    return expected, {(f["event"], f["rule"]) for f in findings}


def test_findings_equal_the_injected_violations_exactly(cli, tmp_path: Path):
    expected, found = _simulated(cli, tmp_path, "--customers", "400", "--days", "20", "--seed", "3")
    assert Counter(rule for _, rule in expected).keys() == {r.value for r in Rule}, "every rule is injected"
    assert sorted(found - expected) == [], "findings the simulator did not inject"
    assert sorted(expected - found) == [], "injected violations the rules missed"


def test_over_christmas_too(cli, tmp_path: Path):
    """24–26 December 2025 fall on Wednesday to Friday: a change on the 23rd has its next workday
    six days on. The simulator once scheduled transfers only five days ahead and, finding no
    workday, never transferred such customers: TRANSFER_MISSED findings it had not injected."""
    expected, found = _simulated(cli, tmp_path, "--customers", "300", "--days", "35", "--seed", "17",
                                 "--start", "2025-12-15", "--violation-rate", "0.03")
    assert sorted(found - expected) == [], "findings the simulator did not inject"
    assert sorted(expected - found) == [], "injected violations the rules missed"
