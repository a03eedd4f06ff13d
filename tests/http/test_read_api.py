"""Findings, access history and reports over real HTTP: the CLI's JSON, the query recorded first."""

from __future__ import annotations

import json

from tests.factories import event_id
from tests.http.harness import LiveServer
from tests.scenarios import EXPECTED, KEY_OF


def test_findings_are_exactly_the_scenarios_sorted_and_filtered(scenario_server: LiveServer):
    with scenario_server.client("avi") as client:
        found = client.get("/v1/findings").json()
        own = client.get("/v1/findings", params={"rule": "ACCESS_OWN_RECORD"}).json()
        march = client.get("/v1/findings", params={"since": "2021-03-01", "until": "2021-03-31",
                                                   "severity": "high"}).json()
    # other tests add facts to the shared server: the scenario's own events carry exactly its findings
    assert {(KEY_OF[f["event"]], f["rule"]) for f in found if f["event"] in KEY_OF} == EXPECTED
    assert found == sorted(found, key=lambda f: (f["at"], f["event"], f["rule"]))
    assert [f["event"] for f in own] == [event_id("v-own")]
    assert march and all(f["severity"] == "high" and f["at"].startswith("2021-03") for f in march)


def test_findings_filters_are_validated(scenario_server: LiveServer):
    with scenario_server.client("avi") as client:
        for params in ({"rule": "NO_SUCH_RULE"}, {"org": "helsinki"}, {"since": "yesterday"},
                       {"since": "2021-05-01", "until": "2021-04-01"}, {"subject": "010101-123A"}):
            response = client.get("/v1/findings", params=params)
            assert response.status_code == 422, params
            assert response.json()["errors"], params


def test_access_log_answers_the_clis_rows_and_records_the_query_with_the_tokens_user(scenario_server: LiveServer):
    purpose = "data subject request 2026/14 (http test)"
    with scenario_server.client("avi") as client:
        missing = client.get("/v1/access-log", params={"subject": "c:a1"})
        rows = client.get("/v1/access-log", params={"subject": "c:a1", "purpose": purpose}).json()
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "query.purpose"
    assert rows and all(r["subject"] == "c:a1" for r in rows)
    assert set(rows[0]) == {"event", "at", "user", "org", "subject", "purpose", "categories", "findings"}
    excess = next(r for r in rows if r["event"] == event_id("v-excess"))
    assert excess["findings"] == ["ACCESS_EXCESS_CATEGORIES"]
    recorded = [f for f in scenario_server.facts("ledger.queried") if f.data["purpose"] == purpose]
    assert len(recorded) == 1
    assert recorded[0].actor == scenario_server.user("avi")
    assert recorded[0].data["subject"] == "c:a1" and recorded[0].data.get("via") == "http"
    assert "refused" not in recorded[0].data
    cli = scenario_server.cli("access-log", "--subject", "c:a1", "--as", "u:cli", "--purpose", "compare",
                              "--format", "json")
    assert json.loads(cli.stdout) == rows


def test_access_log_takes_exactly_one_of_subject_hetu_or_user(scenario_server: LiveServer):
    with scenario_server.client("avi") as client:
        for params in ({}, {"subject": "c:a1", "user": "u:hki-1"}, {"hetu": "290284-402X"}):
            response = client.get("/v1/access-log", params={**params, "purpose": "check"})
            assert response.status_code == 422, (params, response.text)


def test_access_log_by_hetu_by_post_finds_the_customer_through_the_blind_index(scenario_server: LiveServer):
    from tests.scenarios import OFFICIAL_HETU

    with scenario_server.client("avi") as client:
        response = client.post("/v1/access-log", json={"hetu": OFFICIAL_HETU, "purpose": "hetu lookup test"})
    assert response.status_code == 200, response.text
    assert {r["subject"] for r in response.json()} == {"c:a6"}
    (recorded,) = [f for f in scenario_server.facts("ledger.queried") if f.data["purpose"] == "hetu lookup test"]
    assert recorded.data["hetu_index"] and OFFICIAL_HETU not in json.dumps(recorded.data)


def test_supervision_monitoring_and_findings_are_the_clis_json(scenario_server: LiveServer):
    with scenario_server.client("avi") as client:
        supervision = client.get("/v1/supervision").json()
        monitoring = client.get("/v1/monitoring", params={"month": "2021-06"}).json()
        bulk = client.get("/v1/findings", params={"rule": "ACCESS_BULK"}).json()
        assert client.get("/v1/monitoring", params={"month": "2021-13"}).status_code == 422
    assert [a["rank"] for a in supervision["areas"]] == [1, 2]
    cli = [scenario_server.cli(*args) for args in (["supervision", "--format", "json"],
                                                   ["monitoring", "--month", "2021-06", "--format", "json"],
                                                   ["findings", "--rule", "ACCESS_BULK", "--format", "json"])]
    assert all(c.returncode == 0 for c in cli), [c.stderr for c in cli]
    assert [json.loads(c.stdout) for c in cli] == [supervision, monitoring, bulk]


def test_a_persons_access_evidence_over_http_verifies_offline_and_says_complete(scenario_server: LiveServer,
                                                                                 tmp_path):
    with scenario_server.client("avi") as client:
        response = client.post("/v1/access-log/evidence", json={"subject": "c:a1", "purpose": "request 2026/15"})
        by_user = client.post("/v1/access-log/evidence", json={"user": "u:hki-1", "purpose": "request 2026/15"})
    assert response.status_code == 200, response.text
    assert by_user.status_code == 422
    doc = response.json()
    assert doc["format"] == "lokikirja-person-report/v1" and doc["customers"] == ["c:a1"]
    assert {r["subject"] for r in doc["rows"]} == {"c:a1"}
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(doc))
    checked = scenario_server.cli("verify-report", str(path))
    assert checked.returncode == 0 and "complete" in checked.stdout, checked.stderr
    doc["rows"] = doc["rows"][1:]
    path.write_text(json.dumps(doc))
    assert scenario_server.cli("verify-report", str(path)).returncode == 1
