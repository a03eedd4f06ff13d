"""The dispute dossier over real HTTP and on its web page: the CLI's replay, within the caller's
scope, recorded before it is answered, every event proven against the signed checkpoint."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from replay.bundle import verify_bundle
from tests.http.harness import LiveServer
from tests.http.test_web_forms import _logged_in

REPLAYED = ("customer", "at", "responsibility", "timeline", "decisions")


def _dossier(server: LiveServer, who: str, customer: str, **params: str) -> tuple[int, dict, str]:
    purpose = params.pop("purpose", f"dossier test {uuid.uuid4().hex[:8]}")
    with server.client(who) as client:
        response = client.get(f"/v1/dossier/{customer}", params={"purpose": purpose, **params})
    return response.status_code, response.json(), purpose


def test_the_dossier_is_the_clis_and_the_query_is_recorded_first(scenario_server: LiveServer):
    status, doc, purpose = _dossier(scenario_server, "avi", "c:a1")
    assert status == 200
    cli = json.loads(scenario_server.cli("dossier", "c:a1", "--as", "u:cli", "--purpose", "compare",
                                         "--format", "json").stdout)
    assert {k: doc[k] for k in REPLAYED} == {k: cli[k] for k in REPLAYED}
    assert [r["org"] for r in doc["responsibility"]] == ["te:uusimaa", "area:helsinki", "area:espoo"]
    assert set(doc["proofs"]) == {e["event"] for e in doc["timeline"]}
    asked = next(f for f in scenario_server.facts("ledger.queried") if f.data["purpose"] == purpose)
    assert (asked.actor, asked.data["command"], asked.data["subject"], asked.data["via"]) == \
        ("u:avi-inspector", "dossier", "c:a1", "http")


def test_the_bundle_verifies_offline_with_the_cli(scenario_server: LiveServer, tmp_path: Path):
    with scenario_server.client("dpo-hki") as client:
        response = client.get("/v1/dossier/c:a6", params={"purpose": "appeal 2026/88", "format": "bundle"})
    assert response.status_code == 200
    bundle = response.json()
    report = verify_bundle(bundle)
    assert report.ok and report.complete and report.events >= len(bundle["dossier"]["timeline"]) > 0
    (tmp_path / "b.json").write_text(response.text, encoding="utf-8")
    checked = scenario_server.cli("verify-bundle", str(tmp_path / "b.json"))
    assert checked.returncode == 0 and checked.stdout.startswith("OK:")


def test_as_of_a_date_before_the_move_the_customer_was_helsinkis(scenario_server: LiveServer):
    status, doc, _ = _dossier(scenario_server, "avi", "c:a1", at="2021-04-30")
    assert status == 200 and doc["at"].startswith("2021-04-30T23:59:59")
    assert [r["org"] for r in doc["responsibility"]] == ["te:uusimaa", "area:helsinki"]


@pytest.mark.parametrize(("who", "customer", "status"), [
    ("avi", "c:b05", 200),
    ("avi", "c:nobody", 404),
    ("dpo-hki", "c:a1", 200),        # Helsinki's once, Espoo's now
    ("dpo-hki", "c:b05", 403),       # only ever the TE office's
    ("dpo-hki", "c:nobody", 403),    # unknown: refused alike, nothing revealed
    ("area-hki", "c:a6", 200),
    ("area-hki", "c:a1", 403),       # moved on to Espoo
    ("area-esp", "c:a1", 200),
    ("ingest", "c:a1", 403),
])
def test_dossier_scopes_and_refusals_are_recorded(scenario_server: LiveServer, who: str, customer: str,
                                                  status: int):
    got, _, purpose = _dossier(scenario_server, who, customer)
    assert got == status
    asked = [f.data for f in scenario_server.facts("ledger.queried") if f.data["purpose"] == purpose]
    assert len(asked) == 1 and asked[0]["subject"] == customer
    assert asked[0].get("refused", False) is (status == 403)


def test_bad_parameters_are_422_and_nothing_is_recorded(scenario_server: LiveServer):
    before = len(scenario_server.facts("ledger.queried"))
    with scenario_server.client("avi") as client:
        assert client.get("/v1/dossier/c:a1").status_code == 422                    # no purpose
        bad_at = client.get("/v1/dossier/c:a1", params={"purpose": "x", "at": "yesterday"})
        assert bad_at.status_code == 422 and bad_at.json()["errors"][0]["field"] == "at"
        assert client.get("/v1/dossier/c:a1", params={"purpose": "x", "known_at": "0"}).status_code == 422
        assert client.get("/v1/dossier/x:a1", params={"purpose": "x"}).status_code == 422
        assert client.get("/v1/dossier/c:a1", params={"purpose": "x", "format": "pdf"}).status_code == 422
    assert len(scenario_server.facts("ledger.queried")) == before


def test_the_dossier_page_shows_every_event_proven(scenario_server: LiveServer):
    with _logged_in(scenario_server, "dpo-hki") as client:
        form = client.get("/dossier", params={"customer": "c:a6"})
        assert form.status_code == 200 and 'value="c:a6"' in form.text
        missing = client.post("/dossier", data={"customer": "c:a6", "purpose": ""})
        assert missing.status_code == 422 and "purpose" in missing.text
        shown = client.post("/dossier", data={"customer": "c:a6", "at": "", "known_at": "", "purpose": "web dossier"})
        refused = client.post("/dossier", data={"customer": "c:b05", "purpose": "web dossier refused"})
    assert shown.status_code == 200, shown.text
    events = shown.text.count("<tr data-event=")
    assert events > 0 and shown.text.count("✓ proven (leaf") == events
    assert f"All {events} events are proven included in the signed checkpoint" in shown.text
    assert refused.status_code == 403
    queried = {f.data["purpose"]: f.data for f in scenario_server.facts("ledger.queried")}
    assert queried["web dossier"]["command"] == "web dossier" and queried["web dossier"]["via"] == "web"
    assert queried["web dossier refused"]["refused"] is True


def _checkpoints(server: LiveServer) -> list[int]:
    """Tree sizes of the signed checkpoints, read straight from the store."""
    from ledger.seal import Seal
    from ledger.store import Ledger

    with Ledger.open(server.db, server.keys, need_keys=False) as ledger, ledger.db.read() as cur:
        return [r[0] for r in cur.execute(f"SELECT tree_size FROM {Seal(ledger, create=False).checkpoints} "
                                          "ORDER BY tree_size")]


def test_a_dossier_signs_a_checkpoint_only_when_the_latest_does_not_cover_the_customer(
        scenario_server: LiveServer):
    from tests.factories import ev

    _dossier(scenario_server, "avi", "c:a2")
    before = _checkpoints(scenario_server)
    for _ in range(3):  # each query is recorded in the log, but the customer's events are covered
        status, doc, _purpose = _dossier(scenario_server, "avi", "c:a2")
        assert status == 200 and set(doc["proofs"]) == {e["event"] for e in doc["timeline"]}
    assert _checkpoints(scenario_server) == before
    view = ev("record.viewed", "2021-06-01T10:00:00+03:00", "u:te-1", subject="c:a2", purpose="service_guidance",
              categories=["identity"])
    with scenario_server.client("ingest") as client:
        assert client.post("/v1/events", json=[view]).status_code == 200
    status, doc, _purpose = _dossier(scenario_server, "avi", "c:a2")
    assert status == 200 and view["id"] in doc["proofs"]
    assert doc["checkpoint"]["tree_size"] == max(_checkpoints(scenario_server))
