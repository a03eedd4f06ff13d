"""A long catch-up refreshes PostgreSQL's planner statistics as its tables grow.

Without autovacuum (this machine's server has it off) the tables' statistics would stay those of
the empty tables a catch-up began with, and the planner would scan whole tables for look-ups an
index answers: a 10 M-event catch-up fell to a few hundred facts a second before this.
"""

from __future__ import annotations

import io
import json

import pytest

from ledger import follower
from ledger.ingest import ingest_stream
from ledger.store import Ledger
from projections.readmodel import ReadModel
from tests.scenarios import EVENTS


def test_statistics_are_refreshed_whenever_the_facts_applied_double(ledger: Ledger,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(follower, "ANALYZE_AFTER", 10)
    monkeypatch.setattr(follower, "REFRESH_FROM", 10)
    ingest_stream(ledger, "events", io.BytesIO("".join(json.dumps(e) + "\n" for e in EVENTS).encode()))
    model = ReadModel(ledger)
    analysed_at: list[int] = []
    real_analyze = model.analyze

    def counting() -> None:
        analysed_at.append(model.position())
        real_analyze()

    model.analyze = counting  # type: ignore[method-assign]
    done = model.catch_up(page=10)
    assert done == len(EVENTS) > 80
    final = [done]  # after every catch-up of ANALYZE_AFTER facts or more, on both backends
    if ledger.db.kind == "postgres":
        doubling = [n for n in (10, 20, 40, 80, 160, 320) if n <= done]
        assert analysed_at == doubling + ([] if done in doubling else final)  # never twice at the end
        with ledger.db.read() as cur:
            tuples = cur.scalar("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                                (ledger.db.table("v_customer_facts"),))
        assert tuples > 0
    else:
        assert analysed_at == final


def test_the_log_is_analysed_once_it_has_doubled(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger import store

    monkeypatch.setattr(store, "STATISTICS_FROM", 20)
    source = "".join(json.dumps(e) + "\n" for e in EVENTS).encode()
    ingest_stream(ledger, "events", io.BytesIO(source))
    assert len(EVENTS) > 20
    if ledger.db.kind != "postgres":
        assert ledger.refresh_statistics() is False  # SQLite plans these look-ups by its indexes without
        return
    assert ledger.refresh_statistics() is True  # never counted, and past 20 facts
    with ledger.db.read() as cur:
        counted = cur.scalar("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                             (f'"{ledger.db.datastore.schema}".lokikirja_events',))
    assert counted == len(EVENTS)
    assert ledger.refresh_statistics() is False  # not twice as many yet
