"""The competent authority for a decision (CONTRACT §4), by the rule set in force at its ``at``.

Legal source — DOMAIN.md, *What the experiment area does for its customers* and *What the state
TE office keeps, also inside experiment areas* (Act 1269/2020, amendment 421/2021):

- For a customer whose responsible organisation at ``at`` is experiment area A, A decides the
  rule set's ``area_kinds`` — **except** ``pay_subsidy`` when the employer is a municipality of A at
  ``at`` (the area may not subsidise itself): then a TE office decides. A TE office decides the
  rule set's ``te_office_kinds``.
- For any other customer (a TE office's own, deregistered, or unknown), a TE office decides
  every kind.

"A TE office" is any organisation of kind ``te_office`` (label :data:`TE_OFFICE`); an area is
competent only for itself. The deciding organisation is the actor's organisation at ``at``
(CONTRACT §4); a ``system:`` actor, or a user no ``user.registered`` names, has no organisation, so
such decisions are not judged for competence (no organisation can be said to have decided without
authority; the unknown user is ``REFERENCE_UNKNOWN`` and ``ACCESS_WITHOUT_RIGHT`` instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledger.events import DecisionKind
from policies.orgs import OrgHistory
from policies.rulesets import RuleSet, rule_set_at

TE_OFFICE = "te_office"
"""The competence label meaning "a TE office" — any organisation of kind ``te_office``."""


@dataclass(frozen=True, slots=True)
class Competence:
    """Who is competent for one decision: an area id or :data:`TE_OFFICE`, by which rule set, why."""

    authority: str
    rule_set: RuleSet
    reason: str


def competence_for(kind: DecisionKind, *, responsible: str | None, at: datetime, orgs: OrgHistory,
                   employer_municipality: str | None = None) -> Competence:
    """The competent authority for a decision of ``kind`` at ``at`` on a customer whose
    responsible organisation then is ``responsible``; ``employer_municipality`` is the
    municipality the decision's employer is (``None`` if it is none)."""
    rules = rule_set_at(at)
    kind = DecisionKind(kind)
    if responsible is None or not orgs.is_area(responsible):
        return Competence(TE_OFFICE, rules, "the customer is not an experiment area's customer then, so a TE office "
                                            "decides every kind")
    if kind in rules.te_office_kinds:
        return Competence(TE_OFFICE, rules, f"a TE office keeps {kind.value} also for {responsible}'s customers")
    if kind is DecisionKind.PAY_SUBSIDY and employer_municipality is not None \
            and employer_municipality in orgs.municipalities_at(responsible, at):
        return Competence(TE_OFFICE, rules, f"the employer is municipality {employer_municipality} of {responsible}, "
                                            "so a TE office decides the pay subsidy")
    return Competence(responsible, rules, f"{responsible} decides {kind.value} for its own customers")


def is_competent(org: str | None, competence: Competence, orgs: OrgHistory) -> bool:
    """True when ``org`` may make the decision ``competence`` describes."""
    if competence.authority == TE_OFFICE:
        return orgs.is_te_office(org)
    return org == competence.authority
