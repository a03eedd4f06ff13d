"""Printable documents: an html report or letter rendered to an A4 PDF with WeasyPrint.

The html is the same translated template the CLI writes (``service/templates/``); a print style
sheet sets the page (A4, margins, page numbers) and fonts that cover Finnish and Swedish letters
(DejaVu, Liberation or Noto, whichever the machine has). WeasyPrint needs Pango
(``libpango-1.0-0``, ``libpangoft2-1.0-0``): it is imported on first use, so the rest of the CLI
and the server never depend on it.
"""

from __future__ import annotations

import importlib
import warnings
from functools import cache
from typing import Any

PDF_TYPE = "application/pdf"
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #5a6478; } }
html, body { font-family: "DejaVu Sans", "Liberation Sans", "Noto Sans", sans-serif; }
body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
table { font-size: 8pt; page-break-inside: auto; } tr { page-break-inside: avoid; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 7pt; }
header { display: flex; }
"""


@cache
def _weasyprint() -> Any:
    with warnings.catch_warnings():  # "HarfBuzz-Subset will be required by future versions": not yet
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module("weasyprint")


def html_to_pdf(html: str) -> bytes:
    """``html`` (self-contained: inline styles, no external resources) as A4 PDF bytes."""
    weasyprint = _weasyprint()
    # reports are self-contained: nothing is fetched from the network or the disk, data: URLs only
    fetcher = importlib.import_module("weasyprint.urls").URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
    return bytes(document.write_pdf(stylesheets=[weasyprint.CSS(string=PRINT_CSS)]))
