"""The simulated experiment looks like the real one: organisations, people, languages, law by date."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import orjson

from ledger import reference
from simulation.config import Settings
from simulation.run import simulate
from tests.simulation.conftest import Run

HELSINKI = ZoneInfo("Europe/Helsinki")


def _events(run: Run) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(line) for line in run.events.open("rb")]


def test_every_organisation_is_registered_first(moderate: Run) -> None:
    events = _events(moderate)
    orgs = [e["data"]["org"] for e in events[:38]]
    assert all(e["type"] == "organisation.registered" for e in events[:38])
    assert {"keha", "avi", "tem"} <= set(orgs)
    assert {a.org for a in reference.areas()} | {t.org for t in reference.te_offices()} <= set(orgs)


def test_the_stock_moves_to_the_areas_on_the_first_day(moderate: Run) -> None:
    events = _events(moderate)
    first_day = [e for e in events if e["at"].startswith("2021-03-01")]
    moved = [e for e in first_day if e["type"] == "customer.transferred"]
    assert moved and all(e["data"]["reason"] == "experiment_start" for e in moved)
    assert all(e["data"]["to"].startswith("area:") for e in moved)


def test_keha_grants_rights_and_normal_views_are_in_office_hours(moderate: Run) -> None:
    events = _events(moderate)
    injected = {orjson.loads(line)["event"] for line in moderate.truth.open("rb")}
    grants = [e for e in events if e["type"] == "access.granted" and e["id"] not in injected]
    assert grants and all(e["actor"].startswith("u:keha-") for e in grants)
    for e in events:
        if e["type"] == "record.viewed" and e["id"] not in injected:
            local = datetime.fromisoformat(e["at"]).astimezone(HELSINKI)
            assert local.weekday() < 5 and 8 <= local.hour < 16, e


def test_ages_and_languages_are_plausible() -> None:
    out = io.BytesIO()
    simulate(Settings(customers=4000, days=1, seed=8, violation_rate=0.0), out, None)
    people = [e["data"] for e in map(orjson.loads, out.getvalue().splitlines()) if e["type"] == "customer.registered"]
    ages = [(date(2021, 3, 1) - date.fromisoformat(p["birth_date"])).days / 365.25 for p in people]
    assert min(ages) >= 18 and max(ages) < 65
    by_home: dict[str, Counter[str]] = {}
    for p in people:
        by_home.setdefault(p["home_municipality"], Counter())[p["language"]] += 1
    raasepori, helsinki = by_home["710"], by_home["091"]
    assert raasepori["sv"] > raasepori["fi"]
    assert 0.02 < helsinki["sv"] / sum(helsinki.values()) < 0.12
    assert helsinki["fi"] > helsinki["other"] > helsinki["sv"]
    assert 0.3 < sum(not p["earnings_related_eligible"] for p in people) / len(people) < 0.7


def test_statement_on_unemployment_moves_to_the_areas_on_2_october_2021(autumn: Run) -> None:
    injected = {orjson.loads(line)["event"] for line in autumn.truth.open("rb")}
    by_areas = [e["at"] for e in _events(autumn) if e["type"] == "decision.made" and e["id"] not in injected
                and e["data"]["kind"] == "statement_unemployment" and not e["actor"].startswith("u:te-")]
    assert by_areas and min(by_areas) >= "2021-10-02"
