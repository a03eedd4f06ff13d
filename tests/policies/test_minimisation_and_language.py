"""CONTRACT §3's purpose table and the decision language rule."""

from __future__ import annotations

import pytest

from ledger.events import Category, Language, Purpose
from policies.language import wrong_decision_language
from policies.minimisation import PURPOSE_CATEGORIES, excess_categories, needed_categories

CONTRACT_TABLE = {
    "service_guidance": "identity contact jobseeker_status employment_history education service_plan language_skills",
    "pay_subsidy": "identity contact jobseeker_status employment_history service_plan benefits health",
    "start_up_grant": "identity contact jobseeker_status employment_history education service_plan benefits",
    "travel_compensation": "identity contact service_plan benefits",
    "expense_allowance": "identity contact service_plan benefits",
    "self_study_support": "identity contact jobseeker_status education service_plan benefits language_skills",
    "labour_policy_statement": "identity contact jobseeker_status employment_history education service_plan benefits",
    "jobseeker_presentation": "identity contact employment_history education language_skills employer_basic "
                              "employer_contacts",
    "vacancy_handling": "employer_basic employer_service_profile employer_contacts employer_description",
    "employer_service": "employer_basic employer_service_profile employer_contacts employer_description "
                        "employer_placements employer_decisions",
}


def test_the_table_is_contract_section_3_for_every_purpose() -> None:
    assert {p.value: {c.value for c in cats} for p, cats in PURPOSE_CATEGORIES.items()} == \
        {p: set(cats.split()) for p, cats in CONTRACT_TABLE.items()}
    assert set(PURPOSE_CATEGORIES) == set(Purpose)


@pytest.mark.parametrize("purpose", list(Purpose))
def test_exactly_the_needed_categories_are_never_excess(purpose: Purpose) -> None:
    assert excess_categories(purpose, needed_categories(purpose)) == ()
    extra = [c for c in Category if c not in needed_categories(purpose)]
    assert excess_categories(purpose.value, [c.value for c in extra] * 2) == tuple(extra)


def test_excess_categories_are_reported_in_contract_order() -> None:
    assert excess_categories("travel_compensation", ["health", "identity", "education"]) == \
        (Category.EDUCATION, Category.HEALTH)


@pytest.mark.parametrize(("customer", "decision", "wrong"), [
    ("fi", "fi", False), ("fi", "sv", True), ("sv", "fi", True), ("sv", "sv", False), ("fi", "other", True),
    ("se", "fi", False), ("other", "fi", False), ("other", "sv", False),
])
def test_finnish_and_swedish_speakers_get_decisions_in_their_language(customer: str, decision: str,
                                                                     wrong: bool) -> None:
    assert wrong_decision_language(customer, Language(decision)) is wrong
