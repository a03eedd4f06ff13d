"""``lokikirja cases``: AVI's inspection cases opened, noted, listed, shown and closed from the
real command line, stored as the ledger's own facts with ``--as`` as their actor; a closed case
takes nothing more, and bad input exits 2 with one sentence."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.store import Ledger
from tests.factories import write_jsonl
from tests.scenarios import EVENTS


def _json(cli, *args: str, check: int = 0):
    return json.loads(cli(*args, "--format", "json", check=check).stdout)


def test_a_case_is_opened_noted_listed_shown_and_closed_from_the_command_line(cli, tmp_path: Path):
    cli("init", check=0)
    cli("ingest", str(write_jsonl(tmp_path / "scenario.jsonl", EVENTS)), check=0)
    chosen = [f["finding"] for f in _json(cli, "findings", "--org", "area:helsinki")[:2]]
    opened = _json(cli, "cases", "open", "--title", "Helsinki own-record views", "--org", "area:helsinki",
                   "--since", "2021-03-01", "--finding", chosen[0], "--note", "first look", "--as", "u:avi-1")
    case = opened["case"]
    assert opened["findings"] == chosen[:1] and opened["closed"] is None and opened["opened_by"] == "u:avi-1"
    printed = cli("cases", "note", case, "--note", "asked the area", "--finding", chosen[1], "--as", "u:avi-2",
                  check=0)
    assert printed.stdout.strip() == case and "note added" in printed.stderr
    shown = _json(cli, "cases", "show", case)
    assert shown["case"]["findings"] == chosen and [n["by"] for n in shown["case"]["notes"]] == ["u:avi-1", "u:avi-2"]
    assert sorted(f["finding"] for f in shown["findings"]) == sorted(chosen)
    table = cli("cases", "list", check=0).stdout
    assert case in table and "open" in table and "Helsinki own-record views" in table

    closed = _json(cli, "cases", "close", case, "--reason", "the area corrected its access rights", "--as", "u:avi-1")
    assert closed["closed"]["reason"] == "the area corrected its access rights" and closed["closed"]["by"] == "u:avi-1"
    assert [c["closed"] is not None for c in _json(cli, "cases", "list")] == [True]
    assert "closed" in cli("cases", "list", check=0).stdout
    assert "closed by u:avi-1" in cli("cases", "show", case, check=0).stdout
    late = cli("cases", "note", case, "--note", "too late", "--as", "u:avi-1", check=2)
    assert "was closed by u:avi-1" in late.stderr
    cli("cases", "close", case, "--reason", "again", "--as", "u:avi-1", check=2)
    with Ledger.open(cli.db, cli.keys) as ledger:
        facts = [(f.type, f.actor) for f in ledger.read_log() if f.type.startswith("inspection.")]
    assert facts == [("inspection.case_opened", "u:avi-1"), ("inspection.case_noted", "u:avi-2"),
                     ("inspection.case_closed", "u:avi-1")]
    assert cli("verify", check=0).returncode == 0  # the case facts are sealed and verified like any


def test_bad_case_input_exits_2_with_one_sentence_and_stores_nothing(cli):
    cli("init", check=0)
    hetu = cli("cases", "open", "--title", "about 131052-308T", "--as", "u:avi-1", check=2)
    assert "personal identity code" in hetu.stderr and "131052-308T" not in hetu.stderr
    assert "u:<token>" in cli("cases", "open", "--title", "t", "--as", "avi-1", check=2).stderr
    assert "not an inspection case id" in cli("cases", "show", "case-1", check=2).stderr
    unknown = cli("cases", "close", "i:" + "0" * 32, "--reason", "r", "--as", "u:a", check=2)
    assert "no inspection case" in unknown.stderr
    cli("cases", "open", "--title", "t", "--since", "March", "--as", "u:avi-1", check=2)
    cli("cases", "open", "--title", "t", "--finding", "3b9c", "--as", "u:avi-1", check=2)
    assert _json(cli, "cases", "list") == []
