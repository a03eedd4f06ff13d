"""The layout from 1,024 px up (issue 19 item 9): on the main pages no table is wider than its
container or the window, the page never scrolls sideways, and every review button is shown inside
the window — in Debian's headless Chromium, in Finnish, Swedish and English."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.harness import LiveServer
from tests.http.test_browser import _log_in, browser  # noqa: F401  (the shared Chromium fixture)

#: measured in the page: what sticks out, as sentences (empty: the layout fits)
OVERFLOWS = """() => {
  const width = window.innerWidth, out = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) out.push(`the page is ${page} px wide in a ${width} px window`);
  for (const table of document.querySelectorAll("table")) {
    const t = table.getBoundingClientRect(), parent = table.parentElement, css = getComputedStyle(parent);
    const inside = parent.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight);
    const name = table.id || table.querySelector("th")?.textContent || "a table";
    if (t.width > inside + 0.5) out.push(`table ${name} is ${t.width} px in a ${inside} px container`);
    if (t.right > width + 0.5) out.push(`table ${name} ends at ${t.right} px, beyond the ${width} px window`);
  }
  const buttons = [...document.querySelectorAll("form.review button")];
  const hidden = buttons.filter(b => !b.checkVisibility() || b.getBoundingClientRect().width === 0);
  const outside = buttons.filter(b => b.getBoundingClientRect().left < 0
                                      || b.getBoundingClientRect().right > width + 0.5);
  if (hidden.length) out.push(`${hidden.length} of ${buttons.length} review buttons are hidden`);
  if (outside.length) out.push(`${outside.length} of ${buttons.length} review buttons are outside the window`);
  return out;
}"""


def _open_pages(page: Any, server: LiveServer, lang: str) -> dict[str, list[str]]:
    """Each main page opened as AVI, with what overflows on it."""
    found: dict[str, list[str]] = {}
    for path in ("/ranking", "/areas/area:helsinki", "/findings"):
        page.goto(f"{server.url}{path}?lang={lang}")
        found[path] = page.evaluate(OVERFLOWS)
    assert page.locator("form.review button").count() > 0  # the findings list offers reviews
    for path, field, value, rows in (("/who-viewed", "subject", "c:a6", "#views tbody tr"),
                                     ("/dossier", "customer", "c:a1", "#timeline tbody tr[data-event]")):
        page.goto(f"{server.url}{path}?lang={lang}")
        page.fill(f"input[name={field}]", value)
        page.fill("input[name=purpose]", "layout check")
        page.click(f"form[action='{path}'] button[type=submit]")
        assert page.locator(rows).count() > 0
        found[path] = page.evaluate(OVERFLOWS)
    return found


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("width", [1024, 1400])
def test_no_table_overflows_and_every_review_button_shows_from_1024_px(
        browser: Any, sqlite_scenario_server: LiveServer, lang: str, width: int):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    _log_in(page, sqlite_scenario_server, "avi")
    found = _open_pages(page, sqlite_scenario_server, lang)
    context.close()
    problems = [f"{path}: {p}" for path, ps in found.items() for p in ps]
    assert not problems, "\n".join(problems)


def test_the_check_sees_an_overflowing_table(browser: Any, sqlite_scenario_server: LiveServer):  # noqa: F811
    """The measurement itself can fail: a table forced wider than the window is reported."""
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    _log_in(page, sqlite_scenario_server, "avi")
    page.goto(f"{sqlite_scenario_server.url}/findings")
    page.add_style_tag(content="table { min-width: 1500px; }")
    problems = page.evaluate(OVERFLOWS)
    context.close()
    assert any("is 1500 px in a" in p for p in problems) and any("the page is" in p for p in problems)
