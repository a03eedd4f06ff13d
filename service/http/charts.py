"""Geometry of the inline SVG charts (no JavaScript, no external files): findings per month, and
horizontal bars of findings per group (official, rule) on one shared scale."""

from __future__ import annotations

from typing import Any

from service.labels import SEVERITY_COLOURS

SEVERITIES = ("high", "medium", "low")
COLOURS = SEVERITY_COLOURS


def _months(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last``, so that empty months show as gaps."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def monthly_bars(counts: dict[str, dict[str, int]], *, plot_height: int = 160, bar: int = 34,
                 gap: int = 10) -> dict[str, Any]:
    """Stacked bars by severity for ``{"YYYY-MM": {severity: n}}``; ``bars`` is empty without data."""
    if not counts:
        return {"bars": [], "width": 0, "height": 0}
    months = _months(min(counts), max(counts))
    top = max(sum(c.values()) for c in counts.values()) or 1
    left, top_margin, bottom = 40, 16, 22
    base = top_margin + plot_height
    bars = []
    for i, month in enumerate(months):
        x, y, segments = left + i * (bar + gap), float(base), []
        for severity in SEVERITIES:
            n = counts.get(month, {}).get(severity, 0)
            if n:
                h = max(1.0, round(plot_height * n / top, 1))
                y -= h
                segments.append({"severity": severity, "n": n, "y": round(y, 1), "h": h,
                                 "colour": COLOURS[severity]})
        total = sum(counts.get(month, {}).values())
        bars.append({"month": month, "x": x, "total": total, "segments": segments, "label_y": round(y - 4, 1)})
    return {"bars": bars, "bar": bar, "top": top, "base": base, "top_margin": top_margin, "left": left,
            "width": left + len(months) * (bar + gap), "height": base + bottom}


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
