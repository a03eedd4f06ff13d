"""The web UI in a real browser: Debian's headless Chromium driven by Playwright, never a downloaded one.

An AVI inspector logs in, opens the risk ranking, drills into an area and reviews a finding —
with JavaScript switched off, since the essentials must work without it; a DPO asks who viewed a
person. Screenshots go to ``test-artifacts/``. Without a working Chromium at /usr/bin/chromium
these tests skip with a one-line reason — and fail under ``CI=true`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.http.harness import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
    except Error as e:
        playwright.stop()
        _unavailable(f"Chromium at {CHROMIUM} does not start: {str(e).strip().splitlines()[0]}")
    ARTIFACTS.mkdir(exist_ok=True)
    yield launched
    launched.close()
    playwright.stop()


def _log_in(page: Any, server: LiveServer, who: str) -> None:
    page.goto(server.url + "/")
    assert page.url.endswith("/login")
    page.fill("#token", server.tokens[who])
    page.click("form[action='/login'] button[type=submit]")


def test_an_inspector_ranks_the_areas_drills_into_one_and_reviews_a_finding_without_javascript(
        browser: Any, sqlite_scenario_server: LiveServer):
    server = sqlite_scenario_server
    context = browser.new_context(java_script_enabled=False, locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/login")
    page.screenshot(path=str(ARTIFACTS / "01-login.png"))
    _log_in(page, server, "avi")
    assert page.url.endswith("/ranking")
    assert page.locator("#ranking tbody tr").count() == 2
    assert page.locator("svg.chart rect").count() > 0
    page.screenshot(path=str(ARTIFACTS / "02-ranking.png"), full_page=True)

    page.click("#ranking a:text-is('Helsinki')")
    assert page.url.endswith("/areas/area:helsinki")
    assert "Helsinki" in page.locator("h1").inner_text()
    assert page.locator("#risk rect").count() == 8
    page.screenshot(path=str(ARTIFACTS / "03-area.png"), full_page=True)

    row = page.locator("tr", has_text="ACCESS_OWN_RECORD").filter(has=page.locator("form.review"))
    row.locator("input[name=note]").fill("Viewed own record; referred to the DPO")
    row.locator("button[value=violation]").click()
    assert "reviewed=" in page.url
    assert "recorded in the ledger" in page.locator(".flash").inner_text()
    reviewed = page.locator("tr", has_text="ACCESS_OWN_RECORD").filter(has=page.locator("form.review"))
    assert "violation by u:avi-inspector" in reviewed.locator(".review-list").inner_text()
    page.screenshot(path=str(ARTIFACTS / "04-reviewed.png"), full_page=True)
    context.close()


def test_a_dpo_sees_who_viewed_a_person_after_giving_a_purpose(browser: Any, sqlite_scenario_server: LiveServer):
    server = sqlite_scenario_server
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _log_in(page, server, "dpo-hki")
    page.click("header a:text-is('Who viewed this person')")
    page.fill("input[name=subject]", "c:a6")
    page.click("form.filters button[type=submit]")
    assert page.locator("#views").count() == 0  # the browser keeps a form without its purpose
    page.fill("input[name=purpose]", "complaint 2026/7 of the customer")
    page.click("form.filters button[type=submit]")
    assert page.locator("#views tbody tr", has_text="u:hki-1").count() >= 1
    assert page.locator("#asked tbody tr", has_text="complaint 2026/7").count() == 1
    page.screenshot(path=str(ARTIFACTS / "05-who-viewed.png"), full_page=True)

    page.locator("#views a", has_text="c:a6").first.click()  # on to the customer's dossier
    assert page.locator("input[name=customer]").input_value() == "c:a6"
    page.fill("input[name=purpose]", "complaint 2026/7 of the customer")
    page.click("form.filters button[type=submit]")
    events = page.locator("#timeline tbody tr[data-event]").count()
    assert events > 0 and page.locator("#timeline td.status", has_text="✓ proven").count() == events
    assert "are proven included in the signed checkpoint" in page.locator("#integrity").inner_text()
    page.screenshot(path=str(ARTIFACTS / "05b-dossier.png"), full_page=True)

    page.click("header a:text-is('Findings')")
    orgs = {cell.strip() for cell in page.locator("table tbody tr td:nth-child(3)").all_inner_texts()}
    assert orgs == {"area:helsinki"}
    page.screenshot(path=str(ARTIFACTS / "06-dpo-findings.png"), full_page=True)
    context.close()
