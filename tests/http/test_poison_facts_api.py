"""A served store that already holds facts at the edges of time (written before ingest checked
valid time) answers every route, on both backends (issue 17, item 1)."""

from __future__ import annotations

import pytest

from tests.e2e.test_poison_facts import POISON, store_unchecked
from tests.factories import ev
from tests.http.conftest import ingest_scenario, store_url
from tests.http.harness import LiveServer, ServerPool


@pytest.fixture
def poisoned_server(backend: str, server_pool: ServerPool, request: pytest.FixtureRequest) -> LiveServer:
    def setup(server: LiveServer) -> None:
        ingest_scenario(server)
        store_unchecked(server.db, server.keys, POISON)

    folder = server_pool.root / f"{backend}-poison-store"
    return server_pool.get(backend, "poison", lambda: store_url(backend, request, folder), setup)


def test_every_route_answers_over_facts_at_the_edges_of_time(poisoned_server: LiveServer) -> None:
    later = ev("record.viewed", "2022-01-11T10:00:00+02:00", "u:hki-1", subject="c:a1",
               purpose="service_guidance", categories=["identity"])
    with poisoned_server.client("ingest") as client:
        response = client.post("/v1/events", json=[later])
        assert response.status_code == 200, response.text
    with poisoned_server.client("avi") as client:
        findings = client.get("/v1/findings")
        assert findings.status_code == 200, findings.text
        assert {POISON[0]["id"], POISON[1]["id"]} <= {f["event"] for f in findings.json()}
        for path, params in (("/v1/findings", {"limit": 10}), ("/v1/supervision", {}), ("/v1/monitoring", {}),
                             ("/v1/dossier/c:a1", {"purpose": "appeal 2026/4"}),
                             ("/v1/access-log", {"user": "u:hki-1", "purpose": "audit 2026/5"})):
            response = client.get(path, params=params)
            assert response.status_code == 200, (path, response.text)
    with poisoned_server.client(follow_redirects=False) as browser:
        assert browser.post("/login", data={"token": poisoned_server.tokens["avi"]}).status_code == 303
        for page in ("/ranking", "/findings", "/areas/area:helsinki"):
            response = browser.get(page)
            assert response.status_code == 200, (page, response.text[:300])
