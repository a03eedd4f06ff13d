"""A page is applied with Python's cycle collector paused, and the collector is as it was after
every page — applied, failed, or with the collector already off."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import pytest

from ledger.store import Ledger
from projections import queries
from projections.readmodel import ReadModel


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_pages_are_applied_with_the_collector_off_and_it_is_on_again_after(
        ledger: Ledger, scenario_model: ReadModel, monkeypatch: pytest.MonkeyPatch):
    with ledger.db.read() as cur:
        expected = json.dumps(queries.findings(ledger.db, cur))
    during: list[bool] = []
    apply = ReadModel.apply

    def watched(self: ReadModel, cur, facts) -> None:  # type: ignore[no-untyped-def]
        during.append(gc.isenabled())
        apply(self, cur, facts)

    monkeypatch.setattr(ReadModel, "apply", watched)
    gc.enable()
    scenario_model.reset()
    scenario_model.catch_up(page=7)
    assert len(during) > 1 and not any(during)
    assert gc.isenabled()
    with ledger.db.read() as cur:
        assert json.dumps(queries.findings(ledger.db, cur)) == expected


def test_a_failing_page_turns_the_collector_back_on(ledger: Ledger, scenario_model: ReadModel,
                                                    monkeypatch: pytest.MonkeyPatch):
    def broken(self: ReadModel, cur, facts) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(ReadModel, "apply", broken)
    gc.enable()
    scenario_model.reset()
    with pytest.raises(RuntimeError, match="disk full"):
        scenario_model.catch_up()
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off(ledger: Ledger, scenario_model: ReadModel):
    gc.disable()
    scenario_model.reset()
    assert scenario_model.catch_up() > 0
    assert not gc.isenabled()


def test_a_dossier_is_built_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch):
    from replay import dossier

    monkeypatch.setattr(dossier, "_build", lambda *_: {"collector_on": gc.isenabled()})
    gc.enable()
    assert dossier.build_dossier(None, "c:1") == {"collector_on": False}  # type: ignore[arg-type]
    assert gc.isenabled()


def test_ingest_appends_each_chunk_with_the_collector_paused(ledger: Ledger, tmp_path, monkeypatch: pytest.MonkeyPatch):
    from ledger import ingest
    from tests.factories import write_jsonl
    from tests.scenarios import EVENTS

    during: list[bool] = []
    append = ingest._append_chunk

    def watched(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        during.append(gc.isenabled())
        append(*args, **kwargs)

    monkeypatch.setattr(ingest, "_append_chunk", watched)
    gc.enable()
    source = write_jsonl(tmp_path / "events.jsonl", EVENTS)
    with source.open("rb") as stream:
        report = ingest.ingest_stream(ledger, str(source), stream, chunk_size=5, workers=0)
    assert report.ingested == len(EVENTS)
    assert len(during) > 1 and not any(during)
    assert gc.isenabled()
