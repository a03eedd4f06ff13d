"""Transfer required: the 7-day rule, withholding, birthdays and area changes (TRANSFER_MISSED)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ledger.events import Rule, Severity
from policies.competence import TE_OFFICE
from policies.facts import Fact
from policies.history import CustomerHistory
from policies.transfer import (
    episodes,
    missed_transfers,
    missed_verdict,
    next_check_at,
    required_org_at,
    transfer_ineligibility,
)
from policies.world import InMemoryWorld
from tests.policies.helpers import at, customer_registered, fact, fid, world

T0 = "2022-03-01 10:00"


def _transfer(customer: str, when: str | datetime, to: str = "area:helsinki", from_: str = "te:uusimaa",
              **kw: str) -> Fact:
    return fact("customer.transferred", when, "u:te-1", customer=customer, from_=from_, to=to,
                reason=kw.get("reason", "became_eligible"), id=kw.get("id"))


def _history(w: InMemoryWorld, customer: str = "c:1") -> CustomerHistory:
    history = w.customer(customer)
    assert history is not None
    return history


@pytest.mark.parametrize(("delay", "finding"), [
    (timedelta(days=6), False),
    (timedelta(days=7), False),  # exactly 7 days is within the deadline
    (timedelta(days=7, seconds=1), True),
    (timedelta(days=8), True),
])
def test_a_transfer_after_6_days_is_lawful_after_8_days_missed(delay: timedelta, finding: bool) -> None:
    reg = customer_registered("c:1", T0, earnings=False, id=fid("reg-c1"))
    w = world(reg, _transfer("c:1", at(T0) + delay))
    found = missed_transfers(_history(w), w.orgs, at("2022-06-01 00:00"))
    assert len(found) == int(finding)
    if finding:
        assert (found[0].start, found[0].end, found[0].event) == (at(T0), at(T0) + delay, reg.id)
        assert (found[0].responsible, found[0].required) == ("te:uusimaa", "area:helsinki")


def test_an_open_episode_counts_at_the_horizon_and_tells_when_to_check_again() -> None:
    w = world(customer_registered("c:1", T0, earnings=False))
    c = _history(w)
    assert missed_transfers(c, w.orgs, at(T0) + timedelta(days=6)) == []
    assert next_check_at(c, w.orgs, at(T0) + timedelta(days=6)) == at(T0) + timedelta(days=7, microseconds=1)
    found = missed_transfers(c, w.orgs, at(T0) + timedelta(days=8))
    assert len(found) == 1 and found[0].end is None
    assert next_check_at(c, w.orgs, at(T0) + timedelta(days=8)) is None
    assert missed_transfers(c, w.orgs, None) == []  # no horizon: open episodes are not judged


def test_the_open_episode_explanation_does_not_depend_on_the_horizon() -> None:
    w = world(customer_registered("c:1", T0, earnings=False))
    c = _history(w)
    a = missed_verdict(missed_transfers(c, w.orgs, at(T0) + timedelta(days=8))[0], c)
    b = missed_verdict(missed_transfers(c, w.orgs, at(T0) + timedelta(days=80))[0], c)
    assert a == b and a.rule is Rule.TRANSFER_MISSED and a.severity is Severity.MEDIUM
    assert (a.org, a.user, a.subject) == ("te:uusimaa", None, "c:1")
    assert "still open" in a.explanation and "area:helsinki" in a.explanation


def test_a_lawful_withholding_keeps_the_customer_until_the_next_change() -> None:
    reg = customer_registered("c:1", T0, earnings=False)
    held = fact("customer.transfer_withheld", "2022-03-03 10:00", "u:te-1", customer="c:1", reason="linguistic_rights")
    w = world(reg, held)
    c = _history(w)
    assert required_org_at(c, w.orgs, at("2022-03-10 10:00")) == "te:uusimaa"
    assert missed_transfers(c, w.orgs, at("2022-06-01 10:00")) == []
    assert [(e.start, e.end) for e in episodes(c, w.orgs, at("2022-06-01 10:00"))] == \
        [(at(T0), at("2022-03-03 10:00"))]
    # a change ends the withholding: the 7 days start again from it
    change = fact("customer.changed", "2022-04-01 10:00", customer="c:1", language="sv", id=fid("chg"))
    w = world(reg, held, change)
    found = missed_transfers(_history(w), w.orgs, at("2022-06-01 10:00"))
    assert [(e.start, e.event) for e in found] == [(at("2022-04-01 10:00"), change.id)]


def test_a_customer_outside_the_group_may_stay_with_any_te_office() -> None:
    w = world(customer_registered("c:1", T0), _transfer("c:1", "2022-03-02 10:00", to="te:pirkanmaa"))
    c = _history(w)
    assert required_org_at(c, w.orgs, at("2022-03-05 10:00")) == TE_OFFICE
    assert episodes(c, w.orgs, at("2022-06-01 10:00")) == []


def test_a_30th_birthday_makes_the_area_customer_the_te_offices_without_any_event() -> None:
    reg = customer_registered("c:1", T0, born="1992-05-05", id=fid("reg-b"))
    moved = _transfer("c:1", "2022-03-02 10:00", id=fid("move-b"))
    w = world(reg, moved)
    c = _history(w)
    assert required_org_at(c, w.orgs, at("2022-05-04 23:59")) == "area:helsinki"
    assert required_org_at(c, w.orgs, at("2022-05-05 00:00")) == TE_OFFICE
    assert next_check_at(c, w.orgs, at("2022-04-01 00:00")) == at("2022-05-05 00:00")
    found = missed_transfers(c, w.orgs, at("2022-06-01 00:00"))
    assert [(e.start, e.end, e.event) for e in found] == [(at("2022-05-05 00:00"), None, moved.id)]
    back = _transfer("c:1", "2022-05-10 10:00", to="te:uusimaa", from_="area:helsinki", reason="no_longer_eligible")
    w = world(reg, moved, back)
    assert missed_transfers(_history(w), w.orgs, at("2022-06-01 00:00")) == []


def test_an_area_gaining_the_home_municipality_starts_the_7_days_at_the_join() -> None:
    join = fact("area.municipality_joined", "2022-04-01 00:00", org="area:vantaa-kerava", municipality="186",
                id=fid("join-186"))
    w = world(customer_registered("c:1", T0, home="186", immigrant=True), join)
    c = _history(w)
    assert required_org_at(c, w.orgs, at("2022-03-31 23:59")) == TE_OFFICE
    found = missed_transfers(c, w.orgs, at("2022-05-01 00:00"))
    assert [(e.start, e.event, e.required) for e in found] == [(at("2022-04-01 00:00"), join.id,
                                                                 "area:vantaa-kerava")]


def test_a_move_to_another_area_requires_the_area_to_transfer_on() -> None:
    moved_out = fact("customer.changed", "2022-04-01 10:00", customer="c:1", home_municipality="092")
    w = world(customer_registered("c:1", T0, earnings=False), _transfer("c:1", "2022-03-02 10:00"), moved_out)
    c = _history(w)
    assert required_org_at(c, w.orgs, at("2022-04-01 10:00")) == "area:vantaa-kerava"
    found = missed_transfers(c, w.orgs, at("2022-05-01 00:00"))
    assert [(e.responsible, e.event) for e in found] == [("area:helsinki", moved_out.id)]


def test_deregistration_ends_an_episode() -> None:
    gone = fact("customer.deregistered", "2022-03-05 10:00", customer="c:1", reason="employed")
    w = world(customer_registered("c:1", T0, earnings=False), gone)
    c = _history(w)
    assert required_org_at(c, w.orgs, at("2022-04-01 10:00")) is None
    assert [e.end for e in episodes(c, w.orgs, at("2022-06-01 10:00"))] == [at("2022-03-05 10:00")]
    assert missed_transfers(c, w.orgs, at("2022-06-01 10:00")) == []
    assert next_check_at(c, w.orgs, at("2022-06-01 10:00")) is None


def test_facts_after_the_horizon_are_not_considered() -> None:
    w = world(customer_registered("c:1", T0, earnings=False), _transfer("c:1", "2022-03-20 10:00"))
    c = _history(w)
    found = missed_transfers(c, w.orgs, at("2022-03-10 10:00"))
    assert len(found) == 1 and found[0].end is None


@pytest.mark.parametrize(("customer", "to", "reason"), [
    (customer_registered("c:1", T0, earnings=False), "area:helsinki", None),
    (customer_registered("c:1", T0, earnings=False), "te:pirkanmaa", None),  # only transfers to areas
    (customer_registered("c:1", T0, earnings=False), "area:vantaa-kerava", "home municipality 091 is not one of"),
    (customer_registered("c:1", T0), "area:helsinki", "the customer is neither under 30"),
    (customer_registered("c:1", T0, born="1992-03-01"), "area:helsinki", "the customer is neither under 30"),
    (customer_registered("c:1", T0, born="1992-03-02"), "area:helsinki", None),
])
def test_transfer_ineligibility(customer: Fact, to: str, reason: str | None) -> None:
    w = world(customer)
    why = transfer_ineligibility(_history(w), to, w.orgs, at(T0))
    assert (why is None) if reason is None else (why or "").startswith(reason)
