"""The rule table of CONTRACT §5, finding ids, and rule sets by date."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ledger.events import DecisionKind, Rule, Severity
from policies.rulesets import BY_ID, RULE_SETS, rule_set_at
from policies.verdicts import RULES, finding_id, verdict
from tests.policies.helpers import at

CONTRACT_SEVERITIES = {
    "ACCESS_WITHOUT_RIGHT": "high", "ACCESS_OUTSIDE_OWN_CUSTOMERS": "high", "ACCESS_EXCESS_CATEGORIES": "medium",
    "ACCESS_OWN_RECORD": "high", "ACCESS_BULK": "medium", "ACCESS_OFF_HOURS": "low", "GRANT_UNAUTHORISED": "high",
    "GRANT_NOT_NECESSARY": "medium", "DECISION_WRONG_AUTHORITY": "high", "DECISION_LANGUAGE": "medium",
    "TRANSFER_INELIGIBLE": "high", "TRANSFER_MISSED": "medium", "REFERENCE_UNKNOWN": "low",
}


def test_every_rule_has_the_contract_severity_a_legal_basis_and_a_summary() -> None:
    assert {r.value: info.severity.value for r, info in RULES.items()} == CONTRACT_SEVERITIES
    for info in RULES.values():
        assert "DOMAIN.md" in info.legal_basis
        assert info.summary.endswith(".")


def test_a_verdict_takes_severity_basis_and_rule_set_from_the_tables() -> None:
    v = verdict(Rule.ACCESS_OFF_HOURS, at=at("2021-10-02 08:00"), explanation="x.", org="area:a", user="u:a",
                subject="c:a")
    assert (v.severity, v.rule_set, v.legal_basis) == (Severity.LOW, "2021-10",
                                                        RULES[Rule.ACCESS_OFF_HOURS].legal_basis)


def test_finding_ids_are_deterministic_and_distinguish_rule_event_and_subject() -> None:
    event = "9d2c0b8e-4f0c-4c52-a3f4-0f6b1e7d9a10"
    one = finding_id(Rule.ACCESS_BULK, event, "c:a")
    assert re.fullmatch(r"f:[0-9a-f]{32}", one)
    assert one == finding_id("ACCESS_BULK", event.upper(), "c:a")
    assert len({one, finding_id(Rule.ACCESS_OFF_HOURS, event, "c:a"), finding_id(Rule.ACCESS_BULK, event, "c:b"),
                finding_id(Rule.ACCESS_BULK, event, None)}) == 4


def test_finding_id_is_sha256_of_the_documented_canonical_string() -> None:
    import hashlib

    text = "lokikirja-finding/1|REFERENCE_UNKNOWN|abc|"
    assert finding_id(Rule.REFERENCE_UNKNOWN, "ABC", None) == "f:" + hashlib.sha256(text.encode()).hexdigest()[:32]


@pytest.mark.parametrize(("when", "rule_set"), [
    ("2020-12-31 12:00", "2021-03"),  # before the Act: the first rule set
    ("2021-03-01 00:00", "2021-03"),
    ("2021-10-01 23:59:59", "2021-03"),
    ("2021-10-02 00:00", "2021-10"),
    ("2021-10-01T21:00:00+00:00", "2021-10"),  # 00:00 local on 2.10.2021 (EEST, +03:00)
    ("2021-10-01T20:59:59+00:00", "2021-03"),
    ("2024-12-31 23:00", "2021-10"),
])
def test_the_rule_set_is_chosen_by_the_local_date(when: str, rule_set: str) -> None:
    assert rule_set_at(at(when)).id == rule_set


def test_rule_sets_are_ordered_and_each_partitions_the_decision_kinds() -> None:
    assert [r.effective_from for r in RULE_SETS] == sorted(r.effective_from for r in RULE_SETS)
    assert RULE_SETS[0].effective_from == date(2021, 3, 1)
    for r in RULE_SETS:
        assert r.area_kinds | r.te_office_kinds == set(DecisionKind)
        assert not r.area_kinds & r.te_office_kinds
    assert BY_ID["2021-10"].area_kinds - BY_ID["2021-03"].area_kinds == {DecisionKind.STATEMENT_UNEMPLOYMENT}
