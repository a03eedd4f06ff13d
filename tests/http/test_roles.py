"""Authentication and roles over real HTTP: 401 without a valid token, 403 out of scope — and every
refusal recorded in the ledger (``ledger.queried`` with ``refused: true``) before it is answered."""

from __future__ import annotations

import uuid

import pytest

from tests.http.harness import LiveServer
from tests.scenarios import OFFICIAL_HETU

HISTORY = "/v1/access-log"


def _history(server: LiveServer, who: str, **params: str) -> int:
    purpose = f"scope check {uuid.uuid4().hex[:8]}"
    with server.client(who) as client:
        return client.get(HISTORY, params={**params, "purpose": purpose}).status_code


def _refusals(server: LiveServer, who: str) -> list[dict]:
    return [f.data for f in server.facts("ledger.queried") if f.actor == server.user(who) and f.data.get("refused")]


def test_a_missing_malformed_or_unknown_token_is_401_with_a_bearer_challenge(scenario_server: LiveServer):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dTpw"},
                    {"Authorization": "Bearer lkk_00000000_" + "x" * 43}):
        response = scenario_server.client().get("/v1/findings", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
    assert scenario_server.client().get("/v1/health").json() == {"ok": True}


@pytest.mark.parametrize(("who", "params", "status"), [
    # a DPO: customers the organisation was ever responsible for, and its users
    ("dpo-hki", {"subject": "c:a1"}, 200),          # Helsinki's, later Espoo's
    ("dpo-hki", {"subject": "c:a6"}, 200),
    ("dpo-hki", {"subject": "c:b05"}, 403),         # only ever the TE office's
    ("dpo-hki", {"subject": "c:nobody"}, 403),      # unknown: refused alike, nothing revealed
    ("dpo-hki", {"user": "u:hki-1"}, 200),
    ("dpo-hki", {"user": "u:esp-1"}, 403),
    ("dpo-hki", {"hetu": OFFICIAL_HETU}, 200),
    ("dpo-te", {"subject": "c:b05"}, 200),
    ("dpo-te", {"subject": "c:a1"}, 200),           # registered by the TE office
    # an area user: its area's *current* customers only, never by user
    ("area-hki", {"subject": "c:a6"}, 200),
    ("area-hki", {"subject": "c:a1"}, 403),         # moved on to Espoo
    ("area-esp", {"subject": "c:a1"}, 200),
    ("area-hki", {"user": "u:hki-1"}, 403),
    ("area-hki", {"hetu": OFFICIAL_HETU}, 200),
    # AVI sees everything; an ingest token nothing
    ("avi", {"subject": "c:b05"}, 200),
    ("avi", {"user": "u:esp-1"}, 200),
    ("ingest", {"subject": "c:a1"}, 403),
])
def test_access_history_scopes(scenario_server: LiveServer, who: str, params: dict[str, str], status: int):
    assert _history(scenario_server, who, **params) == status


def test_a_refusal_is_recorded_with_the_tokens_user_the_purpose_and_the_subject(scenario_server: LiveServer):
    before = len(_refusals(scenario_server, "area-hki"))
    with scenario_server.client("area-hki") as client:
        response = client.get(HISTORY, params={"subject": "c:a1", "purpose": "curiosity"})
    assert response.status_code == 403 and "recorded" in response.json()["detail"]
    refusals = _refusals(scenario_server, "area-hki")
    assert len(refusals) == before + 1
    assert refusals[-1]["subject"] == "c:a1" and refusals[-1]["purpose"] == "curiosity"
    assert refusals[-1]["refused"] is True and refusals[-1]["via"] == "http"


def test_each_role_reaches_only_its_endpoints_and_refusals_are_recorded(scenario_server: LiveServer):
    finding = {"verdict": "justified", "note": "checked"}
    expect = [
        ("ingest", "GET", "/v1/findings", 403), ("ingest", "GET", "/v1/supervision", 403),
        ("ingest", "GET", "/v1/checkpoint", 200), ("ingest", "GET", "/v1/verify", 403),
        ("avi", "POST", "/v1/events", 403), ("dpo-hki", "POST", "/v1/events", 403),
        ("area-hki", "GET", "/v1/findings", 403), ("area-hki", "GET", "/v1/monitoring", 403),
        ("area-hki", "POST", "/v1/findings/f:0123456789abcdef/review", 403),
        ("dpo-hki", "GET", "/v1/supervision", 200), ("dpo-hki", "GET", "/v1/findings?org=area:espoo", 403),
    ]
    for who, method, path, status in expect:
        before = len(_refusals(scenario_server, who))
        with scenario_server.client(who) as client:
            response = client.request(method, path, json=[] if path.endswith("events") else finding)
        assert response.status_code == status, (who, path, response.text)
        assert len(_refusals(scenario_server, who)) == before + (status == 403), (who, path)


def test_a_dpo_sees_only_its_own_organisations_findings(scenario_server: LiveServer):
    with scenario_server.client("dpo-hki") as client:
        found = client.get("/v1/findings").json()
    assert found and {f["org"] for f in found} == {"area:helsinki"}


def test_dpo_and_avi_review_findings_within_their_scope(scenario_server: LiveServer):
    with scenario_server.client("avi") as avi:
        findings = avi.get("/v1/findings").json()
    helsinki = next(f for f in findings if f["org"] == "area:helsinki")
    espoo = next(f for f in findings if f["org"] == "area:espoo")
    review = {"verdict": "violation", "note": "no service need on record"}
    with scenario_server.client("dpo-hki") as dpo:
        done = dpo.post(f"/v1/findings/{helsinki['finding']}/review", json=review)
        assert done.status_code == 200, done.text
        assert done.json() | {"event": "", "at": ""} == {**review, "finding": helsinki["finding"],
                                                        "reviewer": "u:dpo-hki", "event": "", "at": ""}
        assert dpo.post(f"/v1/findings/{espoo['finding']}/review", json=review).status_code == 403
        assert dpo.post("/v1/findings/f:0123456789abcdef/review", json=review).status_code == 404
        assert dpo.post(f"/v1/findings/{helsinki['finding']}/review",
                        json={"verdict": "maybe", "note": "x"}).status_code == 422
        assert dpo.post(f"/v1/findings/{helsinki['finding']}/review",
                        json={"verdict": "justified", "note": "  "}).status_code == 422
    with scenario_server.client("avi") as avi:
        assert avi.post(f"/v1/findings/{espoo['finding']}/review", json=review).status_code == 200
    reviewed = [f for f in scenario_server.facts("finding.reviewed") if f.data["finding"] == helsinki["finding"]]
    assert reviewed and reviewed[-1].actor == "u:dpo-hki" and reviewed[-1].data["verdict"] == "violation"
