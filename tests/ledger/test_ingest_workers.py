"""Ingest with its preparation in worker processes (``ledger/ingest_pool``) stores what ingest in
one process stores: the same facts in the same order, the same problems with the same line
numbers, the same duplicates and conflicts across chunks — on both backends.

Small chunks (``chunk_size``) make a few hundred lines cross many chunks, so these tests run the
real pool (forkserver processes) in seconds.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import ConflictingEvent, InvalidInput
from ledger.ingest import IngestReport, ingest_stream
from ledger.ingest_pool import worker_count
from ledger.privacy import contract_json
from ledger.store import Ledger
from tests.conftest import fresh_db_url
from tests.factories import ev, hetu

CHUNK = 40


def _events(n: int) -> list[dict[str, Any]]:
    """``n`` events: an organisation, then customers (personal fields, encrypted by the writer) and
    record views (no personal field, stored as the workers wrote them) in turn."""
    out = [ev("organisation.registered", "2022-01-03T09:00:00+02:00", kind="te_office", org="te:uusimaa",
              name="Uusimaa", languages=["fi", "sv"])]
    for i in range(n - 1):
        if i % 3 == 0:
            out.append(ev("customer.registered", "2022-01-03T10:00:00+02:00", customer=f"c:p{i}",
                          hetu=hetu(date(1990, 1, 1 + i % 28), 100 + i % 800), org="te:uusimaa",
                          home_municipality="091", birth_date=f"1990-01-{1 + i % 28:02d}",
                          earnings_related_eligible=False, immigrant_or_foreign_language=False, language="fi"))
        else:
            out.append(ev("record.viewed", f"2022-01-04T{8 + i % 10:02d}:{i % 60:02d}:00+02:00", "u:virkailija",
                          subject=f"c:p{i - i % 3}", purpose="pay_subsidy", categories=["identity"]))
    return out


def _source(events: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in events).encode()


def _ingest(ledger: Ledger, source: bytes, workers: int) -> IngestReport:
    return ingest_stream(ledger, "source.jsonl", io.BytesIO(source), chunk_size=CHUNK, workers=workers)


def _stored(ledger: Ledger) -> list[dict[str, Any]]:
    return contract_json(ledger, list(ledger.read_log()))


@pytest.fixture
def second(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """A second, empty ledger on the same backend (its own keys)."""
    ledger, _ = Ledger.init(fresh_db_url(backend, tmp_path, request), tmp_path / "second-keys")
    with ledger:
        yield ledger


def test_workers_store_what_one_process_stores(ledger: Ledger, second: Ledger) -> None:
    source = _source(_events(400))
    assert _ingest(ledger, source, workers=2).ingested == 400
    assert _ingest(second, source, workers=0).ingested == 400
    stored = _stored(ledger)
    assert stored == _stored(second)
    assert [e["id"] for e in stored] == [e["id"] for e in _events_from(source)]


def _events_from(source: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in source.splitlines()]


@pytest.mark.parametrize("workers", [0, 2])
def test_a_bad_line_in_a_late_chunk_stores_nothing_and_every_problem_has_its_line(ledger: Ledger, workers: int) -> None:
    events = _events(300)
    events[7]["data"]["purpose"] = "curiosity"  # chunk 1
    events[250]["at"] = "yesterday"  # chunk 7
    lines = _source(events).splitlines(keepends=True)
    lines[120] = b"{not json\n"  # chunk 4
    with pytest.raises(InvalidInput) as raised:
        _ingest(ledger, b"".join(lines), workers=workers)
    assert [(p.line, p.field) for p in raised.value.problems] == [(8, "data.purpose"), (121, "json"), (251, "at")]
    assert ledger.max_position() == 0


@pytest.mark.parametrize("workers", [0, 2])
def test_duplicates_and_conflicts_are_found_across_chunks(ledger: Ledger, workers: int) -> None:
    events = _events(200)
    again = [*events, events[5], events[150]]  # the same facts again, many chunks later
    report = _ingest(ledger, _source(again), workers=workers)
    assert (report.ingested, report.duplicates) == (200, 2)
    changed = dict(events[10], actor="u:someone-else")
    with pytest.raises(ConflictingEvent) as raised:
        _ingest(ledger, _source([*_events(100), changed]), workers=workers)
    assert [(p.line, p.field) for p in raised.value.problems] == [(101, "id")]
    assert ledger.max_position() == 200


@pytest.mark.parametrize(("setting", "expected"), [("0", 0), ("3", 3), (" 1 ", 1)])
def test_the_number_of_workers_is_configured(monkeypatch: pytest.MonkeyPatch, setting: str, expected: int) -> None:
    monkeypatch.setenv("LOKIKIRJA_INGEST_WORKERS", setting)
    assert worker_count() == expected


def test_a_bad_worker_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOKIKIRJA_INGEST_WORKERS", "many")
    with pytest.raises(ValueError, match="LOKIKIRJA_INGEST_WORKERS"):
        worker_count()
