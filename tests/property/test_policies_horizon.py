"""Property: TRANSFER_MISSED changes with the horizon alone only at ``next_check_at`` — the promise
the projections rely on to re-check a customer only when the horizon passes that time."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.facts import Fact
from policies.transfer import missed_transfers, missed_verdict, next_check_at
from policies.world import InMemoryWorld
from tests.property.test_policies_order import CUSTOMERS, scenarios


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.integers(1, 60 * 24 * 400).map(lambda m: timedelta(minutes=m)))
def test_nothing_changes_before_the_next_check(facts: list[Fact], later: timedelta) -> None:
    world = InMemoryWorld(facts)
    horizon = world.horizon
    assert horizon is not None
    for customer in CUSTOMERS:
        history = world.customer(customer)
        if history is None:
            continue
        check = next_check_at(history, world.orgs, horizon)
        assert check is None or check > horizon
        now = [missed_verdict(e, history) for e in missed_transfers(history, world.orgs, horizon)]
        then = [missed_verdict(e, history) for e in missed_transfers(history, world.orgs, horizon + later)]
        if check is None or horizon + later < check:
            assert then == now
