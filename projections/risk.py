"""AVI's risk scores per experiment area: data protection, equal treatment, language, overall.

Pure arithmetic over an area's counts (``docs/supervision.md`` defines it for inspectors):

- each finding weighs by severity: high 3, medium 2, low 1; each complaint weighs 2;
- a dimension's *rate* normalises by the area's volume so a big area is not punished for its size:
  data protection per 1,000 record views (+ its complaints per 1,000 customers), equal treatment
  per 100 decisions and transfers in (+ complaints per 1,000 customers), language per 100
  decisions (+ complaints per 1,000 customers);
- a score is ``100 × (1 − e^(−rate / scale))``: 0 for none, rising steadily, never above 100, and
  never lower when the rate grows (monotone) — ``scale`` is the rate that scores about 63;
- overall = 0.45 data protection + 0.35 equal treatment + 0.20 language (the fundamental-rights
  sensitivities DOMAIN.md names, weighted by how many of the Act's rules each carries);
- a reviewed finding (``finding.reviewed``, its latest verdict) counts as :data:`VERDICT_WEIGHT`
  says instead of once: ``justified`` not at all, ``violation`` one and a half times. Without
  reviews every count is exactly the finding count (ADR 0018).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ledger.events import Rule, Severity
from policies.verdicts import RULES

WEIGHT = {Severity.HIGH: 3.0, Severity.MEDIUM: 2.0, Severity.LOW: 1.0}
COMPLAINT_WEIGHT = 2.0
#: how much one reviewed finding counts, by its latest verdict (an unreviewed one counts 1)
VERDICT_WEIGHT = {"justified": 0.0, "violation": 1.5}

DIMENSIONS: Mapping[str, frozenset[Rule]] = {
    "data_protection": frozenset({
        Rule.ACCESS_WITHOUT_RIGHT, Rule.ACCESS_OUTSIDE_OWN_CUSTOMERS, Rule.ACCESS_EXCESS_CATEGORIES,
        Rule.ACCESS_OWN_RECORD, Rule.ACCESS_BULK, Rule.ACCESS_OFF_HOURS, Rule.GRANT_UNAUTHORISED,
        Rule.GRANT_NOT_NECESSARY, Rule.REFERENCE_UNKNOWN}),
    "equal_treatment": frozenset({Rule.DECISION_WRONG_AUTHORITY, Rule.TRANSFER_INELIGIBLE, Rule.TRANSFER_MISSED}),
    "language": frozenset({Rule.DECISION_LANGUAGE}),
}
SCALE = {"data_protection": 60.0, "equal_treatment": 15.0, "language": 15.0}
OVERALL = {"data_protection": 0.45, "equal_treatment": 0.35, "language": 0.20}


@dataclass(frozen=True)
class AreaVolume:
    """What an area did in the period: the denominators."""

    customers: int
    views: int
    decisions: int
    transfers_in: int


def reviewed_counts(findings: Mapping[str, int], reviewed: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Findings by rule as they count toward the risk: of ``findings[rule]``, those in
    ``reviewed[rule]`` (``{verdict: n}``) count :data:`VERDICT_WEIGHT` each; rules without
    reviews keep their count unchanged."""
    out: dict[str, float] = dict(findings)
    for rule, verdicts in reviewed.items():
        if rule in out:
            out[rule] = (out[rule] - sum(verdicts.values())
                         + sum(VERDICT_WEIGHT[v] * n for v, n in verdicts.items()))
    return out


def _weighted(findings: Mapping[str, float], rules: frozenset[Rule]) -> float:
    return sum(WEIGHT[RULES[Rule(rule)].severity] * n for rule, n in findings.items() if Rule(rule) in rules)


def rates(volume: AreaVolume, findings: Mapping[str, float], complaints: Mapping[str, int]) -> dict[str, float]:
    """Severity-weighted findings and complaints per unit of the area's volume, per dimension."""
    per_customer = 1000.0 / max(volume.customers, 1)
    denominators = {
        "data_protection": 1000.0 / max(volume.views, 1),
        "equal_treatment": 100.0 / max(volume.decisions + volume.transfers_in, 1),
        "language": 100.0 / max(volume.decisions, 1),
    }
    return {d: _weighted(findings, rules) * denominators[d]
            + COMPLAINT_WEIGHT * complaints.get(d, 0) * per_customer
            for d, rules in DIMENSIONS.items()}


def score(rate: float, scale: float) -> float:
    return round(100.0 * (1.0 - math.exp(-max(rate, 0.0) / scale)), 1)


def risk(volume: AreaVolume, findings: Mapping[str, float], complaints: Mapping[str, int]) -> dict[str, float]:
    """``{"data_protection", "equal_treatment", "language", "overall"}``, each 0–100; ``findings``
    by rule as they count (:func:`reviewed_counts`)."""
    r = rates(volume, findings, complaints)
    out = {d: score(r[d], SCALE[d]) for d in DIMENSIONS}
    out["overall"] = round(sum(OVERALL[d] * out[d] for d in DIMENSIONS), 1)
    return out
