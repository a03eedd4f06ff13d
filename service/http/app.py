"""The FastAPI application: the ``/v1`` JSON API and the web UI over one open ledger.

``create_app(ledger, tokens)`` builds it without side effects (the server's background threads,
``service/http/monitor.py``, start with its lifespan); ``lokikirja serve`` opens the ledger, builds
the app and runs it on uvicorn. The OpenAPI document is at ``/openapi.json``; the operators'
``/healthz`` and ``/metrics`` are outside it (``routes_ops.py``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI

from ledger.replica import Replica
from ledger.store import Ledger
from service.http import (
    downloads,
    errors,
    routes_cases,
    routes_integrity,
    routes_ledger,
    routes_ops,
    web,
    web_cases,
    web_pages,
)
from service.http.auth import Sessions
from service.http.metrics import Metrics, RequestTimer
from service.http.monitor import Monitor, background
from service.http.served import ReplicaLagHeader, Served
from service.http.tokens import TokenFile
from service.letters import Contacts
from service.logs import event

STUCK_AFTER_S = 60.0

DESCRIPTION = """The audit and access ledger of the municipal employment experiment (Act 1269/2020).

Every request needs `Authorization: Bearer <token>` (made by `lokikirja tokens add`); what a token
may do depends on its role (`ingest`, `dpo`, `avi`, `area-user`, `appeals`). Every read of personal data
appends `ledger.queried` with the token's user and the request's `purpose` before it is answered;
a refusal (403) is recorded too. See docs/api.md.
"""


def _version() -> str:
    try:
        return version("lokikirja")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


def build_app() -> FastAPI:
    """The routes and error handlers, serving nothing yet (see :func:`create_app`)."""
    app = FastAPI(title="Lokikirja", version=_version(), description=DESCRIPTION, lifespan=_lifespan,
                  docs_url=None, redoc_url=None)  # the bundled docs pages load scripts from a CDN
    errors.install(app)

    @app.get("/v1/health", tags=["service"])
    def health() -> dict[str, bool]:
        """Liveness, without authentication."""
        return {"ok": True}

    app.include_router(routes_ops.router)
    app.include_router(routes_ledger.router)
    app.include_router(routes_integrity.router)
    app.include_router(routes_cases.router)
    app.include_router(web.router)
    app.include_router(web_pages.router)
    app.include_router(web_cases.router)
    app.include_router(downloads.router)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While served: the keeper and the watcher (``service/http/monitor.py``) run beside the requests."""
    tasks = getattr(app.state, "background", [])
    for task in tasks:
        task.start()
    try:
        yield
    finally:
        for task in tasks:
            task.stop()
        event(logging.getLogger("lokikirja"), "info", "server.stopped", "the server has stopped")


def create_app(ledger: Ledger, tokens: TokenFile, *, stuck_after: float = STUCK_AFTER_S,
               replica: Replica | None = None, contacts: Contacts | None = None) -> FastAPI:
    """The app serving ``ledger``, authenticating with ``tokens``; a follower behind without
    advancing for ``stuck_after`` seconds turns /healthz to 503. With a ``replica``, reads go there
    (ADR 0014) and their responses carry ``Lokikirja-Replica-Lag``. ``contacts``: the sender of the
    Art. 15 letters (``serve --controller``)."""
    app = build_app()
    app.state.contacts = contacts
    served = app.state.served = Served(ledger, tokens, replica)
    app.state.sessions = Sessions()
    monitor = app.state.monitor = Monitor(ledger, stuck_after=stuck_after)
    metrics = app.state.metrics = Metrics(monitor, version=_version(), backend=ledger.db.kind)
    served.on_record = metrics.query_recorded
    app.state.background = background(served, monitor, metrics.background_failed)
    app.add_middleware(RequestTimer, metrics=metrics)
    if replica is not None:
        app.add_middleware(ReplicaLagHeader)
    return app


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the app serves at ``/openapi.json`` (no ledger needed)."""
    return build_app().openapi()
