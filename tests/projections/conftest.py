"""The read model of the hand-built scenario, ingested and caught up, on each backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.ingest import ingest_stream
from ledger.store import Ledger
from projections.readmodel import ReadModel
from tests.factories import write_jsonl
from tests.scenarios import EVENTS


@pytest.fixture
def scenario_model(ledger: Ledger, tmp_path: Path) -> ReadModel:
    """A :class:`ReadModel` caught up with every event of ``tests.scenarios``."""
    source = write_jsonl(tmp_path / "events.jsonl", EVENTS)
    with source.open("rb") as stream:
        ingest_stream(ledger, str(source), stream)
    model = ReadModel(ledger)
    model.catch_up()
    return model
