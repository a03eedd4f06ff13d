"""Findings over HTTP in pages (``limit``, the ``Link`` header's cursor) and, unpaged, streamed;
the access history streamed alike."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from ledger.ingest import ingest_stream
from ledger.store import Ledger
from projections import queries
from service.http.access import access_history_json
from service.http.actions import findings_json
from service.http.auth import Principal
from service.http.params import AccessQuery, BadParameter, FindingFilters, cursor
from service.http.served import Served
from service.http.tokens import TokenFile
from tests.factories import write_jsonl
from tests.http.harness import LiveServer
from tests.scenarios import EVENTS


def _next_link(response) -> str | None:  # type: ignore[no-untyped-def]
    found = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers.get("link", ""))
    return found.group(1) if found else None


def test_following_the_next_links_walks_the_whole_list(scenario_server: LiveServer) -> None:
    with scenario_server.client("avi") as client:
        whole = client.get("/v1/findings").json()
        walked, url, pages = [], "/v1/findings?limit=4", 0
        while url is not None:
            response = client.get(url)
            assert response.status_code == 200, response.text
            assert len(response.json()) <= 4
            walked += response.json()
            url, pages = _next_link(response), pages + 1
        high = client.get("/v1/findings", params={"severity": "high", "limit": 2})
        following = client.get(_next_link(high) or "")
    assert len(whole) > 8
    assert walked == whole and pages == -(-len(whole) // 4)
    assert all(f["severity"] == "high" for f in high.json() + following.json())  # the filters go along


def test_paging_parameters_are_validated(scenario_server: LiveServer) -> None:
    with scenario_server.client("avi") as client:
        for params in ({"limit": 0}, {"limit": 10_001}, {"limit": "many"}, {"after": "not a cursor!"},
                       {"after": "bm90LWpzb24", "limit": 5}):
            response = client.get("/v1/findings", params=params)
            assert response.status_code == 422, (params, response.text)


AVI = Principal("u:avi", "avi", None, "t1")


def _served_scenario(ledger: Ledger, tmp_path: Path) -> Served:
    """The scenario ingested and served in this process, its read model caught up."""
    with write_jsonl(tmp_path / "events.jsonl", EVENTS).open("rb") as stream:
        ingest_stream(ledger, "events.jsonl", stream)
    served = Served(ledger, TokenFile(tmp_path / "tokens.json"))
    served.refresh()
    return served


def test_an_unpaged_answer_streams_every_page_as_one_json_array(ledger: Ledger, tmp_path: Path) -> None:
    served = _served_scenario(ledger, tmp_path)
    with ledger.db.read() as cur:
        whole = queries.findings(ledger.db, cur)
    assert len(whole) > 8
    for page in (1, 4, 5000):
        assert orjson.loads(b"".join(findings_json(served, AVI, FindingFilters(), page=page))) == whole
    assert b"".join(findings_json(served, AVI, FindingFilters(user="u:nobody"), page=3)) == b"[]"


def test_a_cursor_round_trips_and_a_forged_one_is_refused() -> None:
    key = (1_614_556_800_000_000, "0b6c5e2a-0000-4000-8000-000000000000", "ACCESS_BULK", "f:00ff")
    assert FindingFilters(after=cursor(key)).after_key() == key
    for forged in ("bm90LWpzb24", cursor((1, 2, 3, 4)), "W10"):  # type: ignore[arg-type]
        with pytest.raises(BadParameter):
            FindingFilters(after=forged).after_key()


def test_an_access_history_streams_every_page_and_is_recorded_once(ledger: Ledger, tmp_path: Path) -> None:
    served = _served_scenario(ledger, tmp_path)
    with ledger.db.read() as cur:
        busiest = cur.execute(f"SELECT usr FROM {ledger.db.table('v_views')} GROUP BY usr "
                              "ORDER BY COUNT(*) DESC, usr LIMIT 1").fetchone()[0]
        whole = queries.access_log(ledger.db, cur, user=busiest)
    assert len(whole) > 8
    before = ledger.max_position()
    for page in (1, 3, 5000):
        q = AccessQuery(user=busiest, purpose=f"paging test {page}")
        assert orjson.loads(b"".join(access_history_json(served, AVI, q, page=page))) == whole
    asked = [f for f in ledger.read_log(before) if f.type == "ledger.queried"]
    assert [f.data["purpose"] for f in asked] == ["paging test 1", "paging test 3", "paging test 5000"]
