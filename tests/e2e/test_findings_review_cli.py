"""``lokikirja findings --review``: narrowed by the latest review's verdict, rows unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.own_facts import append_own_fact
from ledger.store import Ledger
from tests.factories import write_jsonl
from tests.scenarios import EVENTS


def _json(cli, *args: str) -> list[dict]:
    return json.loads(cli("findings", "--format", "json", *args, check=0).stdout)


def test_findings_review_narrows_by_the_latest_verdict_and_keeps_the_contract_rows(cli, tmp_path: Path):
    cli("init", check=0)
    cli("ingest", str(write_jsonl(tmp_path / "scenario.jsonl", EVENTS)), check=0)
    everything = _json(cli)
    first, second, third = (f["finding"] for f in everything[:3])
    with Ledger.open(cli.db, cli.keys) as ledger:
        for finding, verdict in ((first, "violation"), (second, "violation"), (second, "justified"),
                                 (third, "violation")):
            append_own_fact(ledger, "finding.reviewed", "u:avi-1",
                            {"finding": finding, "verdict": verdict, "note": "checked"})
    justified, violation = _json(cli, "--review", "justified"), _json(cli, "--review", "violation")
    unreviewed = _json(cli, "--review", "unreviewed")
    assert [f["finding"] for f in justified] == [second]  # the latest review decides
    assert [f["finding"] for f in violation] == [first, third]
    assert len(unreviewed) == len(everything) - 3 and first not in {f["finding"] for f in unreviewed}
    assert justified == [f for f in everything if f["finding"] == second]  # the contract's rows, unchanged
    assert cli("findings", "--review", "maybe", check=2).returncode == 2
