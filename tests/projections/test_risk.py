"""Risk scores: bounded, zero without findings, normalised by volume, and monotone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.events import Rule
from projections.risk import DIMENSIONS, AreaVolume, reviewed_counts, risk

volumes = st.builds(AreaVolume, customers=st.integers(0, 50_000), views=st.integers(0, 10**6),
                    decisions=st.integers(0, 10**5), transfers_in=st.integers(0, 10**5))
rules = st.sampled_from(list(Rule))
finding_counts = st.dictionaries(rules.map(lambda r: r.value), st.integers(0, 500), max_size=6)
complaint_counts = st.dictionaries(st.sampled_from(list(DIMENSIONS)), st.integers(0, 20), max_size=3)


def _dimension(rule: str) -> str:
    return next(d for d, members in DIMENSIONS.items() if Rule(rule) in members)


@given(volume=volumes, findings=finding_counts, complaints=complaint_counts, rule=rules, more=st.integers(1, 100))
def test_more_findings_of_a_dimension_never_lower_its_score(volume, findings, complaints, rule, more):
    before = risk(volume, findings, complaints)
    after = risk(volume, {**findings, rule.value: findings.get(rule.value, 0) + more}, complaints)
    dimension = _dimension(rule.value)
    assert after[dimension] >= before[dimension]
    assert after["overall"] >= before["overall"]
    assert all(0.0 <= v <= 100.0 for v in after.values())


@given(volume=volumes)
def test_no_findings_and_no_complaints_score_zero(volume):
    assert risk(volume, {}, {}) == {"data_protection": 0.0, "equal_treatment": 0.0, "language": 0.0, "overall": 0.0}


def test_a_big_area_is_not_ranked_above_a_small_one_for_its_size_alone():
    small = risk(AreaVolume(customers=1_000, views=10_000, decisions=500, transfers_in=100),
                 {"ACCESS_OUTSIDE_OWN_CUSTOMERS": 10}, {})
    big = risk(AreaVolume(customers=50_000, views=500_000, decisions=25_000, transfers_in=5_000),
               {"ACCESS_OUTSIDE_OWN_CUSTOMERS": 500}, {})
    assert big["data_protection"] == small["data_protection"]


@given(volume=volumes, findings=finding_counts, complaints=complaint_counts,
       dimension=st.sampled_from(list(DIMENSIONS)), more=st.integers(1, 5))
def test_complaints_count_and_never_lower_a_score(volume, findings, complaints, dimension, more):
    before = risk(volume, findings, complaints)
    after = risk(volume, findings, {**complaints, dimension: complaints.get(dimension, 0) + more})
    assert after[dimension] >= before[dimension]


def test_findings_reviewed_justified_count_nothing_and_violations_count_one_and_a_half():
    volume = AreaVolume(customers=1000, views=1000, decisions=100, transfers_in=0)
    findings = {"ACCESS_OWN_RECORD": 4, "DECISION_LANGUAGE": 2}
    assert reviewed_counts(findings, {}) == findings  # without reviews: the counts, exactly
    all_justified = reviewed_counts(findings, {"ACCESS_OWN_RECORD": {"justified": 4}})
    assert all_justified == {"ACCESS_OWN_RECORD": 0, "DECISION_LANGUAGE": 2}
    assert risk(volume, all_justified, {})["data_protection"] == 0.0
    mixed = reviewed_counts(findings, {"ACCESS_OWN_RECORD": {"violation": 2, "justified": 1}})
    assert mixed["ACCESS_OWN_RECORD"] == 1 + 2 * 1.5
    violations = reviewed_counts(findings, {"ACCESS_OWN_RECORD": {"violation": 4}})
    assert risk(volume, violations, {})["overall"] > risk(volume, findings, {})["overall"]
