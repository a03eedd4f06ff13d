"""The error tree mapped to HTTP statuses — here only (STYLE.md: errors at the edge).

    401 Unauthenticated        no, an unknown or a revoked bearer token
    403 Refused                out of the caller's scope (recorded in the ledger first)
    404 UnknownSubject         no such finding, event, token…
    409 InvalidBatch (all conflicts), IntegrityFailure (the seal no longer matches the log)
    413 TooLarge               a batch over 10 MB or 10,000 events
    422 InvalidBatch, RequestValidationError, ValidationError, BadParameter: malformed input, per item / field
    400 UsageError             a well-formed request the ledger cannot answer (e.g. a tree size too large)
    409 CaseClosed             a note on, or a closing of, an inspection case already closed
    503 NotInitialised, KeyMismatch: the store or its keys are not usable;
        ReplicaUnavailable: the read replica cannot be read, or is further behind than
        --max-replica-lag after --replica-wait (ReplicaBehind); with Retry-After: 1
    500 anything else: one sentence; the traceback goes to the server's log, never to the caller

``/v1/…`` answers JSON ``{"detail": sentence, "errors"?: [{…}], "total"?: n}``; web pages answer
with an HTML page (and a redirect to the login page without a session).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from ledger.errors import (
    IntegrityFailure,
    KeyMismatch,
    LedgerError,
    NotInitialised,
    ReplicaUnavailable,
    UnknownSubject,
    UsageError,
)
from service.cases import CaseClosed
from service.http.actions import InvalidBatch, TooLarge
from service.http.auth import LoginRequired, Unauthenticated
from service.http.params import BadParameter
from service.http.render import json_response, page
from service.http.scope import Refused

log = logging.getLogger("lokikirja.http")

LEDGER_STATUSES: list[tuple[type[LedgerError], int]] = [
    (UnknownSubject, 404), (IntegrityFailure, 409), (NotInitialised, 503), (KeyMismatch, 503), (CaseClosed, 409),
    (UsageError, 400),
]


def _answer(request: Request, status: int, detail: str, **extra: Any) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if request.url.path.startswith("/v1/") or request.url.path == "/v1":
        return json_response({"detail": detail, **extra}, status, headers=headers)
    return page(request, "error.html.j2", status=status, status_code=status, detail=detail, **extra)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


async def _invalid(request: Request, e: Exception) -> Response:
    assert isinstance(e, RequestValidationError | ValidationError)
    errors = [{"field": _field(err.get("loc", ())),
               "message": str(err.get("msg", "is not valid")).removeprefix("Value error, ")} for err in e.errors()]
    return _answer(request, 422, "the request is not valid", errors=errors)


async def _bad_parameter(request: Request, e: Exception) -> Response:
    assert isinstance(e, BadParameter)
    return _answer(request, 422, "the request is not valid", errors=[{"field": e.field, "message": e.message}])


async def _invalid_batch(request: Request, e: Exception) -> Response:
    assert isinstance(e, InvalidBatch)
    return _answer(request, e.status, str(e), errors=e.items, total=e.total)


async def _http(request: Request, e: Exception) -> Response:
    assert isinstance(e, HTTPException)
    return _answer(request, e.status_code, str(e.detail))


async def _login(request: Request, e: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


async def _refused(request: Request, e: Exception) -> Response:
    return _answer(request, 403, f"{e} (the refusal was recorded in the ledger)")


async def _ledger(request: Request, e: Exception) -> Response:
    status = next((s for cls, s in LEDGER_STATUSES if isinstance(e, cls)), 400)
    return _answer(request, status, str(e))


async def _replica_unavailable(request: Request, e: Exception) -> Response:
    response = _answer(request, 503, str(e))
    response.headers["Retry-After"] = "1"  # streaming replication catches up in moments when it is moving
    return response


async def _internal(request: Request, e: Exception) -> Response:
    # the route's template, never the path: a path can carry personal data (service/logs.py)
    route = getattr(request.scope.get("route"), "path", None) or "(unmatched)"
    log.error("internal error on %s %s", request.method, route, exc_info=e,
              extra={"event": "http.internal_error", "fields": {"method": request.method, "route": route}})
    return _answer(request, 500, f"internal error ({type(e).__name__}); the server's log has the details")


def _plain(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, e: Exception) -> Response:
        return _answer(request, status, str(e))
    return handler


HANDLERS: list[tuple[type[Exception], Callable[[Request, Exception], Awaitable[Response]]]] = [
    (RequestValidationError, _invalid), (ValidationError, _invalid), (BadParameter, _bad_parameter),
    (InvalidBatch, _invalid_batch), (HTTPException, _http), (TooLarge, _plain(413)), (Unauthenticated, _plain(401)),
    (LoginRequired, _login), (Refused, _refused), (ReplicaUnavailable, _replica_unavailable),
    (LedgerError, _ledger), (Exception, _internal),
]


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    for exception, handler in HANDLERS:
        app.add_exception_handler(exception, handler)
