"""AVI's inspection cases over real HTTP: opened from a selection of findings, listed, reopened and
noted; stored as the ledger's own facts; read-only for a DPO of the area, refused to others."""

from __future__ import annotations

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
