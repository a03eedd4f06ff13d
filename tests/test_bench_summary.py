"""The suite's summary judges a figure only on the backends whose target PERFORMANCE.md sets."""

from bench.__main__ import _rows


def _results(value: float) -> dict[str, dict[str, object]]:
    both = ("sqlite", "postgres")
    return {
        "ingest": {"backends": {b: {"ingest_ratio": value, "ingest_and_followers_ratio": value} for b in both}},
        "latency": {"backends": {b: {"single_fact_p50_ratio": 3.0, "dossier_ms": {"p95": 90.0}} for b in both}},
    }


def test_the_ingest_with_followers_and_the_single_fact_are_judged_on_postgresql_only():
    rows = {(backend, figure): (target, met) for backend, figure, _, target, met in _rows(_results(0.2))}
    assert rows["postgres", "ingest + followers ÷ raw"] == ("≥ 0.4×", "NO")
    assert rows["sqlite", "ingest + followers ÷ raw"] == ("(no target)", "—")
    assert rows["postgres", "single fact p50 ÷ raw"] == ("≤ 2×", "NO")
    assert rows["sqlite", "single fact p50 ÷ raw"] == ("(no target)", "—")
    # the ingest alone (issue 20) and the dossier are judged on both
    assert rows["sqlite", "ingest ÷ raw"] == rows["postgres", "ingest ÷ raw"] == ("≥ 0.4×", "NO")
    assert rows["sqlite", "dossier p95 ms"] == rows["postgres", "dossier p95 ms"] == ("≤ 150", "yes")


def test_a_figure_that_meets_its_target_says_yes():
    rows = {(backend, figure): met for backend, figure, _, _, met in _rows(_results(0.5))}
    assert rows["postgres", "ingest + followers ÷ raw"] == "yes"
