"""Retention: customers with no event for longer than the period are listed (dry run) and erased
(apply), one ``subject.erased`` each; everyone else keeps their personal data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ledger.store import Ledger
from tests.factories import ev, hetu, write_jsonl
from tests.privacy.conftest import Run, data_key_rows

OLD = "2012-05-02T10:00:00+03:00"


def _recent() -> str:
    return (datetime.now(UTC) - timedelta(days=40)).isoformat(timespec="seconds")


def _customer(customer: str, at: str, n: int) -> dict:
    return ev("customer.registered", at, customer=customer, hetu=hetu(date(1980, 1, 1) + timedelta(days=n), 100 + n),
              name=f"Henkilö {n}", org="te:uusimaa", home_municipality="091", birth_date="1980-01-01",
              earnings_related_eligible=False, immigrant_or_foreign_language=False, language="fi")


def _events() -> list[dict]:
    events = [_customer(f"c:old-{n}", OLD, n) for n in range(3)]
    events += [_customer(f"c:new-{n}", _recent(), 10 + n) for n in range(2)]
    events.append(_customer("c:old-but-seen", OLD, 20))
    events.append(ev("record.viewed", _recent(), "u:te-1", subject="c:old-but-seen", purpose="service_guidance",
                     categories=["identity"]))
    events.append(ev("record.viewed", "2013-01-10T10:00:00+02:00", "u:te-1", subject="c:never-registered",
                     purpose="service_guidance", categories=["identity"]))
    return events


def test_retention_lists_then_erases_exactly_the_customers_older_than_the_period(backend, db_url, keys_dir,
                                                                                 run: Run, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "r.jsonl", _events())))
    old = ["c:old-0", "c:old-1", "c:old-2"]

    listed = run("retention", "--older-than", "5", "--dry-run", "--format", "json").json()
    assert [c["customer"] for c in listed["customers"]] == old
    assert listed["mode"] == "dry-run" and listed["erased"] == 0 and listed["older_than_years"] == 5
    assert all(c["last_event"].startswith("2012-05-02T10:00:00") for c in listed["customers"])
    assert set(old) <= set(data_key_rows(db_url, keys_dir)), "a dry run changes nothing"

    applied = run("retention", "--older-than", "5", "--apply", "--format", "json").json()
    assert applied["erased"] == 3 and [c["customer"] for c in applied["customers"]] == old
    assert not set(old) & set(data_key_rows(db_url, keys_dir))
    assert {"c:new-0", "c:new-1", "c:old-but-seen"} <= set(data_key_rows(db_url, keys_dir))
    with Ledger.open(db_url, keys_dir) as ledger:
        erasures = [f for f in ledger.read_log() if f.type == "subject.erased"]
    assert sorted(f.data["subject"] for f in erasures) == old
    assert {f.actor for f in erasures} == {"system:retention"}

    assert run("retention", "--older-than", "5", "--dry-run", "--format", "json").json()["customers"] == []
    assert [c["customer"] for c in run("retention", "--older-than", "1", "--dry-run", "--format", "json")
            .json()["customers"]] == []


def test_retention_needs_a_mode(backend, run: Run, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "r.jsonl", _events())))
    refused = run("retention", "--older-than", "5", check=2)
    assert "--dry-run" in refused.stderr and "\n" not in refused.stderr.strip()
