"""The bad-input corpus (``tests/bad_input``) over HTTP, on both backends: ``POST /v1/events``
answers 422 naming every bad item's index and field, and stores nothing."""

from __future__ import annotations

from ledger.store import Ledger
from tests.bad_input.events import BAD_EVENTS, GOOD
from tests.bad_input.queries import BAD_QUERIES
from tests.http.harness import LiveServer


def log_size(server: LiveServer) -> int:
    with Ledger.open(server.db, server.keys, need_keys=False) as ledger:
        return ledger.max_position()


def test_every_bad_event_of_the_corpus_is_named_by_index_and_field_and_nothing_is_stored(
        scenario_server: LiveServer) -> None:
    before = log_size(scenario_server)
    with scenario_server.client("ingest") as client:
        response = client.post("/v1/events", json=[GOOD, *(case.event() for case in BAD_EVENTS)])
    assert response.status_code == 422, response.text
    doc = response.json()
    assert doc["total"] == len(BAD_EVENTS) and "nothing" in doc["detail"]
    for index, case in enumerate(BAD_EVENTS, start=1):
        named = [e for e in doc["errors"] if e["index"] == index]
        assert named and named[0]["field"] == case.field, (case.name, named)
        assert case.says in named[0]["message"], (case.name, named[0])
    assert log_size(scenario_server) == before


def test_each_bad_event_alone_is_a_422_and_the_server_still_answers(scenario_server: LiveServer) -> None:
    before = log_size(scenario_server)
    with scenario_server.client("ingest") as client:
        for case in BAD_EVENTS:
            response = client.post("/v1/events", json=[case.event()])
            assert response.status_code == 422, (case.name, response.text)
    with scenario_server.client("avi") as client:
        assert client.get("/v1/findings", params={"limit": 5}).status_code == 200
    assert log_size(scenario_server) == before


def test_every_bad_query_of_the_corpus_is_a_422_naming_the_field_before_anything_is_recorded(
        scenario_server: LiveServer) -> None:
    before = log_size(scenario_server)
    for case in BAD_QUERIES:
        if case.http is None:
            continue
        method, path, request = case.http
        with scenario_server.client(case.who) as client:
            response = client.request(method, path, **request)
        assert response.status_code == 422, (case.name, response.status_code, response.text)
        doc = response.json()
        assert doc["detail"] == "the request is not valid", (case.name, doc)
        assert [e["field"] for e in doc["errors"]] == [case.http_field], (case.name, doc)
        assert case.http_says in doc["errors"][0]["message"], (case.name, doc)
    assert log_size(scenario_server) == before
