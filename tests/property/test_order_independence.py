"""Findings depend only on the set of facts: shuffled and re-batched ingestion of a scenario
covering every rule gives exactly the findings of ordered ingestion (CONTRACT §2, ADR 0002)."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.ingest import ingest_stream
from ledger.store import Ledger
from projections import queries
from service.pipeline import catch_up_projections
from tests.conftest import fresh_db_url
from tests.scenarios import EVENTS


def _findings(ledger: Ledger) -> list[dict]:
    with ledger.db.read() as cur:
        return queries.findings(ledger.db, cur)


def _ingest(ledger: Ledger, batches: list[list[dict]], *, catch_up_every: int = 1) -> None:
    for i, batch in enumerate(batches):
        data = "".join(json.dumps(e) + "\n" for e in batch).encode()
        ingest_stream(ledger, f"batch-{i}", io.BytesIO(data), chunk_size=max(1, len(batch) // 3 or 1))
        if i % catch_up_every == 0:
            catch_up_projections(ledger)
    catch_up_projections(ledger)


def _batches(events: list[dict], seed: int, count: int) -> list[list[dict]]:
    rng = random.Random(seed)
    shuffled = events[:]
    rng.shuffle(shuffled)
    cuts = sorted(rng.sample(range(1, len(shuffled)), count - 1))
    return [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    tmp = tmp_path_factory.mktemp("reference")
    with Ledger.init(str(tmp / "ordered.db"), tmp / "keys")[0] as ledger:
        ordered = sorted(EVENTS, key=lambda e: e["at"])
        _ingest(ledger, [ordered])
        return _findings(ledger)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 12), every=st.integers(1, 3))
def test_shuffled_and_rebatched_ingestion_gives_the_same_findings(tmp_path_factory, reference, seed, count, every):
    tmp = tmp_path_factory.mktemp("shuffled")
    with Ledger.init(str(tmp / "shuffled.db"), tmp / "keys")[0] as ledger:
        _ingest(ledger, _batches(EVENTS, seed, count), catch_up_every=every)
        assert _findings(ledger) == reference


@pytest.mark.postgres
def test_shuffled_ingestion_on_postgresql_gives_the_same_findings(reference, tmp_path: Path, request):
    url = fresh_db_url("postgres", tmp_path, request)
    with Ledger.init(url, tmp_path / "keys")[0] as ledger:
        _ingest(ledger, _batches(EVENTS, 20261128, 7))
        assert _findings(ledger) == reference
