"""A rebuild from scratch builds the read-only indexes once, after catching up, and loses none."""

from __future__ import annotations

from ledger.store import Ledger
from projections import schema
from projections.readmodel import ReadModel
from tests.scenarios import EVENTS


def _indexes(ledger: Ledger) -> set[str]:
    with ledger.db.read() as cur:
        if ledger.db.kind == "postgres":
            rows = cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s",
                               (ledger.db.datastore.schema,)).fetchall()
        else:
            rows = cur.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {r[0] for r in rows if r[0].startswith("lokikirja_v_")}


def _deferred_names() -> set[str]:
    return {f"lokikirja_v_{name}_i{i}" for name, table in schema.TABLES.items()
            for i, cols in enumerate(table.indexes) if cols in table.deferrable}


def test_a_rebuild_defers_the_read_only_indexes_and_creates_them_once_caught_up(ledger: Ledger,
                                                                               scenario_model: ReadModel):
    model = scenario_model
    every = _indexes(ledger)
    assert _deferred_names() and _deferred_names() <= every

    model.reset()
    assert _indexes(ledger) == every - _deferred_names()
    assert model.catch_up() == len(EVENTS)
    assert _indexes(ledger) == every


def test_an_interrupted_rebuild_gets_its_indexes_from_the_next_follower(ledger: Ledger):
    model = ReadModel(ledger)
    every = _indexes(ledger)
    model.reset()
    assert _indexes(ledger) == every - _deferred_names()
    ReadModel(ledger)
    assert _indexes(ledger) == every
