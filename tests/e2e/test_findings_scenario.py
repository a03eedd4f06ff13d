"""The exact findings of a scenario covering every rule, on both backends, through the real CLI;
and a rebuild from scratch reproduces them byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

from tests.factories import write_jsonl
from tests.scenarios import EVENTS, EXPECTED, KEY_OF


def labelled(findings: list[dict]) -> set[tuple[str, str]]:
    return {(KEY_OF.get(f["event"], f["event"]), f["rule"]) for f in findings}


def test_every_rule_gives_exactly_the_expected_findings_and_rebuild_reproduces_them(cli, tmp_path: Path):
    path = write_jsonl(tmp_path / "scenario.jsonl", EVENTS)
    cli("init", check=0)
    cli("ingest", str(path), check=0)
    first = cli("findings", "--format", "json", check=0).stdout
    findings = json.loads(first)
    got = labelled(findings)
    assert sorted(got - EXPECTED) == [], "unexpected findings"
    assert sorted(EXPECTED - got) == [], "missing findings"
    cli("rebuild", check=0)
    assert cli("findings", "--format", "json", check=0).stdout == first
