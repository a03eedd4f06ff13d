"""CONTRACT §4: the competent authority for every decision kind, under both rule sets."""

from __future__ import annotations

from datetime import datetime

import pytest

from ledger.events import DecisionKind as K
from ledger.events import OrgKind
from policies.competence import TE_OFFICE, competence_for, is_competent
from policies.orgs import OrgHistory, OrgRegistration
from tests.policies.helpers import at

ORGS = OrgHistory([
    OrgRegistration(at("2021-03-01 00:00"), "1", "area:a", OrgKind.EXPERIMENT_AREA, "te:x", (), frozenset({"091"})),
    OrgRegistration(at("2021-03-01 00:00"), "2", "te:x", OrgKind.TE_OFFICE),
    OrgRegistration(at("2021-03-01 00:00"), "3", "te:y", OrgKind.TE_OFFICE),
])
AREA_KINDS = {K.PAY_SUBSIDY, K.START_UP_GRANT, K.TRAVEL_COMPENSATION, K.EXPENSE_ALLOWANCE, K.SELF_STUDY_SUPPORT,
              K.SELF_STUDY_SUPPORT_END, K.STATEMENT_SERVICE_PARTICIPATION, K.STATEMENT_STUDY_INTERRUPTION,
              K.STATEMENT_SELF_STUDY_INTERRUPTION, K.STATEMENT_STUDY_MONITORING}
BEFORE = at("2021-10-01 12:00")  # rule set 2021-03
AFTER = at("2021-10-02 12:00")  # rule set 2021-10


def _expected_for_area_customer(kind: K, rule_set: str) -> str:
    if kind in AREA_KINDS or (kind is K.STATEMENT_UNEMPLOYMENT and rule_set == "2021-10"):
        return "area:a"
    return TE_OFFICE


@pytest.mark.parametrize("kind", list(K))
@pytest.mark.parametrize(("t", "rule_set"), [(BEFORE, "2021-03"), (AFTER, "2021-10")])
def test_competence_for_an_area_customer(kind: K, t: datetime, rule_set: str) -> None:
    c = competence_for(kind, responsible="area:a", at=t, orgs=ORGS)
    assert (c.authority, c.rule_set.id) == (_expected_for_area_customer(kind, rule_set), rule_set)
    assert is_competent("area:a", c, ORGS) is (c.authority == "area:a")
    assert is_competent("te:x", c, ORGS) is (c.authority == TE_OFFICE)
    assert is_competent("te:y", c, ORGS) is (c.authority == TE_OFFICE)  # any TE office counts


@pytest.mark.parametrize("kind", list(K))
@pytest.mark.parametrize("t", [BEFORE, AFTER])
@pytest.mark.parametrize("responsible", ["te:x", None, "keha"])
def test_a_te_office_decides_everything_for_other_customers(kind: K, t: datetime, responsible: str | None) -> None:
    c = competence_for(kind, responsible=responsible, at=t, orgs=ORGS)
    assert c.authority == TE_OFFICE
    assert is_competent("te:y", c, ORGS) and not is_competent("area:a", c, ORGS)
    assert not is_competent(None, c, ORGS) and not is_competent("keha", c, ORGS)


def test_statement_unemployment_moves_to_the_area_on_2_october_2021_local() -> None:
    eve = competence_for(K.STATEMENT_UNEMPLOYMENT, responsible="area:a", at=at("2021-10-01T20:59:59+00:00"),
                         orgs=ORGS)
    day = competence_for(K.STATEMENT_UNEMPLOYMENT, responsible="area:a", at=at("2021-10-01T21:00:00+00:00"),
                         orgs=ORGS)
    assert (eve.authority, day.authority) == (TE_OFFICE, "area:a")


@pytest.mark.parametrize(("employer_municipality", "authority"), [
    ("091", TE_OFFICE),  # the employer is a municipality of the area: the area may not subsidise itself
    ("092", "area:a"),  # another municipality
    (None, "area:a"),  # a private employer
])
def test_the_pay_subsidy_exception(employer_municipality: str | None, authority: str) -> None:
    c = competence_for(K.PAY_SUBSIDY, responsible="area:a", at=AFTER, orgs=ORGS,
                       employer_municipality=employer_municipality)
    assert c.authority == authority


def test_the_exception_concerns_pay_subsidy_only() -> None:
    c = competence_for(K.START_UP_GRANT, responsible="area:a", at=AFTER, orgs=ORGS, employer_municipality="091")
    assert c.authority == "area:a"


def test_another_area_is_not_competent_for_the_areas_customer() -> None:
    c = competence_for(K.START_UP_GRANT, responsible="area:a", at=AFTER, orgs=ORGS)
    assert not is_competent("area:b", c, ORGS)
