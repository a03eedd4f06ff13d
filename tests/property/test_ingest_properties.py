"""Properties of ingest: round-trips, batch independence, idempotency (on the embedded store;
the same code path runs on PostgreSQL in tests/e2e)."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.ingest import ingest_stream
from ledger.privacy import contract_json
from ledger.store import Ledger
from tests.strategies import events, unique_event_lists

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _jsonl(items: list[dict]) -> io.BytesIO:
    return io.BytesIO("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in items).encode())


def _fresh(tmp_path: Path, name: str) -> Ledger:
    return Ledger.init(str(tmp_path / f"{name}.db"), tmp_path / "keys")[0]


def _stored(ledger: Ledger) -> list[dict]:
    facts = list(ledger.read_log())
    return contract_json(ledger, facts)


def _same(original: dict, stored: dict) -> None:
    assert stored["id"] == original["id"]
    assert stored["type"] == original["type"]
    assert stored["actor"] == original["actor"]
    assert datetime.fromisoformat(stored["at"]) == datetime.fromisoformat(original["at"])
    assert datetime.fromisoformat(stored["at"]).utcoffset() == datetime.fromisoformat(original["at"]).utcoffset()
    assert stored["data"] == original["data"]


@SETTINGS
@given(event=events)
def test_any_valid_event_round_trips_through_the_store(tmp_path_factory, event):
    tmp = tmp_path_factory.mktemp("rt")
    with _fresh(tmp, "rt") as ledger:
        report = ingest_stream(ledger, "rt", _jsonl([event]))
        assert report.ingested == 1
        (stored,) = _stored(ledger)
        _same(event, stored)


@SETTINGS
@given(items=unique_event_lists, data=st.data())
def test_any_split_into_any_batches_stores_the_same_set_and_reingest_stores_nothing(tmp_path_factory, items, data):
    tmp = tmp_path_factory.mktemp("split")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(items)), max_size=4)))
    parts = [items[a:b] for a, b in zip([0, *cuts], [*cuts, len(items)], strict=True)]
    chunk = data.draw(st.integers(1, 7))
    with _fresh(tmp, "one") as whole, _fresh(tmp, "many") as split:
        ingest_stream(whole, "all", _jsonl(items))
        for part in parts:
            ingest_stream(split, "part", _jsonl(part), chunk_size=chunk)
        by_id = lambda rows: {r["id"]: r for r in rows}  # noqa: E731
        assert by_id(_stored(whole)) == by_id(_stored(split))
        again = ingest_stream(split, "again", _jsonl(items), chunk_size=chunk)
        assert (again.ingested, again.duplicates) == (0, len(items))
