"""The printable supervision report draws every area's bars on one scale (issue 19 item 9): a
finding is as wide in one area as in another, so the areas compare at a glance."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import Cli
from tests.factories import write_jsonl
from tests.scenarios import EVENTS


def test_one_finding_is_as_wide_in_every_area(cli: Cli, tmp_path: Path):
    cli("init", check=0)
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    out = tmp_path / "report.html"
    cli("supervision", "--format", "html", "--out", str(out), "--lang", "en", check=0)
    html = out.read_text()
    widths: dict[int, set[float]] = {}
    for area in html.split('<div class="area">')[1:]:
        for width, n in re.findall(r'<rect x="300" y="[\d.]+" width="([\d.]+)" height="13"[^>]*></rect>\s*'
                                   r'<text[^>]*>(\d+)</text>', area):
            widths.setdefault(int(n), set()).add(round(float(width) / int(n), 1))
    assert widths, "no bars drawn"
    per_finding = set().union(*widths.values())
    assert len(per_finding) == 1, widths  # the same width per finding in every area and rule
