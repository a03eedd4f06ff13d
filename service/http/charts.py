"""Geometry of the inline SVG charts (no JavaScript, no external files): findings per month, and
horizontal bars of findings per group (official, rule) on one shared scale."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from policies.localtime import wall_clock
from service.labels import SEVERITY_COLOURS

SEVERITIES = ("high", "medium", "low")
COLOURS = SEVERITY_COLOURS


MAX_MONTHS = 240
"""The longest period drawn month by month (twenty years); past it only the months with findings
are drawn — a fact at the edge of time (year 1 or 9999) would otherwise ask for 120,000 bars."""


def _months(first: str, last: str, found: set[str]) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last``, so that empty months show as zero; for a period
    longer than :data:`MAX_MONTHS`, the ``found`` months and the two bounds only."""
    year, month = int(first[:4]), int(first[5:7])
    if (int(last[:4]) - year) * 12 + int(last[5:7]) - month >= MAX_MONTHS:
        return sorted({first, last} | found)
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def local_month(value: str | None) -> str | None:
    """The Helsinki ``YYYY-MM`` of an RFC 3339 time or a date (a period's bound), or None."""
    if not value:
        return None
    t = datetime.fromisoformat(value)
    local = wall_clock(t) if t.tzinfo is not None else t
    return f"{local.year:04d}-{local.month:02d}"  # strftime writes year 1 as "1"


def nice_scale(largest: int, *, most_ticks: int = 5) -> tuple[int, int]:
    """The axis maximum and tick step for counts up to ``largest``: a step of 1, 2 or 5 × 10ⁿ (the
    smallest giving at most ``most_ticks`` steps), the maximum the first step at or above ``largest``."""
    largest, step = max(largest, 1), 1
    while -(-largest // step) > most_ticks:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2  # 1 → 2 → 5 → 10 → 20 → 50 → …
    return -(-largest // step) * step, step


def monthly_bars(counts: dict[str, dict[str, int]], *, period: tuple[str | None, str | None] = (None, None),
                 plot_height: int = 160, width: int = 760) -> dict[str, Any]:
    """Stacked bars by severity for ``{"YYYY-MM": {severity: n}}``: one bar for every month of
    ``period`` (its bounds as RFC 3339 times or dates; the data's own months widen it), zero where
    nothing was found, all on one linear scale (``per_finding`` pixels per finding) whose maximum and
    ticks are labelled; ``bars`` is empty without any finding."""
    if not counts:
        return {"bars": [], "width": 0, "height": 0}
    bounds = [m for m in (local_month(period[0]), local_month(period[1])) if m]
    months = _months(min([*bounds, *counts]), max([*bounds, *counts]), set(counts))
    top, step = nice_scale(max(sum(c.values()) for c in counts.values()))
    left, right, top_margin, bottom = 44, 8, 22, 36
    base, slot = top_margin + plot_height, (width - left - right) / len(months)
    bar = round(min(40.0, slot * 0.72), 2)
    per_finding = plot_height / top
    every = max(1, int(-(-36 // slot)))  # a month label needs about 36 px
    bars = []
    for i, month in enumerate(months):
        x, y, segments = round(left + i * slot + (slot - bar) / 2, 2), float(base), []
        for severity in SEVERITIES:
            n = counts.get(month, {}).get(severity, 0)
            if n:
                y -= n * per_finding
                segments.append({"severity": severity, "n": n, "y": round(y, 2), "h": round(n * per_finding, 2),
                                 "colour": COLOURS[severity]})
        bars.append({"month": month, "x": x, "mid": round(x + bar / 2, 2), "total": sum(counts.get(month, {}).values()),
                     "segments": segments, "label_y": round(y - 4, 1),
                     "labelled": i % every == 0, "year_shown": i == 0 or month.endswith("-01")})
    ticks = [{"n": n, "y": round(base - n * per_finding, 2)} for n in range(0, top + 1, step)]
    return {"bars": bars, "bar": bar, "top": top, "ticks": ticks, "base": base, "left": left,
            "right": width - right, "width": width, "height": base + bottom, "per_finding": round(per_finding, 4)}


def group_bars(groups: dict[str, dict[str, int]], *, top: int, bar: int = 16, gap: int = 6, left: int = 230,
               plot_width: int = 360) -> dict[str, Any]:
    """Horizontal bars stacked by severity for ``{label: {severity: n}}`` in the given order, on the
    scale ``top`` (share it between charts so that their bars compare); ``rows`` empty without data."""
    if not groups:
        return {"rows": [], "width": 0, "height": 0}
    top = max(top, 1)
    rows = []
    for i, (label, counts) in enumerate(groups.items()):
        y, x, segments = 4 + i * (bar + gap), float(left), []
        for severity in SEVERITIES:
            n = counts.get(severity, 0)
            if n:
                w = max(1.0, round(plot_width * n / top, 1))
                segments.append({"severity": severity, "n": n, "x": round(x, 1), "w": w, "colour": COLOURS[severity]})
                x += w
        rows.append({"label": label, "y": y, "total": sum(counts.values()), "segments": segments,
                     "text_y": y + bar - 4, "total_x": round(x + 4, 1)})
    return {"rows": rows, "bar": bar, "left": left, "top": top, "width": left + plot_width + 40,
            "height": 8 + len(rows) * (bar + gap)}


def shared_top(*groupings: dict[str, dict[str, int]]) -> int:
    """The largest group total of all ``groupings``: one scale for charts shown side by side."""
    return max((sum(c.values()) for g in groupings for c in g.values()), default=0)
