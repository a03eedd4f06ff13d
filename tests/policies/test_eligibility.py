"""The customer group: home municipality in an area at t, and one of three criteria."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.events import Language, OrgKind
from policies.customers import Attributes
from policies.eligibility import (
    criteria_met,
    eligible_area,
    ineligibility,
    is_under_30,
    thirtieth_birthday,
    turns_30_at,
)
from policies.orgs import MembershipChange, OrgHistory, OrgRegistration
from tests.policies.helpers import at

ORGS = OrgHistory([OrgRegistration(at("2021-03-01 00:00"), "r", "area:a", OrgKind.EXPERIMENT_AREA, "te:x", (),
                                   frozenset({"091"}))],
                  [MembershipChange(at("2022-01-01 00:00"), "j", "area:a", "092", joined=True)])


def _attrs(*, home: str = "091", born: date = date(1960, 1, 1), earnings: bool = True,
           immigrant: bool = False) -> Attributes:
    return Attributes(home, born, earnings, immigrant, Language.FI)


@pytest.mark.parametrize(("when", "under"), [
    ("2022-05-04 23:59:59", True),
    ("2022-05-05 00:00", False),  # the 30th birthday itself is no longer under 30
    ("2022-05-04T21:00:00+00:00", False),  # 00:00 local on the birthday (EEST)
    ("2022-05-04T20:59:59+00:00", True),
])
def test_the_30th_birthday_begins_at_local_midnight(when: str, under: bool) -> None:
    assert is_under_30(date(1992, 5, 5), at(when)) is under


def test_a_29_february_birthday_falls_on_1_march_in_a_common_year() -> None:
    assert thirtieth_birthday(date(2000, 2, 29)) == date(2030, 3, 1)
    assert thirtieth_birthday(date(1992, 2, 29)) == date(2022, 3, 1)
    assert thirtieth_birthday(date(1996, 2, 29)) == date(2026, 3, 1)
    assert thirtieth_birthday(date(1984, 2, 29)) == date(2014, 3, 1)
    assert thirtieth_birthday(date(1990, 2, 28)) == date(2020, 2, 28)
    assert is_under_30(date(1992, 2, 29), at("2022-02-28 23:59"))
    assert turns_30_at(date(1992, 2, 29)) == at("2022-03-01 00:00")


@pytest.mark.parametrize(("attrs", "met"), [
    (_attrs(), ()),
    (_attrs(born=date(2000, 1, 1)), ("under_30",)),
    (_attrs(earnings=False), ("not_earnings_related_eligible",)),
    (_attrs(immigrant=True), ("immigrant_or_foreign_language",)),
    (_attrs(born=date(2000, 1, 1), earnings=False, immigrant=True),
     ("under_30", "not_earnings_related_eligible", "immigrant_or_foreign_language")),
])
def test_each_criterion_alone_suffices(attrs: Attributes, met: tuple[str, ...]) -> None:
    t = at("2022-03-01 12:00")
    assert criteria_met(attrs, t) == met
    assert eligible_area(attrs, ORGS, t) == ("area:a" if met else None)


def test_the_home_municipality_must_be_in_an_area_at_that_time() -> None:
    attrs = _attrs(home="092", earnings=False)
    assert eligible_area(attrs, ORGS, at("2021-12-31 23:59")) is None
    assert eligible_area(attrs, ORGS, at("2022-01-01 00:00")) == "area:a"
    assert ineligibility(attrs, "area:a", ORGS, at("2021-12-31 23:59")) == \
        "home municipality 092 is not one of area:a's municipalities"
    assert ineligibility(attrs, "area:a", ORGS, at("2022-01-01 00:00")) is None
    assert "neither under 30" in (ineligibility(_attrs(), "area:a", ORGS, at("2022-01-01 00:00")) or "")
