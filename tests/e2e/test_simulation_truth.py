"""Findings on a simulated experiment equal its truth file exactly — every rule, on SQLite and
PostgreSQL, through the real CLI (precision and recall 1.0)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ledger.events import Rule


def test_findings_equal_the_injected_violations_exactly(cli, tmp_path: Path):
    events, truth = tmp_path / "events.jsonl", tmp_path / "truth.jsonl"
    cli("simulate", "--customers", "400", "--days", "20", "--seed", "3", "--out", str(events),
        "--truth", str(truth), check=0)
    cli("ingest", str(events), check=0)
    findings = json.loads(cli("findings", "--format", "json", check=0).stdout)
    expected = {(row["event"], row["rule"]) for row in map(json.loads, truth.read_text().splitlines())}
    found = {(f["event"], f["rule"]) for f in findings}
    assert Counter(rule for _, rule in expected).keys() == {r.value for r in Rule}, "every rule is injected"
    assert sorted(found - expected) == [], "findings the simulator did not inject"
    assert sorted(expected - found) == [], "injected violations the rules missed"
