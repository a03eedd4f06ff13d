"""The follower's history cache stays bounded, and dropping histories never changes a finding."""

from __future__ import annotations

import json

import pytest

from ledger.store import Ledger
from projections import queries
from projections.readmodel import ReadModel
from projections.world import HistoryCache


def test_past_the_limit_the_histories_loaded_longest_ago_are_dropped_to_half(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(HistoryCache, "LIMIT", 10)
    cache = HistoryCache()
    cache.position = 7
    cache.customers.update({f"c:{i}": None for i in range(12)})
    cache.users.update({f"u:{i}": None for i in range(3)})
    cache.begin_page(7)
    assert list(cache.customers) == [f"c:{i}" for i in range(7, 12)]  # the newest five
    assert len(cache.users) == 3
    cache.begin_page(8)  # not where this cache left off: nothing it holds can be trusted
    assert cache.customers == {} and cache.users == {}


def _findings(ledger: Ledger) -> str:
    with ledger.db.read() as cur:
        return json.dumps(queries.findings(ledger.db, cur))


def test_a_tiny_cache_gives_the_same_findings_page_by_page(ledger: Ledger, scenario_model: ReadModel,
                                                          monkeypatch: pytest.MonkeyPatch):
    model = scenario_model
    expected = _findings(ledger)

    monkeypatch.setattr(HistoryCache, "LIMIT", 3)
    model.reset()
    model.catch_up(page=5)  # many pages, most of them shrinking the cache
    assert _findings(ledger) == expected
