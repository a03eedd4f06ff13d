"""Judging one fact by the event-level rules of CONTRACT §5 (the rules: :mod:`policies.rules`).

:func:`judge` takes a :class:`~policies.facts.Fact` (id, type, at, actor, data as stored,
hetu_index) and a :class:`~policies.history.World`, and returns the verdicts of every event-level
rule the fact breaks; :func:`judgement` returns them with what a caller keeps beside them (the
acting organisation, who was competent and the decision's outcome, the unknown references) in one
:class:`Judgement`, so no caller asks the rules twice about one act (ADR 0017). The sequence rules
have their own functions: ``ACCESS_BULK`` in :mod:`policies.monitoring`, ``TRANSFER_MISSED`` in
:mod:`policies.transfer`; :mod:`policies.case` composes every rule for one customer.

=============================  ========================================================
fact type                      rules
=============================  ========================================================
``record.viewed``              ACCESS_WITHOUT_RIGHT, ACCESS_OUTSIDE_OWN_CUSTOMERS,
                               ACCESS_EXCESS_CATEGORIES, ACCESS_OWN_RECORD, ACCESS_OFF_HOURS
``decision.made``              ACCESS_WITHOUT_RIGHT, DECISION_WRONG_AUTHORITY, DECISION_LANGUAGE
``access.granted``             GRANT_UNAUTHORISED, GRANT_NOT_NECESSARY
``customer.transferred``       TRANSFER_INELIGIBLE
every contract type            REFERENCE_UNKNOWN
=============================  ========================================================

The ledger's own types (``ledger.queried``, ``finding.reviewed``, ``subject.erased``) are not
judged. Each verdict's ``user`` is the ``u:`` actor (``None`` for a ``system:`` actor); ``org`` is
the actor's organisation at ``at`` (:func:`acting_org`), except: ``GRANT_NOT_NECESSARY`` names the
organisation of the user who received the unnecessary right, and ``TRANSFER_INELIGIBLE`` names the
area the customer was transferred to. ``subject`` is the customer or employer the fact is about.

Facts naming an unknown customer are not judged by the rules that need the customer's state
(language, transfer eligibility, own record); an unknown user has no access right and no
organisation. Both are ``REFERENCE_UNKNOWN``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from ledger.events import LEDGER_TYPES, Rule
from policies.competence import TE_OFFICE, Competence, competence_for, is_competent
from policies.facts import Fact
from policies.history import World
from policies.rulebook import Act
from policies.rules import RULE_BOOK
from policies.verdicts import Verdict, finding_id

__all__ = ["DecisionOutcome", "Fact", "Judgement", "acting_org", "competence_of", "competent_authority",
           "finding_id", "judge", "judgement", "unknown_references"]

_REFERENCE_FIELDS = frozenset({"user", "customer", "subject", "employer", "org", "from", "to", "te_office"})
_ENTITY_PREFIXES = ("u:", "c:", "e:", "area:", "te:")
_ORGS = frozenset({"keha", "avi", "tem"})
_RULE_ORDER: dict[StrEnum, int] = {rule: i for i, rule in enumerate(Rule)}


def _user(actor: str) -> str | None:
    return actor if actor.startswith("u:") else None


def acting_org(fact: Fact, world: World) -> str | None:
    """The actor's organisation at the fact's ``at``; ``None`` for a ``system:`` or unknown actor."""
    user = _user(fact.actor)
    history = world.user(user) if user else None
    return None if history is None else history.org_at(fact.at)


def unknown_references(fact: Fact, world: World) -> list[str]:
    """The users (the ``u:`` actor included), customers, employers and organisations the fact
    names that no event registers, sorted."""
    if fact.type in LEDGER_TYPES:
        return []
    registered = world.registered
    unknown = [fact.actor] if fact.actor.startswith("u:") and not registered(fact.actor) else []
    # the data's own fields are fewer than the reference fields: walk those
    for field, value in fact.data.items():
        if field in _REFERENCE_FIELDS and isinstance(value, str) \
                and (value.startswith(_ENTITY_PREFIXES) or value in _ORGS) and not registered(value):
            unknown.append(value)
    return sorted(set(unknown)) if unknown else []


def competence_of(fact: Fact, world: World) -> Competence:
    """Who was competent for a ``decision.made`` fact (CONTRACT §4), and why."""
    if fact.type != "decision.made":
        raise ValueError("competence is defined for decision.made facts only")
    customer = world.customer(fact.data["customer"])
    responsible = None if customer is None else customer.responsible_at(fact.at)
    employer_id = fact.data.get("employer")
    employer = world.employer(employer_id) if employer_id else None
    return competence_for(fact.data["kind"], responsible=responsible, at=fact.at, orgs=world.orgs,
                          employer_municipality=None if employer is None else employer.municipality_at(fact.at))


def competent_authority(fact: Fact, world: World) -> tuple[str, str]:
    """``(authority, rule set id)`` for a decision: an area id or ``"te_office"`` (any TE office)."""
    c = competence_of(fact, world)
    return (c.authority, c.rule_set.id)


@dataclass(frozen=True)
class DecisionOutcome:
    """A decision as a dispute reads it: the acting organisation, who was competent (an area id or
    ``"a TE office"``), the rule set, and whether it was lawful."""

    org: str | None
    competent: str
    rule_set: str
    lawful: bool



class Judgement(NamedTuple):
    """Everything the rules conclude about one fact, from one call of :func:`judgement`: the
    verdicts of every event-level rule it breaks (in rule order), the acting organisation at its
    ``at``, who was competent and the decision's outcome (``decision.made`` only), and the
    entities it names that no event registers (sorted). A tuple, as :class:`~policies.rulebook.Act`
    is: one is made for every fact judged."""

    verdicts: tuple[Verdict, ...]
    org: str | None
    competence: Competence | None = None
    unknown: tuple[str, ...] = ()
    decision: DecisionOutcome | None = None

    @property
    def rules(self) -> list[str]:
        """The ids of the rules the fact breaks, in rule order."""
        return [v.rule.value for v in self.verdicts]


# ---------------------------------------------------------------------- one call per act

def _outcome(act: Act, verdicts: list[Verdict]) -> DecisionOutcome | None:
    """A decision is lawful when made by a user with an access right in force, for the
    organisation competent at its moment, in the customer's language where the Language Act
    requires it (no ``DECISION_LANGUAGE``)."""
    competence = act.competence
    if competence is None:
        return None
    history = act.world.user(act.user) if act.user else None
    right = history is not None and history.right_in_force(act.fact.at)
    lawful = bool(act.org is not None and is_competent(act.org, competence, act.world.orgs) and right
                  and all(v.rule is not Rule.DECISION_LANGUAGE for v in verdicts))
    competent = "a TE office" if competence.authority == TE_OFFICE else competence.authority
    return DecisionOutcome(act.org, competent, competence.rule_set.id, lawful)


def _order(v: Verdict) -> int:
    return _RULE_ORDER.get(v.rule, len(_RULE_ORDER))


def judgement(fact: Fact, world: World) -> Judgement:
    """Every rule filed in :data:`~policies.rulebook.RULE_BOOK` on ``fact``, and what they share,
    as one :class:`Judgement`. The ledger's own types are not judged."""
    if fact.type in LEDGER_TYPES:
        return Judgement((), None)
    user = _user(fact.actor)
    history = world.user(user) if user else None
    org = None if history is None else history.org_at(fact.at)
    competence = competence_of(fact, world) if fact.type == "decision.made" else None
    unknown = tuple(unknown_references(fact, world))
    act = Act(fact, world, user, org, competence, unknown)
    out: list[Verdict] = []
    for rule in RULE_BOOK.for_type(fact.type):
        out += rule.check(act)
    if len(out) > 1:
        out.sort(key=_order)  # stable: a rule filed later lists after the contract's
    return Judgement(tuple(out), org, competence, unknown, _outcome(act, out))


def judge(fact: Fact, world: World) -> list[Verdict]:
    """The verdicts of every event-level rule (CONTRACT §5) the fact breaks, in rule order."""
    return list(judgement(fact, world).verdicts)
