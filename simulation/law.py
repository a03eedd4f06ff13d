"""The simulator's own reading of the rules it must obey (CONTRACT §3–§5, DOMAIN.md).

Deliberately written from the contract, not imported from ``policies/``: the simulator is the
oracle its truth file is checked against, so a mistake in one should not silently repeat in the
other. Only the event vocabulary comes from ``ledger.events``.
"""

from __future__ import annotations

from datetime import date

from ledger.events import Category as C
from ledger.events import DecisionKind as K
from ledger.events import Purpose as P

_BASE = (C.IDENTITY, C.CONTACT)

NEEDED: dict[str, tuple[str, ...]] = {
    p.value: tuple(c.value for c in cats) for p, cats in {
        P.SERVICE_GUIDANCE: (*_BASE, C.JOBSEEKER_STATUS, C.EMPLOYMENT_HISTORY, C.EDUCATION, C.SERVICE_PLAN,
                             C.LANGUAGE_SKILLS),
        P.PAY_SUBSIDY: (*_BASE, C.JOBSEEKER_STATUS, C.EMPLOYMENT_HISTORY, C.SERVICE_PLAN, C.BENEFITS, C.HEALTH),
        P.START_UP_GRANT: (*_BASE, C.JOBSEEKER_STATUS, C.EMPLOYMENT_HISTORY, C.EDUCATION, C.SERVICE_PLAN,
                           C.BENEFITS),
        P.TRAVEL_COMPENSATION: (*_BASE, C.SERVICE_PLAN, C.BENEFITS),
        P.EXPENSE_ALLOWANCE: (*_BASE, C.SERVICE_PLAN, C.BENEFITS),
        P.SELF_STUDY_SUPPORT: (*_BASE, C.JOBSEEKER_STATUS, C.EDUCATION, C.SERVICE_PLAN, C.BENEFITS,
                               C.LANGUAGE_SKILLS),
        P.LABOUR_POLICY_STATEMENT: (*_BASE, C.JOBSEEKER_STATUS, C.EMPLOYMENT_HISTORY, C.EDUCATION, C.SERVICE_PLAN,
                                    C.BENEFITS),
        P.JOBSEEKER_PRESENTATION: (*_BASE, C.EMPLOYMENT_HISTORY, C.EDUCATION, C.LANGUAGE_SKILLS, C.EMPLOYER_BASIC,
                                   C.EMPLOYER_CONTACTS),
        P.VACANCY_HANDLING: (C.EMPLOYER_BASIC, C.EMPLOYER_SERVICE_PROFILE, C.EMPLOYER_CONTACTS,
                             C.EMPLOYER_DESCRIPTION),
        P.EMPLOYER_SERVICE: (C.EMPLOYER_BASIC, C.EMPLOYER_SERVICE_PROFILE, C.EMPLOYER_CONTACTS,
                             C.EMPLOYER_DESCRIPTION, C.EMPLOYER_PLACEMENTS, C.EMPLOYER_DECISIONS),
    }.items()
}
"""CONTRACT §3: the categories each purpose needs, in contract order."""

CUSTOMER_CATEGORIES = tuple(c.value for c in C if not c.value.startswith("employer_"))
_ORDER = {c.value: i for i, c in enumerate(C)}
KINDS = frozenset(k.value for k in K)
"""Every decision kind."""


def in_contract_order(categories: set[str]) -> list[str]:
    """The categories sorted as CONTRACT §3 lists them."""
    return sorted(categories, key=_ORDER.__getitem__)

AREA_KINDS_2021_03 = frozenset(k.value for k in (
    K.PAY_SUBSIDY, K.START_UP_GRANT, K.TRAVEL_COMPENSATION, K.EXPENSE_ALLOWANCE, K.SELF_STUDY_SUPPORT,
    K.SELF_STUDY_SUPPORT_END, K.STATEMENT_SERVICE_PARTICIPATION, K.STATEMENT_STUDY_INTERRUPTION,
    K.STATEMENT_SELF_STUDY_INTERRUPTION, K.STATEMENT_STUDY_MONITORING))
"""CONTRACT §4: what an area decides for its own customers under rule set 2021-03."""

AMENDMENT_421_2021 = date(2021, 10, 2)
"""From this local date ``statement_unemployment`` moves to the area (rule set 2021-10)."""

PURPOSE_OF_KIND: dict[str, str] = {k.value: p.value for k, p in (
    (K.PAY_SUBSIDY, P.PAY_SUBSIDY), (K.START_UP_GRANT, P.START_UP_GRANT),
    (K.TRAVEL_COMPENSATION, P.TRAVEL_COMPENSATION), (K.EXPENSE_ALLOWANCE, P.EXPENSE_ALLOWANCE),
    (K.SELF_STUDY_SUPPORT, P.SELF_STUDY_SUPPORT), (K.SELF_STUDY_SUPPORT_END, P.SELF_STUDY_SUPPORT),
    (K.TRAINING_SELECTION, P.SERVICE_GUIDANCE))}
"""The purpose of the view before a decision; every statement is a labour-policy statement."""


def purpose_of(kind: str) -> str:
    """The purpose an official views the record for before deciding ``kind``."""
    return PURPOSE_OF_KIND.get(kind, P.LABOUR_POLICY_STATEMENT.value)


def area_kinds(day: date) -> frozenset[str]:
    """Decision kinds the area decides for its own customers on local date ``day``."""
    if day >= AMENDMENT_421_2021:
        return AREA_KINDS_2021_03 | {K.STATEMENT_UNEMPLOYMENT.value}
    return AREA_KINDS_2021_03


def area_competent(kind: str, day: date, *, employer_is_own_municipality: bool) -> bool:
    """True when an area decides ``kind`` for its own customer on ``day`` (else a TE office does).

    The pay subsidy exception: when the employer is one of the area's own municipalities.
    """
    if kind == K.PAY_SUBSIDY.value and employer_is_own_municipality:
        return False
    return kind in area_kinds(day)


def birthday_in(birth: date, year: int) -> date:
    """The birthday in ``year``; 29 February counts as 1 March in a common year."""
    try:
        return birth.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def thirtieth_birthday(birth: date) -> date:
    """The local date from which the person is no longer under 30."""
    return birthday_in(birth, birth.year + 30)


def in_group(*, under_30: bool, earnings_related: bool, immigrant: bool) -> bool:
    """DOMAIN.md's customer group: at least one criterion holds."""
    return under_30 or not earnings_related or immigrant


def decision_language(customer_language: str, org_languages: tuple[str, ...]) -> str:
    """The language a decision is given in: the customer's when Finnish or Swedish (Language
    Act §§10, 12), Sámi where the organisation serves in Sámi, else the organisation's first."""
    if customer_language in ("fi", "sv"):
        return customer_language
    if customer_language == "se" and "se" in org_languages:
        return "se"
    return org_languages[0] if org_languages[0] in ("fi", "sv") else "fi"
