"""supervision and monitoring through the real CLI on the scenario, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

from tests.factories import write_jsonl
from tests.scenarios import EVENTS

AREA_KEYS = {"org", "name", "customers", "transfers_in", "transfers_out", "views", "decisions", "findings", "risk",
             "rank"}


def test_supervision_ranks_every_area_with_the_contract_fields_and_writes_html(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    report = json.loads(cli("supervision", "--format", "json", check=0).stdout)
    assert set(report) == {"from", "to", "areas"}
    assert [a["org"] for a in sorted(report["areas"], key=lambda a: a["org"])] == ["area:espoo", "area:helsinki"]
    for area in report["areas"]:
        assert set(area) == AREA_KEYS
        assert set(area["risk"]) == {"data_protection", "equal_treatment", "language", "overall"}
        assert all(0 <= v <= 100 for v in area["risk"].values())
    assert sorted(a["rank"] for a in report["areas"]) == [1, 2]
    top = min(report["areas"], key=lambda a: a["rank"])
    assert top["risk"]["overall"] == max(a["risk"]["overall"] for a in report["areas"])
    helsinki = next(a for a in report["areas"] if a["org"] == "area:helsinki")
    assert helsinki["findings"]["ACCESS_OWN_RECORD"] == 1
    assert helsinki["customers"] == 2                   # c:a6 and c:a8 (kept past 30); a1, a2, a9 left
    out = tmp_path / "report.html"
    cli("supervision", "--format", "html", "--out", str(out), check=0)
    html = out.read_text()
    assert html.startswith("<!doctype html>") and "Helsinki" in html and "<svg" in html and "http" not in html


def test_the_html_report_speaks_finnish_by_default_and_swedish_or_english_when_asked(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    finnish = cli("supervision", "--format", "html", check=0).stdout
    assert '<html lang="fi">' in finnish and "kuntakokeilun riskiperusteinen valvonta" in finnish
    assert "Omien tietojen katselu" in finnish and "ACCESS_OWN_RECORD" in finnish  # the label, the code in small print
    out = tmp_path / "rapport.html"
    cli("supervision", "--format", "html", "--lang", "sv", "--out", str(out), check=0)
    swedish = out.read_text(encoding="utf-8")
    assert '<html lang="sv">' in swedish and "Riskbaserad tillsyn över kommunförsöket" in swedish
    assert "Visning av egna uppgifter" in swedish and "Rangordning" in swedish and "Omien tietojen" not in swedish
    english = cli("supervision", "--format", "html", "--lang", "en", check=0).stdout
    assert '<html lang="en">' in english and "Viewing one&#39;s own record" in english
    cli("supervision", "--format", "html", "--lang", "de", check=2)


def test_monitoring_gives_each_areas_share_of_its_regions_experiment_customers(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    doc = json.loads(cli("monitoring", "--month", "2021-06", "--format", "json", check=0).stdout)
    (month,) = doc["months"]
    assert month["month"] == "2021-06" and month["te_office"] == "te:uusimaa"
    shares = {a["org"]: a["share"] for a in month["areas"]}
    customers = {a["org"]: a["customers"] for a in month["areas"]}
    total = sum(customers.values())
    assert total > 0 and abs(sum(shares.values()) - 1.0) < 1e-3
    assert all(abs(shares[o] - customers[o] / total) < 1e-3 for o in shares)
    cli("monitoring", "--month", "2021-13", check=2)
