"""The data subject's own report (GDPR Art. 15, C-579/21): every view and decision with its date,
organisation, purpose and categories, whether a finding was raised — and no official's identity."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ledger.store import Ledger
from projections import queries
from service.pipeline import catch_up_projections
from tests.factories import hetu, write_jsonl
from tests.privacy.conftest import Run
from tests.scenarios import EVENTS

WHO = ("--as", "u:dpo-1", "--purpose", "request 2026/14")
USERS = {e["actor"] for e in EVENTS if e["actor"].startswith("u:")} | {"u:dpo-1"}


def test_the_report_lists_views_and_decisions_without_any_official(backend, run: Run, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    out = run("subject-report", "--subject", "c:a1", *WHO, "--format", "json")
    rows = out.json()
    assert rows and all(list(r) == ["at", "org", "purpose", "categories", "kind", "finding"] for r in rows)
    assert not any(user in out.stdout for user in USERS)
    views = run("access-log", "--subject", "c:a1", *WHO, "--format", "json").json()
    as_rows = [{"at": v["at"], "org": v["org"], "purpose": v["purpose"], "categories": v["categories"],
                "kind": None, "finding": bool(v["findings"])} for v in views]
    assert [r for r in rows if r["kind"] is None] == as_rows
    decisions = [r for r in rows if r["kind"] is not None]
    assert decisions and all(r["purpose"] is None and r["categories"] is None for r in decisions)
    flagged = {f["event"] for f in run("findings", "--subject", "c:a1", "--format", "json").json()}
    assert any(r["finding"] for r in decisions) == bool(flagged - {v["event"] for v in views})


def test_the_request_is_recorded_first_and_shown_to_the_next_dpo(backend, db_url, keys_dir, run: Run,
                                                                 tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    person = next(e["data"]["hetu"] for e in EVENTS if e["type"] == "customer.registered"
                  and e["data"]["customer"] == "c:a5")
    assert run("subject-report", "--hetu", person, *WHO, "--format", "json").json()
    with Ledger.open(db_url, keys_dir) as ledger:
        catch_up_projections(ledger)
        with ledger.db.read() as cur:
            asked = queries.ledger_queries_about(ledger.db, cur, subjects=["c:a5"])
    assert [(q["command"], q["asker"], q["purpose"]) for q in asked] == [
        ("subject-report", "u:dpo-1", "request 2026/14")]
    table = run("access-log", "--subject", "c:a5", "--as", "u:dpo-2", "--purpose", "audit").stdout
    assert "subject-report" in table


def test_the_letter_is_in_the_customers_language_and_finnish_otherwise(backend, run: Run, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    fi = run("subject-report", "--subject", "c:a1", *WHO, "--format", "html").stdout
    sv = run("subject-report", "--subject", "c:a5", *WHO, "--format", "html").stdout
    assert 'lang="fi"' in fi and "Palveluohjaus ja neuvonta" in fi and "C-579/21" in fi
    assert 'lang="sv"' in sv and "Beslut" in sv and "C-579/21" in sv
    assert "Asiakas c:a1" in fi and "Asiakas c:a5" in sv
    assert not any(user in fi + sv for user in USERS)
    assert "<script" not in fi and "http://" not in fi and "https://" not in fi and "<link" not in fi


def test_a_person_the_ledger_does_not_know_gets_an_empty_report(backend, run: Run, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    stranger = hetu(date(1950, 1, 2), 777)
    assert run("subject-report", "--hetu", stranger, *WHO, "--format", "json").json() == []
    letter = run("subject-report", "--hetu", stranger, *WHO, "--format", "html").stdout
    assert "Rekisterissä ei ole merkintöjä" in letter
    refused = run("subject-report", "--subject", "e:1234567-1", *WHO, check=2)
    assert "c:<token>" in refused.stderr
