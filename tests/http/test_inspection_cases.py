"""AVI's inspection cases over real HTTP: opened from a selection of findings, listed, reopened and
noted; stored as the ledger's own facts; read-only for a DPO of the area, refused to others."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.http.harness import LiveServer


@contextmanager
def _web(server: LiveServer, who: str) -> Iterator[httpx.Client]:
    with server.client(follow_redirects=False) as client:
        client.headers["Accept-Language"] = "en"
        assert client.post("/login", data={"token": server.tokens[who]}).status_code == 303
        yield client


def test_a_case_is_opened_from_chosen_findings_listed_reopened_and_noted(scenario_server: LiveServer):
    with _web(scenario_server, "avi") as client:
        form = client.get("/cases/new", params={"org": "area:helsinki", "since": "2021-01-01", "rule": ""})
        assert form.status_code == 200
        offered = re.findall(r'name="finding" value="(f:[0-9a-f]+)"', form.text)
        assert len(offered) >= 2
        chosen = offered[:2]
        created = client.post("/cases", data={
            "title": "Helsinki own-record views", "org": "area:helsinki", "since": "2021-01-01",
            "note": "start with the officials who viewed their own records", "finding": chosen})
        assert created.status_code == 303, created.text
        url = created.headers["location"]
        case_id = url.rsplit("/", 1)[1]
        assert re.fullmatch(r"i:[0-9a-f]{32}", case_id)
        listed = client.get("/cases").text
        assert f'data-case="{case_id}"' in listed and "Helsinki own-record views" in listed
        reopened = client.get(url).text
        assert set(re.findall(r'<tr id="(f:[0-9a-f]+)"', reopened)) == set(chosen)
        assert "start with the officials" in reopened and "area:helsinki" in reopened
        noted = client.post(f"{url}/notes", data={"note": "asked the area for its access-right records"})
        assert noted.status_code == 303 and noted.headers["location"] == url
        assert "asked the area for its access-right records" in client.get(url).text
        assert client.post(f"{url}/notes", data={"note": "  "}).status_code == 422
        hetu = client.post("/cases", data={"title": "about 131052-308T", "finding": chosen})
        assert hetu.status_code == 422  # free text is screened for personal identity codes
        assert client.get("/cases/i:" + "0" * 32).status_code == 404
    opened = [f for f in scenario_server.facts("inspection.case_opened") if f.data["case"] == case_id]
    assert len(opened) == 1 and opened[0].actor == "u:avi-inspector"
    assert opened[0].data["findings"] == chosen and opened[0].data["org"] == "area:helsinki"
    assert [f.data["note"] for f in scenario_server.facts("inspection.case_noted") if f.data["case"] == case_id] == [
        "asked the area for its access-right records"]
    with _web(scenario_server, "dpo-hki") as client:  # the area's DPO reads, never writes
        assert client.get(url).status_code == 200 and case_id in client.get("/cases").text
        assert 'id="note-form"' not in client.get(url).text
        assert client.post(f"{url}/notes", data={"note": "not mine to write"}).status_code == 403
        assert client.get("/cases/new").status_code == 403
    with _web(scenario_server, "dpo-te") as client:
        assert client.get(url).status_code == 403 and case_id not in client.get("/cases").text
    with _web(scenario_server, "area-hki") as client:
        assert client.get("/cases").status_code == 403


def test_case_facts_are_never_ingestible(scenario_server: LiveServer):
    fact = {"id": "0b7c9a52-3f0e-4c1e-9a5e-2d1f0e6b7a11", "type": "inspection.case_opened",
            "at": "2022-03-14T09:12:00+02:00", "actor": "u:avi-inspector",
            "data": {"case": "i:" + "1" * 32, "title": "forged"}}
    with scenario_server.client("ingest") as client:
        assert client.post("/v1/events", json=[fact]).status_code == 422


def test_the_cases_api_opens_notes_and_closes_a_case_with_the_web_pages_role_checks(scenario_server: LiveServer):
    server = scenario_server
    with server.client("avi") as avi:
        chosen = [f["finding"] for f in avi.get("/v1/findings", params={"org": "area:helsinki"}).json()[:2]]
        created = avi.post("/v1/cases", json={"title": "API: Helsinki off-hours views", "org": "area:helsinki",
                                              "since": "2021-03-01", "findings": chosen, "note": "first look"})
        assert created.status_code == 201, created.text
        case = created.json()
        case_id = case["case"]
        assert created.headers["location"] == f"/v1/cases/{case_id}"
        assert case["findings"] == chosen and case["closed"] is None and case["opened_by"] == "u:avi-inspector"
        assert case_id in [c["case"] for c in avi.get("/v1/cases").json()]
        shown = avi.get(f"/v1/cases/{case_id}").json()
        assert sorted(f["finding"] for f in shown["findings"]) == sorted(chosen) == sorted(shown["case"]["findings"])
        noted = avi.post(f"/v1/cases/{case_id}/notes", json={"note": "asked the area", "findings": chosen[:1]})
        assert noted.status_code == 200
        assert [n["note"] for n in noted.json()["notes"]] == ["first look", "asked the area"]
        closed = avi.post(f"/v1/cases/{case_id}/close", json={"reason": "the area corrected its access rights"})
        assert closed.status_code == 200, closed.text
        assert closed.json()["closed"]["by"] == "u:avi-inspector"
        assert closed.json()["closed"]["reason"] == "the area corrected its access rights"
        assert avi.post(f"/v1/cases/{case_id}/notes", json={"note": "too late"}).status_code == 409
        assert avi.post(f"/v1/cases/{case_id}/close", json={"reason": "again"}).status_code == 409
        assert avi.get("/v1/cases/i:" + "0" * 32).status_code == 404
        assert avi.post(f"/v1/cases/i:{'0' * 32}/close", json={"reason": "no such"}).status_code == 404
        assert avi.post("/v1/cases", json={"title": "about 131052-308T"}).status_code == 422
        assert avi.post("/v1/cases", json={"title": "t", "colour": "red"}).status_code == 422
        assert avi.post(f"/v1/cases/{case_id}/close", json={"reason": " "}).status_code == 422
    assert [f.data["reason"] for f in server.facts("inspection.case_closed") if f.data["case"] == case_id] == [
        "the area corrected its access rights"]
    with server.client("dpo-hki") as dpo:  # the area's DPO reads, never writes
        assert case_id in [c["case"] for c in dpo.get("/v1/cases").json()]
        assert dpo.get(f"/v1/cases/{case_id}").status_code == 200
        assert dpo.post("/v1/cases", json={"title": "mine"}).status_code == 403
        assert dpo.post(f"/v1/cases/{case_id}/notes", json={"note": "not mine to write"}).status_code == 403
    with server.client("dpo-te") as dpo_te:
        assert dpo_te.get(f"/v1/cases/{case_id}").status_code == 403
        assert case_id not in [c["case"] for c in dpo_te.get("/v1/cases").json()]
    for who in ("area-hki", "appeals", "ingest"):
        with server.client(who) as other:
            assert other.get("/v1/cases").status_code == 403
            assert other.post(f"/v1/cases/{case_id}/close", json={"reason": "x"}).status_code == 403
    with server.client() as nobody:
        assert nobody.get("/v1/cases").status_code == 401
    with _web(server, "avi") as web:  # closed in the web list and on the case's page
        row = re.search(rf'<tr data-case="{case_id}">.*?</tr>', web.get("/cases").text, re.S)
        assert row is not None and 'class="closed"' in row[0]
        page = web.get(f"/cases/{case_id}").text
        assert 'id="closed"' in page and "the area corrected its access rights" in page
        assert 'id="note-form"' not in page and 'id="close-form"' not in page
        assert web.post(f"/cases/{case_id}/notes", data={"note": "too late"}).status_code == 409


def test_a_case_closed_on_the_web_page_and_one_opened_by_the_cli_are_one_set_of_cases(scenario_server: LiveServer):
    server = scenario_server
    with _web(server, "avi") as web:
        created = web.post("/cases", data={"title": "closed from the web page", "org": "area:espoo"})
        url = created.headers["location"]
        assert 'id="close-form"' in web.get(url).text
        assert web.post(f"{url}/close", data={"reason": " "}).status_code == 422
        assert web.post(f"{url}/close", data={"reason": "nothing to pursue"}).status_code == 303
    case_id = url.rsplit("/", 1)[1]
    shown = server.cli("cases", "show", case_id, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["case"]["closed"]["reason"] == "nothing to pursue"
    opened = server.cli("cases", "open", "--title", "opened from the command line", "--org", "area:espoo",
                        "--as", "u:avi-inspector", "--format", "json")
    assert opened.returncode == 0, opened.stderr
    cli_case = json.loads(opened.stdout)["case"]
    with server.client("avi") as avi:
        listed = {c["case"]: c for c in avi.get("/v1/cases").json()}
    assert listed[cli_case]["title"] == "opened from the command line" and listed[cli_case]["closed"] is None
    assert listed[case_id]["closed"]["by"] == "u:avi-inspector"
