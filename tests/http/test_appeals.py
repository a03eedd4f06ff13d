"""The appeals role (issue 19 item 5) over real HTTP: an appeal body's token reads only the customers
of its case — dossier, evidence bundle, access history — read-only, every read and refusal recorded;
"as known at" is chosen by date and time."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.http.harness import LiveServer


def _get(server: LiveServer, path: str, **params: str) -> tuple[int, dict]:
    purpose = f"appeal 2026/88 {uuid.uuid4().hex[:6]}"
    with server.client("appeals") as client:
        response = client.get(path, params={**params, "purpose": purpose})
    return response.status_code, (response.json() if response.content else {})


def test_an_appeals_token_reads_only_the_customers_of_its_case(scenario_server: LiveServer, tmp_path: Path):
    assert _get(scenario_server, "/v1/access-log", subject="c:a1")[0] == 200
    assert _get(scenario_server, "/v1/dossier/c:a1")[0] == 200
    status, bundle = _get(scenario_server, "/v1/dossier/c:a1", format="bundle")
    assert status == 200 and bundle["format"] == "lokikirja-evidence-bundle/v2"
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    assert scenario_server.cli("verify-bundle", str(tmp_path / "b.json")).returncode == 0
    for path, params in (("/v1/access-log", {"subject": "c:a6"}), ("/v1/dossier/c:a6", {}),
                         ("/v1/access-log", {"user": "u:hki-1"})):
        assert _get(scenario_server, path, **params)[0] == 403, path
    with scenario_server.client("appeals") as client:
        assert client.get("/v1/findings").status_code == 403
        assert client.get("/v1/supervision").status_code == 403
    user = scenario_server.user("appeals")
    queried = [f.data for f in scenario_server.facts("ledger.queried") if f.actor == user]
    assert any(q.get("subject") == "c:a6" and q.get("refused") for q in queried)
    assert any(q.get("subject") == "c:a1" and not q.get("refused") for q in queried)
    with scenario_server.client("appeals") as client:
        review = client.post("/v1/findings/f:" + "0" * 16 + "/review", json={"verdict": "justified", "note": "x"})
    assert review.status_code in (403, 404)


def test_as_known_at_a_date_and_time(scenario_server: LiveServer):
    now = datetime.now(UTC).isoformat()
    status, known = _get(scenario_server, "/v1/dossier/c:a1", known_at_time=now)
    _, everything = _get(scenario_server, "/v1/dossier/c:a1")
    assert status == 200
    assert [e["event"] for e in known["timeline"]] == [e["event"] for e in everything["timeline"]]
    assert _get(scenario_server, "/v1/dossier/c:a1", known_at_time="2021-01-01T12:00")[0] == 404  # nothing yet
    assert _get(scenario_server, "/v1/dossier/c:a1", known_at_time=now, known_at="3")[0] == 422
    assert _get(scenario_server, "/v1/dossier/c:a1", known_at_time="yesterday")[0] == 422
