"""Human labels of the contract's codes (CONTRACT §§1, 3–5): rules, severities, purposes, data
categories, decision kinds and outcomes, organisation kinds, review verdicts, complaint topics and
risk dimensions.

The labels are English gettext message ids, marked with :func:`N_` so that ``pybabel extract``
finds them; :func:`label` translates one through a catalogue (``service/i18n.py``). The codes
themselves never change: JSON and CSV outputs keep them, and pages show them in small print.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:
    """Marks ``message`` for extraction; translated later, when the language is known."""
    return message


RULES = {
    "ACCESS_WITHOUT_RIGHT": N_("Access without an access right in force"),
    "ACCESS_OUTSIDE_OWN_CUSTOMERS": N_("Access to the data of a customer who is not the area's own"),
    "ACCESS_EXCESS_CATEGORIES": N_("More data viewed than the purpose requires"),
    "ACCESS_OWN_RECORD": N_("Viewing one's own record"),
    "ACCESS_BULK": N_("Bulk viewing (50 customers within an hour)"),
    "ACCESS_OFF_HOURS": N_("Viewing outside office hours"),
    "GRANT_UNAUTHORISED": N_("Access right granted by someone other than the KEHA centre"),
    "GRANT_NOT_NECESSARY": N_("Access right not necessary for the user's main duties"),
    "DECISION_WRONG_AUTHORITY": N_("Decision by an authority that was not competent"),
    "DECISION_LANGUAGE": N_("Decision not in the customer's language"),
    "TRANSFER_INELIGIBLE": N_("Transfer of a customer outside the customer group"),
    "TRANSFER_MISSED": N_("Transfer not made within 7 days"),
    "REFERENCE_UNKNOWN": N_("Reference to an unregistered party"),
}

SEVERITIES = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}

PURPOSES = {
    "service_guidance": N_("Service guidance and advice"),
    "pay_subsidy": N_("Pay subsidy"),
    "start_up_grant": N_("Start-up grant"),
    "travel_compensation": N_("Compensation of travel and accommodation costs"),
    "expense_allowance": N_("Expense allowance"),
    "self_study_support": N_("Support for self-motivated study"),
    "labour_policy_statement": N_("Labour-policy statement"),
    "jobseeker_presentation": N_("Presenting a jobseeker to an employer"),
    "vacancy_handling": N_("Handling of vacancy notices"),
    "employer_service": N_("Employer services"),
}

CATEGORIES = {
    "identity": N_("identity"),
    "contact": N_("contact details"),
    "jobseeker_status": N_("jobseeker status"),
    "employment_history": N_("employment history"),
    "education": N_("education"),
    "service_plan": N_("employment plan"),
    "benefits": N_("benefits"),
    "health": N_("health data"),
    "language_skills": N_("language skills"),
    "employer_basic": N_("employer's basic data"),
    "employer_service_profile": N_("employer's service profile"),
    "employer_contacts": N_("contacts with the employer"),
    "employer_description": N_("description of the employer"),
    "employer_placements": N_("placements with the employer"),
    "employer_decisions": N_("decisions concerning the employer"),
}

DECISION_KINDS = {
    "pay_subsidy": N_("Pay subsidy"),
    "start_up_grant": N_("Start-up grant"),
    "travel_compensation": N_("Compensation of travel and accommodation costs"),
    "expense_allowance": N_("Expense allowance"),
    "self_study_support": N_("Support for self-motivated study"),
    "self_study_support_end": N_("Ending the support for self-motivated study"),
    "statement_service_participation": N_("Statement: participation in an employment-promoting service"),
    "statement_study_interruption": N_("Statement: interruption of studies"),
    "statement_self_study_interruption": N_("Statement: temporary interruption of self-motivated study"),
    "statement_study_monitoring": N_("Statement: monitoring and neglect of studies"),
    "statement_unemployment": N_("Statement: unemployment"),
    "statement_studies_effect": N_("Statement: effect of studies on the unemployment benefit"),
    "statement_entrepreneurship_effect": N_("Statement: effect of entrepreneurship on the unemployment benefit"),
    "statement_reprehensible_conduct": N_("Statement: reprehensible conduct in labour-policy terms"),
    "training_selection": N_("Student selection for labour market training"),
}

OUTCOMES = {"granted": N_("granted"), "denied": N_("denied"), "ended": N_("ended"), "issued": N_("issued")}

ORG_KINDS = {
    "experiment_area": N_("experiment area"),
    "te_office": N_("TE office"),
    "keha": N_("KEHA centre"),
    "avi": N_("regional state administrative agency"),
    "tem": N_("ministry of economic affairs and employment"),
}

VERDICTS = {"justified": N_("justified"), "violation": N_("violation")}

TOPICS = {
    "data_protection": N_("data protection"),
    "equal_treatment": N_("equal treatment"),
    "language": N_("linguistic rights"),
    "other": N_("other"),
}

RISKS = {
    "data_protection": N_("data protection"),
    "equal_treatment": N_("equal treatment"),
    "language": N_("linguistic rights"),
    "overall": N_("overall"),
}

TABLES: dict[str, dict[str, str]] = {
    "rule": RULES, "severity": SEVERITIES, "purpose": PURPOSES, "category": CATEGORIES,
    "kind": DECISION_KINDS, "outcome": OUTCOMES, "org_kind": ORG_KINDS, "verdict": VERDICTS,
    "topic": TOPICS, "risk": RISKS,
}


def label(table: str, code: Any, gettext: Callable[[str], str]) -> str:
    """The translated label of ``code`` in ``table``; an unknown code as it is."""
    message = TABLES[table].get(str(code))
    return gettext(message) if message else str(code)


#: one colour per severity for badges and bars, dark enough for white text (WCAG 2.1 AA: at least
#: 4.5:1 — high 6.5, medium 5.4, low 5.9) and for bars beside one another
SEVERITY_COLOURS = {"high": "#b3261e", "medium": "#9a5b00", "low": "#5b6478"}
