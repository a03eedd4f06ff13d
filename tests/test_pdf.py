"""``service/pdf.py``: A4, Finnish and Swedish letters kept, nothing fetched from elsewhere."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf

from service.pdf import html_to_pdf


def test_a_report_is_an_a4_pdf_that_keeps_its_letters_and_loads_nothing_from_elsewhere(tmp_path: Path):
    sheet = tmp_path / "sheet.css"
    sheet.write_text('p::after { content: "FETCHED"; }', encoding="utf-8")
    pdf = html_to_pdf(f'<html><head><link rel="stylesheet" href="{sheet.as_uri()}"></head>'
                      "<body><p>Äänestys, Åsa Öberg – självrättelse</p></body></html>")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert [round(float(v)) for v in reader.pages[0].mediabox.upper_right] == [595, 842]
    text = reader.pages[0].extract_text()
    assert "Äänestys, Åsa Öberg – självrättelse" in text and "FETCHED" not in text
