"""Reviews over real HTTP: a justified finding stops counting toward its area's risk; the findings
page and its CSV filter by review state; the area page groups findings by official and by rule."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.http.conftest import ingest_scenario, store_url
from tests.http.harness import LiveServer, ServerPool


@pytest.fixture
def review_server(backend: str, server_pool: ServerPool, request: pytest.FixtureRequest) -> LiveServer:
    """The scenario on a server of its own: these tests record reviews, which move the ranking."""
    folder = server_pool.root / f"{backend}-review-store"
    return server_pool.get(backend, "reviews", lambda: store_url(backend, request, folder), ingest_scenario)


@contextmanager
def _web(server: LiveServer, who: str = "avi") -> Iterator[httpx.Client]:
    with server.client(follow_redirects=False) as client:
        client.headers["Accept-Language"] = "en"
        assert client.post("/login", data={"token": server.tokens[who]}).status_code == 303
        yield client


def _areas(server: LiveServer) -> dict[str, dict]:
    with server.client("avi") as api:
        response = api.get("/v1/supervision")
    assert response.status_code == 200, response.text
    return {a["org"]: a for a in response.json()["areas"]}


def _total(page: str) -> int:
    return int(re.search(r'data-total="(\d+)"', page).group(1))  # type: ignore[union-attr]


def test_reviewing_all_of_an_areas_findings_justified_lowers_its_score_and_rank(review_server: LiveServer):
    before = _areas(review_server)
    top = next(org for org, a in before.items() if a["rank"] == 1)
    other = next(org for org in before if org != top)
    assert before[top]["risk"]["overall"] >= before[other]["risk"]["overall"] > 0
    with review_server.client("avi") as api:
        found = api.get("/v1/findings", params={"org": top}).json()
    with _web(review_server) as client:
        for f in found:
            response = client.post(f"/findings/{f['finding']}/review",
                                   data={"verdict": "justified", "note": "lawful on inspection", "next": "/findings"})
            assert response.status_code == 303, response.text
        after = _areas(review_server)
        assert after[top]["risk"]["overall"] < before[top]["risk"]["overall"]
        assert after[top]["rank"] == 2 and after[other]["rank"] == 1
        assert after[top]["findings"] == before[top]["findings"]  # the findings are still there
        assert {**after[other], "rank": 0} == {**before[other], "rank": 0}
        assert set(after[top]) == set(before[top])  # the contract's shape
        justified = client.get("/findings", params={"org": top, "review": "justified"}).text
        assert _total(justified) == len(found)
        assert _total(client.get("/findings", params={"org": top, "review": "unreviewed"}).text) == 0
        assert _total(client.get("/findings", params={"org": top, "review": "violation"}).text) == 0
        assert client.get("/findings", params={"review": "maybe"}).status_code == 422
        assert f"Reviewed: {len(found)} justified, 0 violation" in client.get(f"/areas/{top}").text
        assert f"Reviewed: {len(found)} justified, 0 violation" in client.get("/ranking/report").text
        assert 'href="/findings.csv?org=' in justified
        download = client.get("/findings.csv", params={"org": top, "review": "justified"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert sorted(r["finding"] for r in rows) == sorted(f["finding"] for f in found)
    assert {(r["review"], r["reviewer"], r["review_note"]) for r in rows} == {
        ("justified", "u:avi-inspector", "lawful on inspection")}


def test_the_area_page_groups_its_findings_by_official_and_by_rule_on_one_scale(review_server: LiveServer):
    with review_server.client("avi") as api:
        found = api.get("/v1/findings", params={"org": "area:helsinki"}).json()
    per_official: dict[str, int] = {}
    for f in found:
        per_official[f["user"] or ""] = per_official.get(f["user"] or "", 0) + 1
    with _web(review_server) as client:
        page = client.get("/areas/area:helsinki").text
    assert 'id="chart-by-official"' in page and 'id="chart-by-rule"' in page
    assert "the longest bar is" in page
    rows = re.findall(r'<tr data-official="([^"]*)"><td>.*?</td>\s*<td class="num">(\d+)</td>', page, re.S)
    assert {u: int(n) for u, n in rows} == per_official
    assert [int(n) for _, n in rows] == sorted(per_official.values(), reverse=True)
    with _web(review_server, "dpo-te") as client:  # not in scope: aggregates only, no officials named
        assert 'id="chart-by-official"' not in client.get("/areas/area:helsinki").text
