"""The web UI in a real browser: Debian's headless Chromium driven by Playwright, never a downloaded one.

Each role's main task, clicked through in English, Finnish and Swedish (the texts asserted are the
catalogues' own): an AVI inspector ranks the areas, drills into one, reviews a finding and opens an
inspection case on the area's findings — with JavaScript switched off, since the essentials must
work without it; a DPO asks who viewed a person by personal identity code and downloads the
person's Art. 15 letter; the appeals body replays its customer's dossier as known at a date and
time; an area user asks who viewed one of the area's customers. A screenshot of each (role,
language) goes to pytest's tmp dir and must be a PNG. Without a working Chromium at
/usr/bin/chromium these tests skip with a one-line reason — and fail under ``CI=true``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from service import i18n, labels
from tests.http.harness import LiveServer
from tests.scenarios import OFFICIAL_HETU

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCALES = {"en": "en-GB", "fi": "fi-FI", "sv": "sv-FI"}
LANGS = pytest.mark.parametrize("lang", list(LOCALES))


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
    yield launched
    launched.close()
    playwright.stop()


def _log_in(page: Any, server: LiveServer, who: str) -> None:
    page.goto(server.url + "/")
    assert page.url.endswith("/login")
    page.fill("#token", server.tokens[who])
    page.click("form[action='/login'] button[type=submit]")


def _text(lang: str) -> Callable[..., str]:
    """The catalogue's text of a message id in ``lang`` (the id itself in English), formatted."""
    gettext = i18n.translations(lang).gettext
    return lambda message, **values: gettext(message) % values if values else gettext(message)


def _screenshot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _open(browser: Any, server: LiveServer, who: str, lang: str, **options: Any) -> Any:
    """A logged-in page of ``who`` whose browser asks for ``lang``."""
    context = browser.new_context(locale=LOCALES[lang], viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    _log_in(page, server, who)
    assert page.locator("html").get_attribute("lang") == lang
    return page


@LANGS
def test_an_inspector_ranks_the_areas_reviews_a_finding_and_opens_a_case_without_javascript(
        browser: Any, sqlite_scenario_server: LiveServer, lang: str, tmp_path: Path):
    server, t = sqlite_scenario_server, _text(lang)
    page = _open(browser, server, "avi", lang, java_script_enabled=False)
    assert page.url.endswith("/ranking")
    assert page.locator("h1").inner_text() == t("Risk ranking of the experiment areas")
    assert page.locator("#ranking tbody tr").count() == 2
    assert page.locator("svg.chart rect").count() > 0

    page.click("#ranking a:text-is('Helsinki')")
    assert page.url.split("?")[0].endswith("/areas/area:helsinki")
    assert "Helsinki" in page.locator("h1").inner_text()
    assert page.locator("#risk rect").count() == 8
    assert page.locator("h2", has_text=t("Findings by official and by rule")).count() == 1

    row = page.locator("tr", has_text="ACCESS_OWN_RECORD").filter(has=page.locator("form.review"))
    finding = row.get_attribute("id")
    row.locator("input[name=note]").fill(f"Viewed own record; referred to the DPO ({lang})")
    row.locator("button[value=violation]").click()
    assert "reviewed=" in page.url
    assert page.locator(".flash").inner_text() == t("Review of %(finding)s recorded in the ledger.", finding=finding)
    reviewed = page.locator(f"tr[id='{finding}'] .review-list").inner_text()
    assert labels.label("verdict", "violation", t) in reviewed and f"({lang})" in reviewed
    assert "u:avi-inspector" in reviewed

    page.click("a.save-case")
    assert page.locator("h1").inner_text() == t("New inspection case")
    page.fill("input[name=title]", f"Helsinki own-record views ({lang})")
    page.fill("textarea[name=note]", "start with the official who viewed their own record")
    page.click("#new-case button[type=submit]")
    assert "/cases/i:" in page.url
    assert page.locator("h1").inner_text().startswith(f"Helsinki own-record views ({lang})")
    assert page.locator("h2", has_text=t("The case's findings")).count() == 1
    assert page.locator("tr[id^='f:']").count() > 0
    _screenshot(page, tmp_path, f"avi-{lang}")
    page.context.close()


@LANGS
def test_a_dpo_sees_who_viewed_a_person_by_identity_code_and_downloads_the_letter(
        browser: Any, sqlite_scenario_server: LiveServer, lang: str, tmp_path: Path):
    server, t = sqlite_scenario_server, _text(lang)
    page = _open(browser, server, "dpo-hki", lang)
    page.click(f"header a:text-is('{t('Who viewed this person')}')")
    page.fill("input[name=hetu]", OFFICIAL_HETU)
    page.click("form.filters button[type=submit]")
    assert page.locator("#views").count() == 0  # the browser keeps a form without its purpose
    page.fill("input[name=purpose]", f"complaint 2026/7 of the customer ({lang})")
    page.click("form.filters button[type=submit]")
    assert page.locator("#views tbody tr", has_text="u:hki-1").count() >= 1
    assert page.locator("#asked tbody tr", has_text=f"complaint 2026/7 of the customer ({lang})").count() == 1
    assert OFFICIAL_HETU not in page.content()  # never echoed back
    assert page.locator("h2", has_text=t("Who asked the ledger about this person")).count() == 1
    _screenshot(page, tmp_path, f"dpo-{lang}")

    letter = page.locator("form[action='/letter'] button")
    assert letter.inner_text() == t("The data subject's letter (Art. 15) as PDF")
    with page.expect_download() as download:
        letter.click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"

    page.click(f"header a:text-is('{t('Findings')}')")
    orgs = {cell.strip() for cell in page.locator("table tbody tr td:nth-child(3)").all_inner_texts()}
    assert orgs == {"area:helsinki"}
    page.context.close()


@LANGS
def test_the_appeals_body_replays_its_customer_as_known_at_a_date_and_time(
        browser: Any, sqlite_scenario_server: LiveServer, lang: str, tmp_path: Path):
    server, t = sqlite_scenario_server, _text(lang)
    page = _open(browser, server, "appeals", lang)
    page.click(f"header a:text-is('{t('Dossier')}')")
    page.fill("input[name=customer]", "c:a1")
    known_at = datetime.now(ZoneInfo("Europe/Helsinki")) + timedelta(minutes=2)
    page.fill("input[name=known_at_time]", known_at.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=purpose]", "appeal 2026/88")
    page.click("form[action='/dossier'] button[type=submit]")
    assert page.locator("h1").inner_text() == t("Dispute dossier")
    events = page.locator("#timeline tbody tr[data-event]").count()
    assert events > 0 and page.locator("#timeline td.status.lo").count() == events  # every event proven
    assert page.locator("#integrity.flash").count() == 1
    assert page.locator("h2", has_text=t("Responsibility")).count() == 1
    _screenshot(page, tmp_path, f"appeals-{lang}")

    page.fill("input[name=customer]", "c:a2")  # not the appeal's customer: refused
    page.fill("input[name=purpose]", "appeal 2026/88")
    page.click("form[action='/dossier'] button[type=submit]")
    assert page.locator("#timeline").count() == 0
    page.context.close()


@LANGS
def test_an_area_user_sees_who_viewed_one_of_the_areas_customers(
        browser: Any, sqlite_scenario_server: LiveServer, lang: str, tmp_path: Path):
    server, t = sqlite_scenario_server, _text(lang)
    page = _open(browser, server, "area-hki", lang)
    assert page.url.endswith("/who-viewed")
    assert page.locator("h1").inner_text() == t("Who viewed this person")
    assert page.locator(f"header a:text-is('{t('Risk ranking')}')").count() == 0  # not the area's to see
    page.fill("input[name=subject]", "c:a6")
    page.fill("input[name=purpose]", f"customer asked who saw their data ({lang})")
    page.click("form.filters button[type=submit]")
    assert page.locator("#views tbody tr", has_text="u:hki-1").count() >= 1
    _screenshot(page, tmp_path, f"area-user-{lang}")
    page.context.close()
