"""Rendering answers: JSON (orjson) for the API, jinja2 pages for the web UI."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader

from ledger.events import Rule
from policies.verdicts import RULES
from service import i18n
from service.http.auth import session_principal
from service.labels import N_, SEVERITY_COLOURS

K = TypeVar("K")

NAV = [("/ranking", N_("Risk ranking"), ("avi", "dpo")), ("/findings", N_("Findings"), ("avi", "dpo")),
       ("/who-viewed", N_("Who viewed this person"), ("avi", "dpo", "area-user", "appeals")),
       ("/dossier", N_("Dossier"), ("avi", "dpo", "area-user", "appeals")),
       ("/cases", N_("Inspection cases"), ("avi", "dpo"))]
LANG_COOKIE_DAYS = 365


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
def environment(lang: str = i18n.DEFAULT) -> Environment:
    """The web UI's templates (``service/templates/web/``) in ``lang``, autoescaped."""
    return i18n.environment(
        PackageLoader("service", "templates/web"), lang,
        severity_colour=SEVERITY_COLOURS,
        rule_severity={r.value: RULES[r].severity.value for r in Rule},
        rules=[r.value for r in Rule],
    )


def request_language(request: Request) -> str:
    """The language of this request (``service/i18n.py``: ``?lang=``, cookie, Accept-Language, fi)."""
    return i18n.negotiate(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE),
                          request.headers.get("accept-language"))


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of the web UI in the request's language; the caller (if logged in), the navigation and
    the language switcher's links are always in its context. A ``?lang=`` choice is kept in a cookie."""
    principal = context.pop("principal", None) or session_principal(request)
    lang = request_language(request)
    nav = [(href, label) for href, label, roles in NAV if principal is not None and principal.role in roles]
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("reviewed", "lang")]
    here = request.url.path + (f"?{urlencode(kept)}" if kept else "")  # where a form on the page comes back to
    switch = {code: f"{request.url.path}?{urlencode([*kept, ('lang', code)])}" for code in i18n.LANGUAGES}
    html = environment(lang).get_template(template).render(principal=principal, nav=nav, path=request.url.path,
                                                           here=here, switch=switch, **context)
    response = html_response(html, status)
    response.headers["Content-Language"] = lang
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, request.query_params["lang"], max_age=LANG_COOKIE_DAYS * 86400, path="/",
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


#: pages are self-contained: inline styles and SVG, forms posting to this site, no scripts at all
PAGE_HEADERS = {
    "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def html_response(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
