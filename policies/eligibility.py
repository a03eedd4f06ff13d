"""The customer group (asiakasryhmä) of the experiment: who belongs to which area, at t.

Legal source — DOMAIN.md, *The customer group*: a customer belongs to the experiment area of their
home municipality (kotikunta) **at that time** when at least one holds:

1. not entitled to earnings-related unemployment allowance (ansiopäiväraha),
2. under 30 years old,
3. an immigrant or foreign-language speaker (maahanmuuttaja tai vieraskielinen).

Age is computed on the Europe/Helsinki local date of t. The 30th birthday itself is no longer
"under 30": a customer stops being under 30 at 00:00 local time on that day. Someone born on
29 February has their birthday on 1 March in common years (the day after 28 February; the
conservative reading that keeps them in the group one day longer), so the 30th birthday of a
person born 29.2.2000 is 1.3.2030.
"""

from __future__ import annotations

from datetime import date, datetime

from policies.customers import Attributes
from policies.localtime import local_date, local_midnight
from policies.orgs import OrgHistory

AGE_LIMIT = 30
"""Under this age (in whole years) a customer meets criterion 2."""

UNDER_30 = "under_30"
NO_EARNINGS_RELATED = "not_earnings_related_eligible"
IMMIGRANT_OR_FOREIGN_LANGUAGE = "immigrant_or_foreign_language"


def birthday_in(birth_date: date, year: int) -> date:
    """The birthday in ``year``; 29 February falls on 1 March in a common year. A year after 9999
    gives the last representable date (a birth date that far off can only be a stored error)."""
    if year > date.max.year:
        return date.max
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def thirtieth_birthday(birth_date: date) -> date:
    """The local date on which the customer is no longer under 30."""
    return birthday_in(birth_date, birth_date.year + AGE_LIMIT)


def turns_30_at(birth_date: date) -> datetime:
    """The instant (00:00 Europe/Helsinki) the customer stops being under 30."""
    return local_midnight(thirtieth_birthday(birth_date))


def is_under_30(birth_date: date, t: datetime) -> bool:
    """True when the customer is under 30 on the local date of t."""
    return local_date(t) < thirtieth_birthday(birth_date)


def criteria_met(attrs: Attributes, t: datetime) -> tuple[str, ...]:
    """The customer-group criteria that hold at t, by name (empty: none holds)."""
    met: list[str] = []
    if is_under_30(attrs.birth_date, t):
        met.append(UNDER_30)
    if not attrs.earnings_related_eligible:
        met.append(NO_EARNINGS_RELATED)
    if attrs.immigrant_or_foreign_language:
        met.append(IMMIGRANT_OR_FOREIGN_LANGUAGE)
    return tuple(met)


def eligible_area(attrs: Attributes, orgs: OrgHistory, t: datetime) -> str | None:
    """The experiment area the customer belongs to at t, or ``None`` (not in the customer group).

    That is the area whose municipality the home municipality is at t, when a criterion holds.
    """
    area = orgs.area_of_municipality_at(attrs.home_municipality, t)
    if area is None or not criteria_met(attrs, t):
        return None
    return area


def ineligibility(attrs: Attributes, area: str, orgs: OrgHistory, t: datetime) -> str | None:
    """Why the customer is not in ``area``'s customer group at t, or ``None`` when they are.

    The reason is one clause without personal data (codes and ids only).
    """
    if attrs.home_municipality not in orgs.municipalities_at(area, t):
        return f"home municipality {attrs.home_municipality} is not one of {area}'s municipalities"
    if not criteria_met(attrs, t):
        return ("the customer is neither under 30, nor without earnings-related allowance, nor an immigrant "
                "or foreign-language speaker")
    return None
