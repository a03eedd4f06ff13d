"""The web UI without a browser: sessions, cookie flags, forms that work without JavaScript.

These clients ask for English (``Accept-Language: en``); tests/http/test_languages.py covers fi and sv."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.http.harness import LiveServer


@contextmanager
def _logged_in(server: LiveServer, who: str) -> Iterator[httpx.Client]:
    with server.client(follow_redirects=False) as client:
        client.headers["Accept-Language"] = "en"
        response = client.post("/login", data={"token": server.tokens[who]})
        assert response.status_code == 303, response.text
        yield client


def test_pages_need_a_session_and_the_cookie_is_httponly_and_samesite_strict(scenario_server: LiveServer):
    with scenario_server.client(follow_redirects=False) as client:
        for path in ("/", "/ranking", "/findings", "/who-viewed", "/areas/area:helsinki"):
            response = client.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/login", path
        assert client.post("/login", data={"token": "lkk_nope"}).status_code == 401
        response = client.post("/login", data={"token": scenario_server.tokens["avi"]})
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert scenario_server.tokens["avi"].lower() not in cookie
        assert client.get("/").headers["location"] == "/ranking"
        assert client.post("/logout").status_code == 303
        assert client.get("/ranking").status_code == 303


def test_pages_render_for_their_roles_with_a_strict_content_security_policy(scenario_server: LiveServer):
    with _logged_in(scenario_server, "avi") as client:
        ranking = client.get("/ranking")
        assert ranking.status_code == 200 and "Helsinki" in ranking.text and "<svg" in ranking.text
        assert "script-src" not in ranking.headers["content-security-policy"]
        assert "<script" not in ranking.text
        area = client.get("/areas/area:helsinki")
        assert area.status_code == 200 and "ACCESS_OWN_RECORD" in area.text and 'name="verdict"' in area.text
        assert client.get("/areas/area:nowhere").status_code == 404
        assert client.get("/ranking", params={"since": "not a date"}).status_code == 422
        report = client.get("/ranking/report")
        assert report.status_code == 200 and report.text.startswith("<!doctype html>")
        filtered = client.get("/findings", params={"rule": "ACCESS_BULK", "severity": "", "org": ""})
        assert filtered.status_code == 200 and filtered.text.count('<tr id="f:') == 2
    with _logged_in(scenario_server, "area-hki") as client:
        assert client.get("/").headers["location"] == "/who-viewed"
        assert client.get("/ranking").status_code == 403


def test_who_viewed_needs_a_purpose_and_records_the_query_before_showing_it(scenario_server: LiveServer):
    with _logged_in(scenario_server, "dpo-hki") as client:
        missing = client.post("/who-viewed", data={"subject": "c:a6", "purpose": ""})
        assert missing.status_code == 422 and "purpose" in missing.text
        shown = client.post("/who-viewed", data={"subject": "c:a6", "hetu": "", "purpose": "web form test"})
        assert shown.status_code == 200 and "u:hki-1" in shown.text and "web form test" in shown.text
        assert "Complete up to checkpoint" in shown.text  # the subject index proves no view is left out
        refused = client.post("/who-viewed", data={"subject": "c:b05", "purpose": "web refusal test"})
        assert refused.status_code == 403
    queried = {f.data["purpose"]: f for f in scenario_server.facts("ledger.queried")}
    assert queried["web form test"].actor == "u:dpo-hki" and queried["web form test"].data["via"] == "web"
    assert queried["web refusal test"].data["refused"] is True


def test_a_review_form_records_the_verdict_and_returns_to_the_page(scenario_server: LiveServer):
    with _logged_in(scenario_server, "avi") as client:
        page = client.get("/findings", params={"rule": "ACCESS_OWN_RECORD"}).text
        finding = page.split('<tr id="', 1)[1].split('"', 1)[0]
        response = client.post(f"/findings/{finding}/review", data={
            "verdict": "justified", "note": "the official's own record, viewed on request", "next": "//evil.example/"})
        assert response.status_code == 303 and response.headers["location"].startswith("/findings?reviewed=")
        back = client.get(response.headers["location"])
        assert "recorded in the ledger" in back.text and "the official&#39;s own record" in back.text
        assert client.post(f"/findings/{finding}/review", data={"verdict": "justified"}).status_code == 422


def test_the_findings_page_pages_with_a_next_link_that_keeps_the_filters(scenario_server: LiveServer):
    import html
    import re

    with _logged_in(scenario_server, "avi") as client:
        everything = client.get("/findings").text
        total = int(re.search(r'data-total="(\d+)"', everything).group(1))  # type: ignore[union-attr]
        shown: list[str] = []
        url: str | None = "/findings?severity=high&limit=3"
        while url is not None:
            page = client.get(url)
            assert page.status_code == 200, page.text
            rows = re.findall(r'<tr id="(f:[0-9a-f]+)"', page.text)
            assert 0 < len(rows) <= 3
            shown += rows
            found = re.search(r'<a class="next" rel="next" href="([^"]+)"', page.text)
            url = html.unescape(found.group(1)) if found else None
            assert url is None or ("severity=high" in url and "after=" in url)
        high = client.get("/findings", params={"severity": "high"}).text
    assert total > len(shown) > 3
    assert shown == re.findall(r'<tr id="(f:[0-9a-f]+)"', high)  # the pages make the one-page list
