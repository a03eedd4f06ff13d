"""``/v1`` endpoints over facts and judgements: ingest, findings, reviews, access history, reports.

Thin: parse (FastAPI and ``params``) → one call (``actions``/``access``) → render (JSON).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from ledger.identifiers import FINDING_PATTERN
from projections import oversight
from service.http import actions, params
from service.http.access import access_evidence, access_history_json
from service.http.auth import Principal, api_principal, served
from service.http.dossier import dossier_of, evidence_bundle
from service.http.params import AccessQuery, DossierQuery, FindingFilters, ReviewIn
from service.http.render import json_response
from service.http.schemas import AccessRow, Dossier, Finding, IngestResult, ReviewResult, errors

router = APIRouter(prefix="/v1", tags=["ledger"])
Caller = Annotated[Principal, Depends(api_principal)]

EVENTS_BODY = {"requestBody": {"required": True, "description": (
    "Contract events (CONTRACT §1): a JSON array, or JSON Lines (one event a line). At most 10 MB and "
    "10,000 events. Validated first: one bad event and nothing is stored."), "content": {
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}, "maxItems": actions.MAX_EVENTS}},
    "application/x-ndjson": {"schema": {"type": "string"}}}}}


async def _capped_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it passes the size limit."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > actions.MAX_BODY_BYTES:
        raise actions.TooLarge(f"a batch is at most {actions.MAX_BODY_BYTES // (1024 * 1024)} MB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > actions.MAX_BODY_BYTES:
            raise actions.TooLarge(f"a batch is at most {actions.MAX_BODY_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/events", openapi_extra=EVENTS_BODY, response_model=IngestResult,
             responses=errors(401, 403, 409, 413, 422))
async def post_events(request: Request, caller: Caller) -> Response:
    """Ingest a batch of contract events: atomic, validated, idempotent (role ``ingest``)."""
    with request.app.state.metrics.ingest() as stored:
        body = await _capped_body(request)
        result = await run_in_threadpool(actions.ingest_batch, served(request), caller, body)
        stored(result)
    return json_response(result)


@router.get("/findings", response_model=list[Finding], responses=errors(401, 403, 422))
def get_findings(request: Request, caller: Caller, filters: Annotated[FindingFilters, Query()]) -> Response:
    """Findings like ``lokikirja findings --format json``, sorted by (at, event, rule); a DPO's are its own
    organisation's. With ``limit``, one page: the ``Link`` header (``rel="next"``) gives the next one."""
    if filters.limit is None:
        return StreamingResponse(actions.findings_json(served(request), caller, filters),
                                 media_type="application/json")
    page = actions.findings_page(served(request), caller, filters, limit=filters.limit)
    headers = None
    if page.next is not None:
        following = request.url.include_query_params(after=params.cursor(page.next))
        headers = {"Link": f'<{following}>; rel="next"'}
    return json_response(page.findings, headers=headers)


@router.post("/findings/{finding}/review", response_model=ReviewResult, responses=errors(401, 403, 404, 422))
def post_review(request: Request, caller: Caller, review: ReviewIn,
                finding: Annotated[str, Path(pattern=FINDING_PATTERN)]) -> Response:
    """Record a verdict on a finding (``finding.reviewed``); roles ``dpo`` (own organisation) and ``avi``."""
    return json_response(actions.review_finding(served(request), caller, finding, review))


def _rows(request: Request, caller: Principal, q: AccessQuery) -> Response:
    return StreamingResponse(access_history_json(served(request), caller, q), media_type="application/json")


@router.get("/access-log", response_model=list[AccessRow], responses=errors(401, 403, 422))
def get_access_log(request: Request, caller: Caller, q: Annotated[AccessQuery, Query()]) -> Response:
    """Who viewed what: exactly one of ``subject``, ``hetu`` or ``user``; ``purpose`` is required and the
    query is recorded (``ledger.queried``) before the answer."""
    return _rows(request, caller, q)


@router.post("/access-log", response_model=list[AccessRow], responses=errors(401, 403, 422))
def post_access_log(request: Request, caller: Caller, q: AccessQuery) -> Response:
    """The same as ``GET /v1/access-log`` with the parameters in a JSON body, which keeps a HETU out of URLs."""
    return _rows(request, caller, q)


@router.post("/access-log/evidence", responses=errors(401, 403, 422))
def post_access_evidence(request: Request, caller: Caller, q: AccessQuery) -> Response:
    """A person's views (``subject`` or ``hetu``) as a self-proving report: the rows, every event they rest
    on with its inclusion proof, the subject-index proofs that none is left out, and the signed checkpoint —
    ``lokikirja verify-report FILE`` checks it offline. Recorded (``ledger.queried``) before the answer."""
    return json_response(access_evidence(served(request), caller, q))


@router.get("/dossier/{customer}", response_model=Dossier, responses=errors(400, 401, 403, 404, 409, 422))
def get_dossier(request: Request, caller: Caller, q: Annotated[DossierQuery, Query()],
                customer: Annotated[str, Path(pattern=params.CUSTOMER_PATTERN)]) -> Response:
    """Replay one customer (``lokikirja dossier --format json``): who was responsible when, every event with
    its findings judged at its own moment, decisions with the competent authority, the signed checkpoint and
    an inclusion proof per event. ``format=bundle``: the portable evidence file ``lokikirja verify-bundle``
    checks offline. ``purpose`` is required; the query is recorded (``ledger.queried``) before the answer."""
    doc = dossier_of(served(request), caller, customer, q, bundle=q.format == "bundle")
    return json_response(evidence_bundle(served(request), doc, q.bounds()) if q.format == "bundle" else doc)


@router.get("/supervision", responses=errors(401, 403, 422))
def get_supervision(request: Request, caller: Caller, since: params.Since = None,
                    until: params.Until = None) -> Response:
    """AVI's per-area risk report (``lokikirja supervision --format json``)."""
    report = actions.supervision_report(served(request), caller, params.window(since, until))
    return json_response(oversight.contract_area_report(report))


@router.get("/monitoring", responses=errors(401, 403, 422))
def get_monitoring(request: Request, caller: Caller, month: params.Month = None) -> Response:
    """Per TE office and month (``lokikirja monitoring --format json``)."""
    return json_response(actions.monitoring_report(served(request), caller, month))
