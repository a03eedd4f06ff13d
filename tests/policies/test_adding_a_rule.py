"""Adding a rule that reads already-tracked state touches ``policies/`` only (ADR 0017).

A test rule is registered through the rule book with what it reads; the findings projection, over a
real store and unchanged, judges new acts by it and re-judges old ones when a late fact changes
the state it declared.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import pytest

from ledger.events import Severity
from ledger.ingest import ingest_stream
from ledger.store import Ledger
from policies.rulebook import ACTING, Act, Entity, EventRule, Reads
from policies.rules import RULE_BOOK
from policies.rulesets import rule_set_at
from policies.verdicts import Verdict
from projections.findings_engine import dependencies
from projections.readmodel import ReadModel
from tests.factories import ev, hetu, write_jsonl


class ExtraRule(StrEnum):
    VIEW_OF_SWEDISH_SPEAKER = "TEST_VIEW_OF_SWEDISH_SPEAKER"


def _swedish_speaker_viewed(act: Act) -> list[Verdict]:
    """A view of a customer whose language, at the view's moment, is Swedish."""
    subject = act.fact.data["subject"]
    customer = act.world.customer(subject)
    attrs = None if customer is None else customer.attributes_at(act.fact.at)
    if attrs is None or attrs.language.value != "sv":
        return []
    return [Verdict(rule=ExtraRule.VIEW_OF_SWEDISH_SPEAKER, severity=Severity.LOW, rule_set=rule_set_at(act.fact.at).id,
                    legal_basis="a test", explanation=f"{act.user} viewed {subject}, a Swedish speaker.",
                    org=act.org, user=act.user, subject=subject)]


RULE = EventRule(ExtraRule.VIEW_OF_SWEDISH_SPEAKER, frozenset({"record.viewed"}),
                 (ACTING, Reads(Entity.CUSTOMER, "subject")), _swedish_speaker_viewed)

SETUP = [
    ev("organisation.registered", "2021-03-01T00:00:00+02:00", org="te:uusimaa", kind="te_office", name="Uusimaa",
       languages=["fi", "sv"]),
    ev("user.registered", "2021-03-01T00:00:00+02:00", user="u:te-1", org="te:uusimaa", main_duties_under_act=True),
    ev("customer.registered", "2021-06-01T09:00:00+03:00", customer="c:1", hetu=hetu(date(1990, 5, 5)),
       org="te:uusimaa", home_municipality="091", birth_date="1990-05-05", earnings_related_eligible=True,
       immigrant_or_foreign_language=False, language="fi"),
]
VIEW = ev("record.viewed", "2021-06-10T10:00:00+03:00", "u:te-1", key="view", subject="c:1",
          purpose="service_guidance", categories=["identity"])
# arrives late, but in force before the view
SWEDISH = ev("customer.changed", "2021-06-05T10:00:00+03:00", customer="c:1", language="sv")


def _take_in(ledger: Ledger, tmp_path: Path, name: str, events: list[dict[str, object]]) -> list[tuple[str, ...]]:
    """Ingest ``events``, bring the read model up to date, and return the test rule's findings."""
    source = write_jsonl(tmp_path / f"{name}.jsonl", events)
    with source.open("rb") as stream:
        ingest_stream(ledger, str(source), stream)
    ReadModel(ledger).catch_up()
    with ledger.db.read() as cur:
        found = cur.execute(f"SELECT rule, event FROM {ledger.db.table('v_findings')} WHERE rule LIKE %s",
                            ("TEST_%",)).fetchall()
    return sorted(tuple(r) for r in found)


def test_a_rule_filed_in_the_rule_book_fires_in_the_findings_projection(ledger: Ledger, tmp_path: Path) -> None:
    with RULE_BOOK.registered(RULE):
        assert _take_in(ledger, tmp_path, "first", [*SETUP, VIEW]) == []
        # the late change re-judges the view: the projection followed what the rule declared it reads
        assert _take_in(ledger, tmp_path, "late", [SWEDISH]) == [(ExtraRule.VIEW_OF_SWEDISH_SPEAKER.value, VIEW["id"])]
    assert ExtraRule.VIEW_OF_SWEDISH_SPEAKER.value not in RULE_BOOK.event_rule_ids()


def test_without_the_rule_the_same_facts_give_no_finding(ledger: Ledger, tmp_path: Path) -> None:
    assert _take_in(ledger, tmp_path, "all", [*SETUP, VIEW, SWEDISH]) == []


def test_a_dependency_the_read_model_cannot_follow_is_refused_not_ignored() -> None:
    unfollowable = EventRule(ExtraRule.VIEW_OF_SWEDISH_SPEAKER, frozenset({"vacancy.published"}),
                             (Reads(Entity.EMPLOYER, "employer"),), lambda act: [])
    assert dependencies()
    with RULE_BOOK.registered(unfollowable), pytest.raises(ValueError, match=r"vacancy\.published"):
        dependencies()
