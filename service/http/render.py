"""Rendering answers: JSON (orjson) for the API, jinja2 pages for the web UI."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from ledger.events import Rule
from policies.verdicts import RULES
from service.http.auth import session_principal

K = TypeVar("K")

SEVERITY_COLOURS = {"high": "#b3261e", "medium": "#d98b1f", "low": "#7d8aa3"}
NAV = [("/ranking", "Risk ranking", ("avi", "dpo")), ("/findings", "Findings", ("avi", "dpo")),
       ("/who-viewed", "Who viewed this person", ("avi", "dpo", "area-user")),
       ("/dossier", "Dossier", ("avi", "dpo", "area-user"))]


class JSONDocument(Response):
    """A JSON answer encoded by orjson (fast, and exact for the contract's strings)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(doc: Any, status: int = 200, *, headers: dict[str, str] | None = None) -> Response:
    return JSONDocument(doc, status_code=status, headers=headers)


def json_array(first: tuple[list[Any], K | None], following: Callable[[K], tuple[list[Any], K | None]]
               ) -> Iterator[bytes]:
    """The bytes of one JSON array of keyset pages: ``first`` is read already (so that a refusal or
    an error comes before the first byte), ``following(key)`` reads the page after ``key``; a page
    whose key is None is the last."""
    rows, key = first
    sep = b"["
    while True:
        if rows:
            yield sep + b",".join(orjson.dumps(r) for r in rows)
            sep = b","
        if key is None:
            break
        rows, key = following(key)
    yield b"]" if sep == b"," else b"[]"


@functools.cache
def environment() -> Environment:
    """The web UI's templates (``service/templates/web/``), autoescaped."""
    env = Environment(loader=PackageLoader("service", "templates/web"), autoescape=select_autoescape(["html", "j2"]))
    env.globals.update(
        severity_colour=SEVERITY_COLOURS,
        rule_severity={r.value: RULES[r].severity.value for r in Rule},
        rules=[r.value for r in Rule],
    )
    return env


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of the web UI; the caller (if logged in) and the navigation are always in its context."""
    principal = context.pop("principal", None) or session_principal(request)
    nav = [(href, label) for href, label, roles in NAV if principal is not None and principal.role in roles]
    kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "reviewed"])
    here = request.url.path + (f"?{kept}" if kept else "")  # where a form on the page comes back to
    html = environment().get_template(template).render(principal=principal, nav=nav, path=request.url.path,
                                                       here=here, **context)
    return html_response(html, status)


#: pages are self-contained: inline styles and SVG, forms posting to this site, no scripts at all
PAGE_HEADERS = {
    "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def html_response(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
