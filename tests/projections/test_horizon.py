"""The horizon (CONTRACT §2: the latest `at` the ledger holds) kept by the read model equals the
one found by scanning every table of facts, which a bounded replay still does."""

from __future__ import annotations

import io
import json

from ledger.ingest import ingest_stream
from ledger.store import Ledger
from projections.readmodel import ReadModel
from replay.bounded import BoundedWorld, Bounds
from tests.factories import ev


def _horizons(ledger: Ledger) -> tuple[object, object]:
    with ledger.db.read() as cur:
        kept = BoundedWorld(ledger.db, cur, Bounds()).horizon()
        scanned = BoundedWorld(ledger.db, cur, Bounds(position=ledger.max_position())).horizon()
    return kept, scanned


def test_the_kept_horizon_is_the_scanned_one_also_after_a_late_fact(ledger: Ledger, scenario_model: ReadModel) -> None:
    kept, scanned = _horizons(ledger)
    assert kept is not None and kept == scanned
    late = ev("complaint.filed", "2024-01-02T10:00:00+02:00", complaint="k:late", org="area:helsinki", topic="other")
    early = ev("complaint.filed", "2019-01-02T10:00:00+02:00", complaint="k:early", org="area:helsinki", topic="other")
    for fact in (early, late):
        ingest_stream(ledger, "late", io.BytesIO((json.dumps(fact) + "\n").encode()))
        scenario_model.catch_up()
        kept, scanned = _horizons(ledger)
        assert kept == scanned
    assert kept is not None and kept.isoformat().startswith("2024-01-02T08:00:00")  # type: ignore[attr-defined]
