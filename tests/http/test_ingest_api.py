"""POST /v1/events over real HTTP: the CLI's validation, atomicity and idempotency, on both backends."""

from __future__ import annotations

import json

from tests.factories import ev
from tests.http.harness import LiveServer
from tests.scenarios import EVENTS

JSONL = {"Content-Type": "application/x-ndjson"}


def _views(n: int, subject: str = "c:a1") -> list[dict]:
    return [ev("record.viewed", f"2022-01-{10 + i:02d}T10:00:00+02:00", "u:hki-1", subject=subject,
               purpose="service_guidance", categories=["identity"]) for i in range(n)]


def test_reingesting_the_scenario_as_an_array_or_as_json_lines_stores_nothing_twice(scenario_server: LiveServer):
    with scenario_server.client("ingest") as client:
        assert client.post("/v1/events", json=EVENTS).json() == {"ingested": 0, "duplicates": len(EVENTS)}
        body = "\n".join(json.dumps(e) for e in EVENTS) + "\n"
        response = client.post("/v1/events", content=body, headers=JSONL)
    assert response.status_code == 200
    assert response.json() == {"ingested": 0, "duplicates": len(EVENTS)}


def test_one_bad_event_stores_nothing_and_every_bad_item_is_named_by_index(scenario_server: LiveServer):
    good = _views(3)
    bad_type = {**_views(1)[0], "type": "record.deleted"}
    bad_subject = ev("record.viewed", "2022-01-20T10:00:00+02:00", "u:hki-1", subject="010101-123A",
                     purpose="service_guidance", categories=["identity"])
    with scenario_server.client("ingest") as client:
        response = client.post("/v1/events", json=[good[0], bad_type, good[1], bad_subject, good[2]])
        assert response.status_code == 422
        doc = response.json()
        assert doc["total"] == 2 and "nothing" in doc["detail"]
        assert [(e["index"], e["field"]) for e in doc["errors"]] == [(1, "type"), (3, "data.subject")]
        assert all(e["message"] and "010101" not in e["message"] for e in doc["errors"])
        # nothing was stored: the good three are new now
        assert client.post("/v1/events", json=good).json() == {"ingested": 3, "duplicates": 0}


def test_json_lines_problems_name_the_line_and_blank_lines_are_skipped(scenario_server: LiveServer):
    good = _views(2)
    body = json.dumps(good[0]) + "\n\n{not json\n" + json.dumps(good[1]) + "\n"
    with scenario_server.client("ingest") as client:
        response = client.post("/v1/events", content=body, headers=JSONL)
        assert response.status_code == 422
        assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [(3, "json")]
        fixed = body.replace("{not json\n", "")
        assert client.post("/v1/events", content=fixed, headers=JSONL).json() == {"ingested": 2, "duplicates": 0}


def test_an_id_reused_with_other_content_is_a_conflict(scenario_server: LiveServer):
    changed = {**EVENTS[-1], "at": "2021-12-31T10:00:00+02:00"}
    with scenario_server.client("ingest") as client:
        response = client.post("/v1/events", json=[changed])
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "id"


def test_batches_over_the_limits_are_refused_with_413(scenario_server: LiveServer):
    with scenario_server.client("ingest") as client:
        too_many = client.post("/v1/events", json=[{}] * 10_001)
        assert too_many.status_code == 413 and "10000" in too_many.json()["detail"]
        too_big = client.post("/v1/events", content=b" " * (10 * 1024 * 1024 + 1), headers=JSONL)
        assert too_big.status_code == 413


def test_a_body_that_is_not_json_is_422_not_a_server_error(scenario_server: LiveServer):
    with scenario_server.client("ingest") as client:
        for body in (b"[1, 2", b"\xff\xfe", b"[]", b"42", b"[[]]"):
            response = client.post("/v1/events", content=body)
            assert response.status_code in (200, 422), (body, response.text)
        assert client.post("/v1/events", content=b"[]").json() == {"ingested": 0, "duplicates": 0}
