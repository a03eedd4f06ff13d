"""The in-memory world from contract events: personal data stays out, HETUs become indexes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ledger.events import Rule, parse_event
from policies.facts import fact_of, stand_in_index
from policies.judge import judge
from policies.world import InMemoryWorld
from tests.factories import ev, hetu

OWN = hetu(date(1985, 7, 1))


def _with_name(event: dict[str, Any]) -> dict[str, Any]:
    event["data"]["name"] = "Maija Meikäläinen"
    return event


def _events() -> list[object]:
    raw = [
        ev("organisation.registered", "2021-03-01T00:00:00+02:00", org="keha", kind="keha", name="KEHA",
           languages=["fi"]),
        ev("organisation.registered", "2021-03-01T00:00:00+02:00", org="area:helsinki", kind="experiment_area",
           name="Helsinki", languages=["fi", "sv"], te_office="te:uusimaa", municipalities=["091"]),
        ev("organisation.registered", "2021-03-01T00:00:00+02:00", org="te:uusimaa", kind="te_office",
           name="Uusimaa", languages=["fi", "sv"]),
        ev("user.registered", "2021-03-01T00:00:00+02:00", user="u:hki-1", org="area:helsinki",
           main_duties_under_act=True, hetu=OWN),
        ev("access.granted", "2021-03-01T00:00:00+02:00", "u:keha-1", user="u:hki-1", valid_from="2021-03-01"),
        _with_name(ev("customer.registered", "2021-06-01T10:00:00+03:00", customer="c:1", hetu=OWN,
                      org="te:uusimaa", home_municipality="091", birth_date="1985-07-01",
                      earnings_related_eligible=False, immigrant_or_foreign_language=False, language="fi")),
        ev("customer.transferred", "2021-06-02T10:00:00+03:00", "u:keha-1", customer="c:1", from_="te:uusimaa",
           to="area:helsinki", reason="became_eligible"),
        ev("record.viewed", "2022-03-14T10:00:00+02:00", "u:hki-1", subject="c:1",
           purpose="service_guidance", categories=["identity"]),
    ]
    return [parse_event(json.dumps(e)) for e in raw]


def test_facts_from_events_carry_no_hetu_or_name_only_an_index() -> None:
    facts = [fact_of(e) for e in _events()]
    for f in facts:
        assert "hetu" not in f.data
        assert "name" not in f.data or f.type in ("organisation.registered", "employer.registered")
    registered = [f for f in facts if f.type in ("user.registered", "customer.registered")]
    assert {f.hetu_index for f in registered} == {stand_in_index(OWN)}


def test_the_in_memory_world_judges_contract_events() -> None:
    events = _events()
    w = InMemoryWorld.from_events(events)
    assert w.registered("c:1") and w.registered("area:helsinki") and not w.registered("u:keha-1")
    assert w.customers() == ("c:1",)
    assert w.horizon is not None and w.horizon.isoformat() == "2022-03-14T10:00:00+02:00"
    view = fact_of(events[-1])
    assert [v.rule for v in judge(view, w)] == [Rule.ACCESS_OWN_RECORD]
    customer = w.customer("c:1")
    assert customer is not None and customer.responsible_at(view.at) == "area:helsinki"
    assert w.user("u:nobody") is None and w.employer("e:0000001-9") is None
