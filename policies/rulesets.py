"""Rule sets: which version of the law judges a fact, chosen by the fact's valid time.

A rule set has an identifier and the local date from which it applies; it stays in force until the
next one begins. A later change of the law is a **new** :class:`RuleSet` appended to
:data:`RULE_SETS` beside the old ones — never an edit of an old one — so replay judges every event
by the rules in force at its ``at`` (CONTRACT §4; DOMAIN.md: amendments 421/2021, 1381/2021,
671/2022, 1001/2023).

Today two rule sets differ only in competence (CONTRACT §4):

- ``2021-03`` from 1.3.2021 (Act 1269/2020 in force, every area started);
- ``2021-10`` from 2.10.2021 local date (amendment 421/2021: the statement on unemployment,
  ``statement_unemployment``, moves from the TE office to the experiment area).

Facts dated before 1.3.2021 are judged by the first rule set: no earlier law is modelled.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime

from ledger.events import DecisionKind as K
from policies.localtime import local_date


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One version of the rules: id, first local date in force, source, and its competence lists.

    ``area_kinds`` are the decision kinds the experiment area decides for its own customers;
    ``te_office_kinds`` those a TE office keeps for them too. Together they partition
    :class:`~ledger.events.DecisionKind`.
    """

    id: str
    effective_from: date
    source: str
    area_kinds: frozenset[K]
    te_office_kinds: frozenset[K]


_AREA_2021_03 = frozenset({
    K.PAY_SUBSIDY, K.START_UP_GRANT, K.TRAVEL_COMPENSATION, K.EXPENSE_ALLOWANCE, K.SELF_STUDY_SUPPORT,
    K.SELF_STUDY_SUPPORT_END, K.STATEMENT_SERVICE_PARTICIPATION, K.STATEMENT_STUDY_INTERRUPTION,
    K.STATEMENT_SELF_STUDY_INTERRUPTION, K.STATEMENT_STUDY_MONITORING,
})
_TE_2021_03 = frozenset({
    K.STATEMENT_UNEMPLOYMENT, K.STATEMENT_STUDIES_EFFECT, K.STATEMENT_ENTREPRENEURSHIP_EFFECT,
    K.STATEMENT_REPREHENSIBLE_CONDUCT, K.TRAINING_SELECTION,
})

RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet(
        id="2021-03",
        effective_from=date(2021, 3, 1),
        source="Act 1269/2020 on the municipal experiment on promoting employment, in force 1.3.2021",
        area_kinds=_AREA_2021_03,
        te_office_kinds=_TE_2021_03,
    ),
    RuleSet(
        id="2021-10",
        effective_from=date(2021, 10, 2),
        source="Amendment 421/2021: wider unemployment-security tasks to the areas from 2.10.2021",
        area_kinds=_AREA_2021_03 | {K.STATEMENT_UNEMPLOYMENT},
        te_office_kinds=_TE_2021_03 - {K.STATEMENT_UNEMPLOYMENT},
    ),
)
"""Every rule set, by ``effective_from`` ascending. Append new ones; never edit old ones."""

_STARTS = [r.effective_from for r in RULE_SETS]
BY_ID: dict[str, RuleSet] = {r.id: r for r in RULE_SETS}
"""Rule sets by identifier."""


def rule_set_at(t: datetime) -> RuleSet:
    """The rule set in force at the instant ``t`` (by its Europe/Helsinki local date)."""
    i = bisect_right(_STARTS, local_date(t)) - 1
    return RULE_SETS[max(i, 0)]
