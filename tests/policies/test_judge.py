"""Every event-level rule of CONTRACT §5: a case that triggers it and one that does not."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from ledger.events import Rule
from policies.facts import Fact
from policies.judge import acting_org, competent_authority, judge, unknown_references
from policies.verdicts import Verdict
from policies.world import InMemoryWorld
from tests.factories import hetu
from tests.policies.helpers import at, customer_registered, fact, world

WORKDAY = "2022-03-14 10:00"  # a Monday, office hours, rule set 2021-10
C1 = customer_registered("c:1", "2021-06-01 10:00", earnings=False, language="sv", hetu_index="idx-c1")
TO_AREA = fact("customer.transferred", "2021-06-02 10:00", "u:te-1", customer="c:1", from_="te:uusimaa",
               to="area:helsinki", reason="became_eligible")
C2 = customer_registered("c:2", "2021-06-01 10:00", hetu_index="idx-official-1")  # the official's own HETU
EMPLOYERS = [fact("employer.registered", "2021-03-01 00:00", employer="e:0000001-9", name="Helsingin kaupunki",
                  municipality="091"),
             fact("employer.registered", "2021-03-01 00:00", employer="e:0000002-7", name="Oy Ab")]


def _world(*extra: Fact) -> InMemoryWorld:
    return world(C1, TO_AREA, C2, *EMPLOYERS, *extra)


def _view(actor: str = "u:hki-1", subject: str = "c:1", when: str = WORKDAY, purpose: str = "service_guidance",
          categories: tuple[str, ...] = ("identity", "service_plan")) -> Fact:
    return fact("record.viewed", when, actor, subject=subject, purpose=purpose, categories=list(categories))


def _decision(actor: str = "u:hki-1", kind: str = "start_up_grant", when: str = WORKDAY, language: str = "sv",
              **extra: Any) -> Fact:
    return fact("decision.made", when, actor, decision="d:1", kind=kind, customer="c:1", outcome="granted",
                language=language, **extra)


def _rules(verdicts: list[Verdict]) -> list[str]:
    return [v.rule.value for v in verdicts]


def test_a_lawful_view_has_no_verdict() -> None:
    assert judge(_view(), _world()) == []


@pytest.mark.parametrize(("view", "extra", "rules"), [
    # ACCESS_WITHOUT_RIGHT
    (_view(actor="u:new"), [fact("user.registered", "2021-03-01", user="u:new", org="area:helsinki",
                                 main_duties_under_act=True)], ["ACCESS_WITHOUT_RIGHT"]),
    (_view(actor="u:new"), [fact("user.registered", "2021-03-01", user="u:new", org="area:helsinki",
                                 main_duties_under_act=True),
                            fact("access.revoked", "2022-03-14 09:59", "u:keha-1", user="u:new", reason="left"),
                            fact("access.granted", "2022-03-01 09:00", "u:keha-1", user="u:new",
                                 valid_from="2022-03-01")], ["ACCESS_WITHOUT_RIGHT"]),
    (_view(actor="u:ghost"), [], ["ACCESS_WITHOUT_RIGHT", "REFERENCE_UNKNOWN"]),
    # ACCESS_OUTSIDE_OWN_CUSTOMERS
    (_view(actor="u:vk-1"), [], ["ACCESS_OUTSIDE_OWN_CUSTOMERS"]),
    (_view(subject="c:2"), [], ["ACCESS_OUTSIDE_OWN_CUSTOMERS", "ACCESS_OWN_RECORD"]),
    (_view(actor="u:te-1", subject="c:1"), [], []),  # TE offices are not limited by this rule
    (_view(subject="e:0000002-7", purpose="employer_service", categories=("employer_basic",)), [], []),
    # ACCESS_EXCESS_CATEGORIES
    (_view(categories=("identity", "health")), [], ["ACCESS_EXCESS_CATEGORIES"]),
    (_view(purpose="pay_subsidy", categories=("identity", "health")), [], []),
    # ACCESS_OFF_HOURS
    (_view(when="2022-03-14 19:00"), [], ["ACCESS_OFF_HOURS"]),
    (_view(when="2022-03-14T17:30:00Z"), [], ["ACCESS_OFF_HOURS"]),
    (_view(when="2022-03-14 18:59"), [], []),
    (_view(actor="system:batch", when="2022-03-13 03:00"), [], ["ACCESS_OFF_HOURS"]),
])
def test_views(view: Fact, extra: list[Fact], rules: list[str]) -> None:
    assert _rules(judge(view, _world(*extra))) == rules


def test_an_unknown_user_has_no_right_and_is_an_unknown_reference() -> None:
    verdicts = judge(_view(actor="u:ghost"), _world())
    assert _rules(verdicts) == ["ACCESS_WITHOUT_RIGHT", "REFERENCE_UNKNOWN"]
    assert all((v.user, v.org, v.subject) == ("u:ghost", None, "c:1") for v in verdicts)
    assert "u:ghost" in verdicts[1].explanation


def test_own_record_compares_hetu_indexes_only() -> None:
    verdicts = judge(_view(actor="u:te-1", subject="c:2"), _world())
    assert verdicts == []  # u:te-1 registered no HETU
    own = [v for v in judge(_view(subject="c:2"), _world()) if v.rule is Rule.ACCESS_OWN_RECORD]
    assert [(v.org, v.user, v.subject) for v in own] == [("area:helsinki", "u:hki-1", "c:2")]


def test_view_verdicts_name_the_acting_organisation_user_and_subject() -> None:
    v = judge(_view(actor="u:vk-1"), _world())[0]
    assert (v.org, v.user, v.subject, v.rule_set) == ("area:vantaa-kerava", "u:vk-1", "c:1", "2021-10")
    assert "area:helsinki" in v.explanation


@pytest.mark.parametrize(("decision", "rules"), [
    (_decision(), []),
    (_decision(language="fi"), ["DECISION_LANGUAGE"]),
    (_decision(actor="u:te-1"), ["DECISION_WRONG_AUTHORITY"]),
    (_decision(kind="statement_unemployment"), []),  # rule set 2021-10: the area's
    (_decision(kind="statement_unemployment", when="2021-10-01 10:00"), ["DECISION_WRONG_AUTHORITY"]),
    (_decision(actor="u:te-1", kind="statement_unemployment", when="2021-10-01 10:00"), []),
    (_decision(kind="training_selection"), ["DECISION_WRONG_AUTHORITY"]),
    (_decision(kind="pay_subsidy", employer="e:0000002-7"), []),
    (_decision(kind="pay_subsidy", employer="e:0000001-9"), ["DECISION_WRONG_AUTHORITY"]),
    (_decision(actor="u:te-1", kind="pay_subsidy", employer="e:0000001-9"), []),
    (_decision(actor="system:ura"), []),  # a system has no organisation: not judged for competence
    (_decision(actor="u:ghost"), ["ACCESS_WITHOUT_RIGHT", "REFERENCE_UNKNOWN"]),
    (_decision(when="2021-06-01 12:00"), ["DECISION_WRONG_AUTHORITY"]),  # still the TE office's customer
])
def test_decisions(decision: Fact, rules: list[str]) -> None:
    assert _rules(judge(decision, _world())) == rules


def test_decision_verdicts_and_competence_columns() -> None:
    w = _world()
    d = _decision(actor="u:te-1", kind="start_up_grant")
    assert competent_authority(d, w) == ("area:helsinki", "2021-10")
    assert acting_org(d, w) == "te:uusimaa"
    v = judge(d, w)[0]
    assert (v.org, v.user, v.subject) == ("te:uusimaa", "u:te-1", "c:1")
    assert "area:helsinki was competent" in v.explanation
    assert competent_authority(_decision(kind="training_selection"), w) == ("te_office", "2021-10")
    with pytest.raises(ValueError):
        competent_authority(_view(), w)


@pytest.mark.parametrize(("grant", "extra", "rules"), [
    (fact("access.granted", WORKDAY, "u:keha-1", user="u:hki-1", valid_from="2022-03-14"), [], []),
    (fact("access.granted", WORKDAY, "u:te-1", user="u:hki-1", valid_from="2022-03-14"), [], ["GRANT_UNAUTHORISED"]),
    (fact("access.granted", WORKDAY, "system:ura", user="u:hki-1", valid_from="2022-03-14"), [],
     ["GRANT_UNAUTHORISED"]),
    (fact("access.granted", WORKDAY, "u:ghost", user="u:hki-1", valid_from="2022-03-14"), [],
     ["GRANT_UNAUTHORISED", "REFERENCE_UNKNOWN"]),
    (fact("access.granted", WORKDAY, "u:keha-1", user="u:clerk", valid_from="2022-03-14"),
     [fact("user.registered", "2021-03-01", user="u:clerk", org="area:helsinki", main_duties_under_act=False)],
     ["GRANT_NOT_NECESSARY"]),
    (fact("access.granted", WORKDAY, "u:keha-1", user="u:clerk", valid_from="2022-03-14"),
     [fact("user.registered", "2021-03-01", user="u:clerk", org="area:helsinki", main_duties_under_act=False),
      fact("user.registered", "2022-03-01", user="u:clerk", org="area:helsinki", main_duties_under_act=True)], []),
])
def test_grants(grant: Fact, extra: list[Fact], rules: list[str]) -> None:
    assert _rules(judge(grant, _world(*extra))) == rules


def test_grant_verdicts_name_who_granted_and_whose_right_is_unnecessary() -> None:
    clerk = fact("user.registered", "2021-03-01", user="u:clerk", org="area:helsinki", main_duties_under_act=False)
    grant = fact("access.granted", WORKDAY, "u:te-1", user="u:clerk", valid_from="2022-03-14")
    unauthorised, unnecessary = judge(grant, _world(clerk))
    assert (unauthorised.org, unauthorised.user, unauthorised.subject) == ("te:uusimaa", "u:te-1", None)
    assert (unnecessary.org, unnecessary.user, unnecessary.subject) == ("area:helsinki", "u:te-1", None)


@pytest.mark.parametrize(("transfer", "rules"), [
    (TO_AREA, []),
    (fact("customer.transferred", WORKDAY, "u:te-1", customer="c:2", from_="te:uusimaa", to="area:helsinki",
          reason="correction"), ["TRANSFER_INELIGIBLE"]),
    (fact("customer.transferred", WORKDAY, "u:te-1", customer="c:1", from_="te:uusimaa", to="area:vantaa-kerava",
          reason="moved_in"), ["TRANSFER_INELIGIBLE"]),
    (fact("customer.transferred", WORKDAY, "u:hki-1", customer="c:2", from_="area:helsinki", to="te:uusimaa",
          reason="no_longer_eligible"), []),
])
def test_transfers(transfer: Fact, rules: list[str]) -> None:
    verdicts = judge(transfer, _world())
    assert _rules(verdicts) == rules
    for v in verdicts:
        assert (v.org, v.subject) == (transfer.data["to"], transfer.data["customer"])


@pytest.mark.parametrize(("event", "unknown"), [
    (fact("vacancy.published", WORKDAY, "u:hki-1", vacancy="v:1", employer="e:0000003-5"), ["e:0000003-5"]),
    (fact("jobseeker.presented", WORKDAY, "u:hki-1", customer="c:9", employer="e:0000002-7"), ["c:9"]),
    (fact("complaint.filed", WORKDAY, "system:ura", complaint="k:1", org="area:nowhere", topic="other"),
     ["area:nowhere"]),
    (fact("user.registered", WORKDAY, user="u:x", org="te:nowhere", main_duties_under_act=True), ["te:nowhere"]),
    (fact("organisation.registered", WORKDAY, org="area:new", kind="experiment_area", name="N", languages=["fi"],
          te_office="te:nowhere", municipalities=["001"]), ["te:nowhere"]),
    (fact("customer.transferred", WORKDAY, "u:ghost", customer="c:1", from_="te:uusimaa", to="area:helsinki",
          reason="correction"), ["u:ghost"]),
    (fact("record.viewed", WORKDAY, "u:hki-1", subject="e:0000003-5", purpose="employer_service",
          categories=["employer_basic"]), ["e:0000003-5"]),
    (fact("customer.registered", WORKDAY, customer="c:new", org="te:uusimaa", home_municipality="091",
          birth_date="1990-01-01", earnings_related_eligible=True, immigrant_or_foreign_language=False,
          language="fi"), []),  # a registering event registers what it names
    (fact("access.revoked", WORKDAY, "u:keha-1", user="u:hki-1", reason="x"), []),
])
def test_reference_unknown_lists_every_unregistered_id(event: Fact, unknown: list[str]) -> None:
    w = _world(event)  # the world holds the judged fact too
    assert unknown_references(event, w) == unknown
    found = [v for v in judge(event, w) if v.rule is Rule.REFERENCE_UNKNOWN]
    assert len(found) == (1 if unknown else 0)
    if found:
        assert all(u in found[0].explanation for u in unknown)


def test_the_ledgers_own_records_are_not_judged() -> None:
    queried = fact("ledger.queried", "2022-03-13 03:00", "u:ghost", command="access-log", purpose="x", subject="c:9")
    assert judge(queried, _world()) == [] and unknown_references(queried, _world()) == []


HETU_LIKE = re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]")


def test_no_explanation_contains_a_hetu_or_a_name() -> None:
    real = hetu(date(1990, 1, 1))
    named = fact("customer.registered", "2021-06-01 10:00", hetu_index="idx-n", customer="c:n", org="te:uusimaa",
                 home_municipality="091", birth_date="1990-01-01", earnings_related_eligible=True,
                 immigrant_or_foreign_language=False, language="fi", hetu=real, name="Matti Meikäläinen")
    w = _world(named)
    facts = [_view(actor="u:vk-1", subject="c:n", when="2022-03-13 03:00", categories=("health",)),
             _decision(actor="u:te-1", kind="training_selection", language="fi"),
             fact("customer.transferred", WORKDAY, "u:ghost", customer="c:n", from_="te:uusimaa", to="area:helsinki",
                  reason="correction")]
    verdicts = [v for f in facts for v in judge(f, w)]
    assert len({v.rule for v in verdicts}) >= 6
    for v in verdicts:
        assert not HETU_LIKE.search(v.explanation) and "Matti" not in v.explanation
        assert v.explanation.endswith(".") and v.explanation.count(". ") == 0


def test_judgement_uses_the_world_as_of_the_facts_time_not_later_changes() -> None:
    back = fact("customer.transferred", "2022-03-15 10:00", "u:hki-1", customer="c:1", from_="area:helsinki",
                to="te:uusimaa", reason="correction")
    assert judge(_view(), _world(back)) == []
    assert _rules(judge(_view(when="2022-03-15 10:00"), _world(back))) == ["ACCESS_OUTSIDE_OWN_CUSTOMERS"]


def test_timestamps_in_any_offset_give_the_same_verdicts() -> None:
    local = _view(when="2022-03-14 19:30")
    utc = Fact(id=local.id, type=local.type, at=at("2022-03-14T17:30:00+00:00"), actor=local.actor, data=local.data)
    assert judge(local, _world()) == judge(utc, _world())


def test_before_a_users_first_registration_the_user_has_no_organisation() -> None:
    """CONTRACT §2 read literally: an act stamped before the actor's registration is by a user of
    no organisation — a grant then is not by a user of keha; a view then is by no area's user."""
    late_keha = fact("user.registered", "2022-03-14 11:00", user="u:keha-late", org="keha", main_duties_under_act=True)
    grant = fact("access.granted", WORKDAY, "u:keha-late", user="u:hki-1", valid_from="2022-03-14")
    assert _rules(judge(grant, _world(late_keha))) == ["GRANT_UNAUTHORISED"]
    later = fact("access.granted", "2022-03-14 11:00", "u:keha-late", user="u:hki-1", valid_from="2022-03-14")
    assert _rules(judge(later, _world(late_keha))) == []
    late_area = [fact("user.registered", "2022-03-14 11:00", user="u:esp-late", org="area:vantaa-kerava",
                      main_duties_under_act=True),
                 fact("access.granted", "2021-03-01 00:00", "u:keha-1", user="u:esp-late", valid_from="2021-03-01")]
    assert "ACCESS_OUTSIDE_OWN_CUSTOMERS" not in _rules(judge(_view(actor="u:esp-late"), _world(*late_area)))
    assert "ACCESS_OUTSIDE_OWN_CUSTOMERS" in _rules(judge(_view(actor="u:esp-late", when="2022-03-14 12:00"),
                                                          _world(*late_area)))


def test_a_fact_needs_an_offset_and_hashes_without_its_data() -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="offset"):
        Fact("e-1", "record.viewed", datetime(2022, 3, 14, 9, 0), "u:1", {"subject": "c:1"})
    at = datetime.fromisoformat("2022-03-14T09:00:00+02:00")
    a = Fact("e-1", "record.viewed", at, "u:1", {"subject": "c:1", "categories": ["identity"]})
    b = Fact("e-1", "record.viewed", at, "u:1", {"subject": "c:1", "categories": ["identity"]})
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1  # data is a dictionary: left out of the hash
    assert a != Fact("e-1", "record.viewed", at, "u:1", {"subject": "c:2", "categories": ["identity"]})
