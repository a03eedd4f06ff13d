"""The operators' door: ``GET /healthz`` and ``GET /metrics``, without a token.

Neither holds personal data (positions, counts, times, route templates, witness names), so a
load balancer and a Prometheus server need no token; restrict them at the proxy if the volume of
activity is itself sensitive (docs/operations.md). Both run in a thread of their own capacity,
not the request pool, and take no lock: they answer while every other request waits for a
stuck follower.
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.http.render import json_response

router = APIRouter(include_in_schema=False)


def _limiter(request: Request) -> anyio.CapacityLimiter:
    """The operators' own capacity (made in the event loop, on first use)."""
    state = request.app.state
    if getattr(state, "ops_limiter", None) is None:
        state.ops_limiter = anyio.CapacityLimiter(4)
    return state.ops_limiter  # type: ignore[no-any-return]


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    """``{"status": "ok"|"lagging"|"stuck", …}``: 200 when ok or lagging, 503 when a follower is stuck
    or the store cannot be read (``"status": "unavailable"``)."""
    monitor = request.app.state.monitor
    try:
        health = await anyio.to_thread.run_sync(monitor.health, limiter=_limiter(request))
    except Exception as e:
        return json_response({"status": "unavailable", "detail": f"the store could not be read ({type(e).__name__})"},
                             503, headers={"Cache-Control": "no-store"})
    doc: dict[str, Any] = health.to_json()
    return json_response(doc, 503 if health.status == "stuck" else 200, headers={"Cache-Control": "no-store"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text (or OpenMetrics, when the scraper asks for it)."""
    body, content_type = await anyio.to_thread.run_sync(request.app.state.metrics.exposition,
                                                        request.headers.get("accept"), limiter=_limiter(request))
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
