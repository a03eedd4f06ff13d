"""Geometry of the inline SVG charts (no JavaScript, no external files): findings per month."""

from __future__ import annotations

from typing import Any

SEVERITIES = ("high", "medium", "low")
COLOURS = {"high": "#b3261e", "medium": "#d98b1f", "low": "#7d8aa3"}


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
