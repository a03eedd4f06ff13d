"""Property: the rules are total — no valid time, however far from reality, stops them.

A fact's ``at`` reaches the rules as stored; the ledger refuses times outside its valid-time range
at ingest (``ledger/validtime``), but a store written before that check, or a range configured
wide, may hold any instant Python can represent. Every rule of ``policies/`` must still answer:
no ``OverflowError`` from date arithmetic, no ``ValueError`` from a birthday in year 10029.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.eligibility import is_under_30, turns_30_at
from policies.facts import Fact
from policies.judge import competence_of, judge
from policies.localtime import HELSINKI, local, local_date, local_minute, wall_clock
from policies.monitoring import BulkView, bulk_states, bulk_verdict, off_hours_reason, resume_bulk
from policies.rulesets import rule_set_at
from policies.transfer import episodes, missed_transfers, missed_verdict, next_check_at
from policies.world import InMemoryWorld
from tests.property.test_policies_order import CUSTOMERS, scenarios

ZONES = [UTC, HELSINKI, timezone(timedelta(hours=1, minutes=30)), timezone(timedelta(hours=14)),
         timezone(timedelta(hours=-12)), timezone(timedelta(hours=23, minutes=59)),
         timezone(-timedelta(hours=23, minutes=59))]
EDGES = [datetime.min, datetime.min + timedelta(minutes=90), datetime(1, 1, 1, 1, 30), datetime(9999, 12, 31, 12),
         datetime(9999, 12, 31, 23, 59, 59), datetime.max - timedelta(hours=1), datetime.max]

extreme_instants = st.builds(lambda t, zone: t.replace(tzinfo=zone),
                             st.sampled_from(EDGES) | st.datetimes(), st.sampled_from(ZONES))
extreme_dates = st.sampled_from([date.min, date(1, 12, 31), date(9969, 12, 31), date(9970, 2, 28),
                                 date(9972, 2, 29), date.max]) | st.dates()
_DATE_FIELDS = ("birth_date", "valid_from", "valid_until")


@st.composite
def extreme_scenarios(draw: st.DrawFn) -> list[Fact]:
    """A scenario of ordinary facts, some moved to the edges of time (their ``at``, their dates)."""
    out = []
    for f in draw(scenarios()):
        if draw(st.booleans()):
            f = f._replace(at=draw(extreme_instants))
        dates = {k: draw(extreme_dates).isoformat() for k in _DATE_FIELDS if k in f.data and draw(st.booleans())}
        if dates:
            data = {**f.data, **dates}
            if "valid_until" in data and data["valid_until"] < data["valid_from"]:
                data["valid_until"] = data["valid_from"]
            f = f._replace(data=data)
        out.append(f)
    return out


def _bulk(facts: list[Fact]) -> None:
    views: dict[str, list[BulkView]] = defaultdict(list)
    for f in sorted(facts, key=lambda f: f.order):
        if f.type == "record.viewed":
            views[f.actor].append(BulkView(f.at, f.id, f.data["subject"]))
    for user, seq in views.items():
        states = bulk_states(seq)
        resume_bulk(seq, start=len(seq) // 2, armed_before=True, stored_armed=[None] * len(seq),
                    settled_after=seq[-1].at)
        for view, state in zip(seq, states, strict=True):
            if state.triggered:
                bulk_verdict(user=user, subject=view.subject, org=None, count=state.count, at=view.at)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extreme_scenarios(), extreme_instants)
def test_every_rule_answers_for_facts_at_the_edges_of_time(facts: list[Fact], horizon: datetime) -> None:
    world = InMemoryWorld(facts)
    for f in facts:
        judge(f, world)
        if f.type == "decision.made":
            competence_of(f, world)
    _bulk(facts)
    for c in CUSTOMERS:
        history = world.customer(c)
        if history is None:
            continue
        history.responsibility_intervals()
        for h in (world.horizon, horizon):
            for episode in missed_transfers(history, world.orgs, h):
                missed_verdict(episode, history)
            episodes(history, world.orgs, h)
            next_check_at(history, world.orgs, h)


@given(extreme_instants, extreme_dates)
def test_local_time_age_hours_and_rule_sets_answer_for_any_instant(t: datetime, born: date) -> None:
    assert local(t).tzinfo is HELSINKI
    assert wall_clock(t) == t  # the same instant, whatever the offset it is shown in
    local_date(t)
    local_minute(t)
    off_hours_reason(t)
    rule_set_at(t)
    turns_30_at(born)
    is_under_30(born, t)
