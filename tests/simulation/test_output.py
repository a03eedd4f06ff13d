"""The simulated file: valid contract events, sorted, deterministic, with every rule injected."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime

import orjson

from ledger.events import Rule, parse_event
from simulation.config import Settings
from simulation.run import simulate
from tests.simulation.conftest import Run


def _bytes(settings: Settings) -> tuple[bytes, bytes]:
    out, truth = io.BytesIO(), io.BytesIO()
    simulate(settings, out, truth)
    return out.getvalue(), truth.getvalue()


def test_the_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    settings = Settings(customers=120, days=20, seed=42)
    first, again = _bytes(settings), _bytes(settings)
    assert first == again
    other = _bytes(Settings(customers=120, days=20, seed=43))
    assert other[0] != first[0]


def test_every_line_is_a_valid_contract_event_sorted_by_time(moderate: Run) -> None:
    previous: datetime | None = None
    ids: set[str] = set()
    with moderate.events.open("rb") as f:
        for line in f:
            event = parse_event(line)
            assert previous is None or event.at >= previous
            previous = event.at
            ids.add(event.id)
    assert len(ids) == moderate.summary.events


def test_every_rule_is_injected_at_the_default_rate(moderate: Run) -> None:
    rules = Counter(orjson.loads(line)["rule"] for line in moderate.truth.open("rb"))
    assert set(rules) == {r.value for r in Rule}
    assert 0.004 < sum(rules.values()) / moderate.summary.events < 0.03


def test_the_truth_names_events_of_the_file(moderate: Run, autumn: Run) -> None:
    for run in (moderate, autumn):
        ids = {orjson.loads(line)["id"] for line in run.events.open("rb")}
        truth = [orjson.loads(line) for line in run.truth.open("rb")]
        assert truth and all(row["event"] in ids for row in truth)
        assert len({(row["event"], row["rule"]) for row in truth}) == len(truth)


def test_no_violation_is_injected_at_rate_zero() -> None:
    _, truth = _bytes(Settings(customers=100, days=15, seed=3, violation_rate=0.0))
    assert truth == b""
