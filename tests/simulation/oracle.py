"""The rules of ``policies/`` applied to a simulated file in memory: every finding as (event, rule).

An independent check of the simulator's truth file that needs no store: the same rule functions
the ledger's projections call, over an :class:`~policies.world.InMemoryWorld` of the whole file.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ledger.events import parse_event
from policies.judge import judge
from policies.monitoring import BulkView, bulk_states
from policies.transfer import missed_transfers
from policies.world import InMemoryWorld


def findings(path: Path) -> set[tuple[str, str]]:
    """Every ``(event id, rule)`` the rules find in the events of ``path``."""
    with path.open("rb") as f:
        world = InMemoryWorld.from_events(parse_event(line) for line in f)
    found = {(fact.id, v.rule.value) for fact in world.facts for v in judge(fact, world)}
    views: dict[str, list[BulkView]] = defaultdict(list)
    for fact in world.facts:
        if fact.type == "record.viewed" and fact.actor.startswith("u:"):
            views[fact.actor].append(BulkView(fact.at, fact.id, fact.data["subject"]))
    for sequence in views.values():
        for view, state in zip(sequence, bulk_states(sequence), strict=True):
            if state.triggered:
                found.add((view.event, "ACCESS_BULK"))
    horizon = world.horizon  # a property that scans every fact: once
    for customer in world.customers():
        history = world.customer(customer)
        assert history is not None
        for episode in missed_transfers(history, world.orgs, horizon):
            found.add((episode.event, "TRANSFER_MISSED"))
    return found


def truth(path: Path) -> set[tuple[str, str]]:
    """The ``(event id, rule)`` pairs of a truth file."""
    import orjson

    with path.open("rb") as f:
        return {(row["event"], row["rule"]) for row in map(orjson.loads, f)}
