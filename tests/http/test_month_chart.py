"""The "findings over time" chart (issue 19 item 9) over real HTTP: a bar for every month of the
period, zero where nothing was found, every bar on one scale whose maximum is labelled, a legend,
and the same figures as a table in the page's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from service.http.charts import local_month, monthly_bars, nice_scale
from tests.http.harness import LiveServer

SCENARIO_MONTHS = [f"2021-{m:02d}" for m in range(3, 13)]  # the scenario's first to last event
AUGUST = {"fi": "elokuu 2021", "sv": "augusti 2021", "en": "August 2021"}
LEGEND = {"fi": "vakava", "sv": "allvarlig", "en": "high"}


@contextmanager
def _avi(server: LiveServer, lang: str) -> Iterator[httpx.Client]:
    with server.client(follow_redirects=True) as client:
        assert client.post("/login", data={"token": server.tokens["avi"]}).status_code == 200
        client.params = client.params.set("lang", lang)
        yield client


def _chart(html: str) -> dict[str, object]:
    svg = re.search(r'<svg id="chart-months".*?</svg>', html, re.S)
    assert svg is not None, "no chart of findings over time"
    months = re.findall(r'<g class="month" data-month="([0-9-]+)" data-total="([0-9]+)"', svg[0])
    rects = [(float(h), int(n)) for h, n in re.findall(r'<rect [^>]*height="([0-9.]+)"[^>]*data-n="([0-9]+)"', svg[0])]
    return {"months": [m for m, _ in months], "totals": {m: int(t) for m, t in months}, "rects": rects,
            "axis_max": int(re.findall(r'class="axis-max">([0-9]+)<', svg[0])[0]), "svg": svg[0]}


def _every_month(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` (counted here, not by the code under test)."""
    n = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:])
    return [f"{int(first[:4]) + (int(first[5:]) - 1 + i) // 12:04d}-{(int(first[5:]) - 1 + i) % 12 + 1:02d}"
            for i in range(n + 1)]


def _one_scale(rects: list[tuple[float, int]]) -> None:
    """Every bar segment's height is its count times one factor (rounding to 0.01 px aside)."""
    per_finding = {round(h / n, 1) for h, n in rects}
    assert len(per_finding) == 1, f"bars on different scales: {sorted(per_finding)}"


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_the_ranking_chart_shows_every_month_on_one_labelled_scale(sqlite_scenario_server: LiveServer, lang: str):
    with _avi(sqlite_scenario_server, lang) as client:
        html = client.get("/ranking").text
    chart = _chart(html)
    # from the scenario's first month on, without a gap (other tests on this shared server may add
    # facts in later months)
    months: list[str] = chart["months"]  # type: ignore[assignment]
    assert months[: len(SCENARIO_MONTHS)] == SCENARIO_MONTHS
    assert months == _every_month(months[0], months[-1])
    assert chart["totals"]["2021-08"] == 0  # a month without findings is a bar of zero, not a gap
    august = re.search(r'<g class="month" data-month="2021-08"[^>]*>(.*?)</g>', str(chart["svg"]), re.S)
    assert august is not None and "<rect" not in august[1]
    _one_scale(chart["rects"])  # type: ignore[arg-type]
    largest = max(chart["totals"].values())  # type: ignore[union-attr]
    assert chart["axis_max"] == nice_scale(largest)[0] >= largest
    assert f"<td>{AUGUST[lang]}</td>" in html  # the table alternative, in the page's language
    assert 'aria-describedby="chart-months-table"' in html and 'id="chart-months-table"' in html
    legend = re.search(r'<p class="meta">(.*?)</p>\s*<svg id="chart-months"', html, re.S)
    assert legend is not None and LEGEND[lang] in legend[1]


def test_the_chart_spans_the_chosen_period_and_every_chart_keeps_one_scale_to_its_labelled_maximum(
        sqlite_scenario_server: LiveServer):
    with _avi(sqlite_scenario_server, "fi") as client:
        year = _chart(client.get("/ranking", params={"since": "2021-01-01", "until": "2022-02-28"}).text)
        espoo = _chart(client.get("/areas/area:espoo").text)
        helsinki = _chart(client.get("/areas/area:helsinki").text)
    assert year["months"] == ["2021-01", "2021-02", *SCENARIO_MONTHS, "2022-01", "2022-02"]
    assert year["totals"]["2021-01"] == 0 and year["totals"]["2022-02"] == 0
    for chart in (year, espoo, helsinki):
        assert chart["months"][0] <= "2021-03" and chart["months"][-1] >= "2021-12"
        _one_scale(chart["rects"])  # type: ignore[arg-type]
        rects: list[tuple[float, int]] = chart["rects"]  # type: ignore[assignment]
        assert round(sum(h for h, _ in rects) / sum(n for _, n in rects) * chart["axis_max"], 1) == 160.0


def test_a_period_from_the_edges_of_time_draws_only_the_months_with_findings() -> None:
    chart = monthly_bars({"0001-01": {"high": 1}, "2021-05": {"low": 2}, "9999-12": {"high": 1}},
                         period=("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"))
    assert [bar["month"] for bar in chart["bars"]] == ["0001-01", "2021-05", "9999-12"]
    assert local_month("0001-01-01T00:00:00Z") == "0001-01"  # not strftime's "1-01"
