"""One customer's case: every rule of the rule book over the facts of one customer (ADR 0017).

:func:`judge_customer` is the one composition of the event-level and the sequence rules for a
customer, used by the dispute dossier (``replay/dossier.py``) and by its offline re-check
(``replay/bundle_check.py``); the findings projection runs the same per-customer sequence rules
through :func:`customer_sequence_verdicts` and the event-level rules through
:func:`policies.judge.judgement`, incrementally.

``ACCESS_BULK`` counts an official's views of *other* customers too, so the caller says on which of
the customer's views it fired (``bulk``): the read model's findings, the viewers' views within
bounds run through :mod:`policies.monitoring`, or what a bundle shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from ledger.events import Rule
from policies.customers import CustomerHistory
from policies.facts import Fact
from policies.history import World
from policies.judge import Judgement, judgement
from policies.orgs import OrgHistory
from policies.rulebook import Entity
from policies.rules import RULE_BOOK
from policies.verdicts import Verdict


@dataclass(frozen=True)
class Case:
    """What the rules conclude about one customer: each judged fact's :class:`Judgement`, the rule
    ids found on each event (event-level rules in rule order, then ``ACCESS_BULK``, then the
    per-customer sequence rules), and the customer's history (``None``: unknown)."""

    judgements: dict[str, Judgement]
    findings: dict[str, list[str]]
    history: CustomerHistory | None


def customer_sequence_verdicts(customer: CustomerHistory, orgs: OrgHistory,
                               horizon: datetime | None) -> list[tuple[str, datetime, Verdict]]:
    """``(event id, start, verdict)`` of every per-customer sequence rule in the rule book
    (``TRANSFER_MISSED``): each on the event that began what it found, and when that began."""
    out: list[tuple[str, datetime, Verdict]] = []
    for rule in RULE_BOOK.sequence_rules:
        if rule.per is Entity.CUSTOMER and rule.check is not None:
            out += rule.check(customer, orgs, horizon)
    return out


def judge_customer(customer: str, facts: Iterable[Fact], world: World, *, horizon: datetime | None,
                   bulk: Collection[str]) -> Case:
    """Every rule on ``customer``'s ``facts`` (each judged once, with ``world``), ``ACCESS_BULK``
    on the views among them listed in ``bulk``, and the per-customer sequence rules as of
    ``horizon``. A sequence finding may fall on an event outside ``facts`` (an organisation fact
    that changed the home municipality's area)."""
    judgements: dict[str, Judgement] = {}
    found: dict[str, list[str]] = defaultdict(list)
    for fact in facts:
        judged = judgements[fact.id] = judgement(fact, world)
        found[fact.id] += judged.rules
        if fact.type == "record.viewed" and fact.id in bulk:
            found[fact.id].append(Rule.ACCESS_BULK.value)
    history = world.customer(customer)
    if history is not None:
        for event, _, v in customer_sequence_verdicts(history, world.orgs, horizon):
            found[event].append(v.rule.value)
    return Case(judgements, found, history)
