"""The rules of ``policies/`` find exactly the injected violations — no more, no fewer."""

from __future__ import annotations

from tests.simulation.conftest import Run
from tests.simulation.oracle import findings, truth


def _compare(run: Run) -> None:
    found, expected = findings(run.events), truth(run.truth)
    assert not found - expected, f"findings the simulator did not inject: {sorted(found - expected)[:5]}"
    assert not expected - found, f"injected violations the rules do not find: {sorted(expected - found)[:5]}"


def test_findings_equal_the_truth_at_the_experiment_start(moderate: Run) -> None:
    _compare(moderate)


def test_findings_equal_the_truth_across_the_amendment_and_holidays(autumn: Run) -> None:
    _compare(autumn)
