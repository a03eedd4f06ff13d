"""Data minimisation: which data categories each purpose needs (CONTRACT §3), as data.

Legal source — DOMAIN.md, *The customer information system*: GDPR principles of proportionality,
purpose limitation and data minimisation; area users see only what their task needs. A view that
takes a category its purpose does not need breaks ``ACCESS_EXCESS_CATEGORIES``.

:data:`PURPOSE_CATEGORIES` is the one place the table lives; everything else imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from ledger.events import EMPLOYER_CATEGORIES, Category, Purpose

C = Category
_ORDER = tuple(Category)
_BASE = (C.IDENTITY, C.CONTACT)

PURPOSE_CATEGORIES: Mapping[Purpose, frozenset[Category]] = MappingProxyType({
    Purpose.SERVICE_GUIDANCE: frozenset({*_BASE, C.JOBSEEKER_STATUS, C.EMPLOYMENT_HISTORY, C.EDUCATION,
                                         C.SERVICE_PLAN, C.LANGUAGE_SKILLS}),
    Purpose.PAY_SUBSIDY: frozenset({*_BASE, C.JOBSEEKER_STATUS, C.EMPLOYMENT_HISTORY, C.SERVICE_PLAN, C.BENEFITS,
                                    C.HEALTH}),
    Purpose.START_UP_GRANT: frozenset({*_BASE, C.JOBSEEKER_STATUS, C.EMPLOYMENT_HISTORY, C.EDUCATION,
                                       C.SERVICE_PLAN, C.BENEFITS}),
    Purpose.TRAVEL_COMPENSATION: frozenset({*_BASE, C.SERVICE_PLAN, C.BENEFITS}),
    Purpose.EXPENSE_ALLOWANCE: frozenset({*_BASE, C.SERVICE_PLAN, C.BENEFITS}),
    Purpose.SELF_STUDY_SUPPORT: frozenset({*_BASE, C.JOBSEEKER_STATUS, C.EDUCATION, C.SERVICE_PLAN, C.BENEFITS,
                                           C.LANGUAGE_SKILLS}),
    Purpose.LABOUR_POLICY_STATEMENT: frozenset({*_BASE, C.JOBSEEKER_STATUS, C.EMPLOYMENT_HISTORY, C.EDUCATION,
                                                C.SERVICE_PLAN, C.BENEFITS}),
    Purpose.JOBSEEKER_PRESENTATION: frozenset({*_BASE, C.EMPLOYMENT_HISTORY, C.EDUCATION, C.LANGUAGE_SKILLS,
                                               C.EMPLOYER_BASIC, C.EMPLOYER_CONTACTS}),
    Purpose.VACANCY_HANDLING: frozenset({C.EMPLOYER_BASIC, C.EMPLOYER_SERVICE_PROFILE, C.EMPLOYER_CONTACTS,
                                         C.EMPLOYER_DESCRIPTION}),
    Purpose.EMPLOYER_SERVICE: EMPLOYER_CATEGORIES,
})
"""CONTRACT §3: purpose → the categories it needs; anything else is excess."""


def needed_categories(purpose: Purpose | str) -> frozenset[Category]:
    """The categories ``purpose`` needs."""
    return PURPOSE_CATEGORIES[Purpose(purpose)]


def excess_categories(purpose: Purpose | str, categories: Iterable[Category | str]) -> tuple[Category, ...]:
    """The categories viewed that ``purpose`` does not need, without repeats, in contract order."""
    key = tuple(categories)
    try:
        return _remembered(purpose, key)
    except TypeError:  # an unhashable value: refused exactly as without the memo
        return _excess(purpose, key)


def _excess(purpose: Purpose | str, categories: tuple[Category | str, ...]) -> tuple[Category, ...]:
    needed = needed_categories(purpose)
    viewed = {Category(c) for c in categories}
    if viewed <= needed:
        return ()
    return tuple(c for c in _ORDER if c in viewed and c not in needed)


# Views repeat a handful of (purpose, categories) pairs. Equal keys (a member or its text) give the
# same answer; an unknown value raises every time, as exceptions are not remembered.
_remembered = lru_cache(maxsize=4096)(_excess)
