"""``--format table`` fits an 80-column terminal (and a pipe, which counts as 80) without cutting an
identifier people copy: finding ids, event ids and organisation ids appear whole (issue 19.6)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import Cli

WHO = ("--as", "u:dpo-1", "--purpose", "audit 2026/19")
WIDTHS = {"COLUMNS=80": {"COLUMNS": "80"}, "piped": {"COLUMNS": ""}}  # no COLUMNS and stdout a pipe: 80


@pytest.fixture
def simulated(cli: Cli, tmp_path: Path) -> Cli:
    """A small simulated experiment: real organisation ids (area:jamsa-keuruu-saarijarvi) and findings."""
    events = tmp_path / "events.jsonl"
    cli("simulate", "--customers", "60", "--days", "10", "--seed", "3", "--out", str(events), check=0)
    cli("ingest", str(events), check=0)
    return cli


def _table(cli: Cli, *args: str, env: dict[str, str]) -> set[str]:
    """The table's words (an id cut or broken over two lines is not among them); every line fits 80."""
    out = cli(*args, env=env, check=0).stdout
    too_long = [line for line in out.splitlines() if len(line) > 80]
    assert not too_long, "\n".join(too_long)
    assert "…" not in out
    return set(out.split())


def _json(cli: Cli, *args: str) -> list[dict]:
    return json.loads(cli(*args, "--format", "json", check=0).stdout)


@pytest.mark.parametrize("width", WIDTHS)
def test_findings_show_every_finding_id_event_id_and_organisation_whole_at_80_columns(simulated: Cli, width: str):
    findings = _json(simulated, "findings")
    assert findings
    shown = _table(simulated, "findings", env=WIDTHS[width])
    for f in findings:
        assert {f["finding"], f["event"], f["rule"]} <= shown, f
        assert f["org"] is None or f["org"] in shown


def test_a_wide_terminal_shows_findings_as_a_table_with_the_finding_id(simulated: Cli):
    findings = _json(simulated, "findings")
    out = simulated("findings", env={"COLUMNS": "250"}, check=0).stdout
    header = next(line for line in out.splitlines() if line.startswith("finding"))
    assert header.split()[:4] == ["finding", "at", "rule", "severity"]
    assert all(f["finding"] in out.split() for f in findings)


def _busiest_customer(cli: Cli) -> str:
    return Counter(f["subject"] for f in _json(cli, "findings")
                   if (f["subject"] or "").startswith("c:")).most_common(1)[0][0]


def test_the_access_log_of_a_customer_and_of_a_user_fits_80_columns(simulated: Cli):
    customer = _busiest_customer(simulated)
    user = _json(simulated, "access-log", "--subject", customer, *WHO)[0]["user"]
    for args in (("--subject", customer), ("--user", user)):
        rows = _json(simulated, "access-log", *args, *WHO)
        assert rows
        shown = _table(simulated, "access-log", *args, *WHO, env=WIDTHS["COLUMNS=80"])
        for row in rows:
            assert {row["event"], row["user"], row["subject"]} <= shown
            assert row["org"] is None or row["org"] in shown


def test_supervision_and_monitoring_fit_80_columns_with_whole_organisation_ids(simulated: Cli):
    ranking = json.loads(simulated("supervision", "--format", "json", check=0).stdout)["areas"]
    assert "area:jamsa-keuruu-saarijarvi" in {a["org"] for a in ranking}
    assert {a["org"] for a in ranking} <= _table(simulated, "supervision", env=WIDTHS["COLUMNS=80"])
    months = json.loads(simulated("monitoring", "--format", "json", check=0).stdout)["months"]
    shown = _table(simulated, "monitoring", env=WIDTHS["COLUMNS=80"])
    for month in months:
        assert month["te_office"] in shown and {a["org"] for a in month["areas"]} <= shown


def test_the_subject_report_dossier_retention_and_status_fit_80_columns(simulated: Cli):
    customer = _busiest_customer(simulated)
    rows = _json(simulated, "subject-report", "--subject", customer, *WHO)
    assert {r["org"] for r in rows} <= _table(simulated, "subject-report", "--subject", customer, *WHO,
                                              env=WIDTHS["COLUMNS=80"])
    dossier = json.loads(simulated("dossier", customer, *WHO, "--format", "json", check=0).stdout)
    shown = _table(simulated, "dossier", customer, *WHO, env=WIDTHS["COLUMNS=80"])
    assert {r["org"] for r in dossier["responsibility"]} <= shown
    assert {d["decision"] for d in dossier["decisions"]} <= shown
    retained = json.loads(simulated("retention", "--dry-run", "--older-than", "1", "--format", "json",
                                    check=0).stdout)["customers"]
    assert {r["customer"] for r in retained} <= _table(simulated, "retention", "--dry-run", "--older-than", "1",
                                                        env=WIDTHS["COLUMNS=80"])
    _table(simulated, "status", env=WIDTHS["COLUMNS=80"])
