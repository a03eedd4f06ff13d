"""The web UI's pages: risk ranking, an area, findings with review buttons, who viewed a person,
and a customer's dispute dossier with the verification status of every event.

Thin: parse (blank form fields count as not given; bad ones are shown on the page) → one call
in ``views``/``actions`` → render a template of ``service/templates/web/``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ValidationError

from ledger.identifiers import FINDING_PATTERN
from service.commands.supervise import render_html
from service.http import actions, views
from service.http.auth import served
from service.http.dossier import dossier_page
from service.http.downloads import attachment_headers, today
from service.http.params import (
    CUSTOMER_PATTERN,
    ORG_PATTERN,
    AccessQuery,
    BadParameter,
    DossierQuery,
    FindingFilters,
    ReviewIn,
)
from service.http.render import html_response, page, request_language
from service.http.web import FormTooLarge, WebCaller, form, local_path, redirect

router = APIRouter(include_in_schema=False)


def _given(data: Any, model: type[BaseModel]) -> dict[str, str]:
    """The model's fields that were given a non-blank value."""
    return {k: v.strip() for k, v in data.items() if k in model.model_fields and v.strip()}


def _problems(e: ValidationError | BadParameter) -> list[str]:
    if isinstance(e, BadParameter):
        return [f"{e.field}: {e.message}"]
    return [f"{'.'.join(str(p) for p in err['loc']) or 'form'}: {err['msg'].removeprefix('Value error, ')}"
            for err in e.errors()]


def _period(request: Request) -> FindingFilters:
    """``since``/``until`` of the page's query string (422 page when malformed)."""
    return FindingFilters(**_given({k: v for k, v in request.query_params.items() if k in ("since", "until")},
                                   FindingFilters))


@router.get("/ranking")
def ranking(request: Request, caller: WebCaller) -> Response:
    """AVI's risk ranking, with findings over time and links to every area."""
    period = _period(request)
    doc = views.ranking(served(request), caller, period.window())
    return page(request, "ranking.html.j2", principal=caller, period=period, **doc)


@router.get("/ranking/report")
def printable_report(request: Request, caller: WebCaller) -> Response:
    """The self-contained HTML report of ``lokikirja supervision --format html``."""
    doc = actions.supervision_report(served(request), caller, _period(request).window(), command="web report")
    return html_response(render_html(doc, served(request).ledger.target.display, request_language(request)))


@router.get("/areas/{org}")
def area(request: Request, caller: WebCaller, org: Annotated[str, Path(pattern=ORG_PATTERN)]) -> Response:
    """One experiment area: figures, risk dimensions, findings over time, its findings."""
    period = _period(request)
    doc = views.area(served(request), caller, org, period)
    return page(request, "area.html.j2", principal=caller, period=period, flash=request.query_params.get("reviewed"),
                **doc)


@router.get("/findings")
def findings(request: Request, caller: WebCaller) -> Response:
    """Findings with filters (a GET form) and a review form on each."""
    given = _given(request.query_params, FindingFilters)
    try:
        doc = views.findings(served(request), caller, FindingFilters(**given))
    except (ValidationError, BadParameter) as e:
        return page(request, "findings.html.j2", status=422, principal=caller, given=given, problems=_problems(e),
                    findings=[], total=0, reviews={}, csv_url="/findings.csv")
    following = doc.pop("next")
    next_url = str(request.url.remove_query_params("reviewed").include_query_params(after=following)) \
        if following else None
    download = urlencode({k: v for k, v in given.items() if k not in ("limit", "after")})
    return page(request, "findings.html.j2", principal=caller, given=given, problems=[],
                flash=request.query_params.get("reviewed"), next_url=next_url,
                csv_url="/findings.csv" + (f"?{download}" if download else ""), **doc)


@router.get("/findings.csv")
def findings_csv(request: Request, caller: WebCaller) -> Response:
    """The filtered findings as CSV with each one's latest review (every page, streamed)."""
    given = _given(request.query_params, FindingFilters)
    try:
        filters = FindingFilters(**{k: v for k, v in given.items() if k not in ("limit", "after")})
    except ValidationError as e:
        return page(request, "error.html.j2", status=422, status_code=422, detail="; ".join(_problems(e)))
    rows = actions.findings_csv(served(request), caller, filters)
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8",
                             headers=attachment_headers(f"lokikirja-findings-{today()}.csv"))


@router.post("/findings/{finding}/review")
async def review(request: Request, caller: WebCaller,
                 finding: Annotated[str, Path(pattern=FINDING_PATTERN)]) -> Response:
    """The review buttons' form: records ``finding.reviewed``, then back to the page it came from."""
    try:
        fields = await form(request)
        verdict = ReviewIn(verdict=fields.get("verdict", ""), note=fields.get("note", ""))  # type: ignore[arg-type]
    except (ValidationError, FormTooLarge) as e:
        detail = "; ".join(_problems(e)) if isinstance(e, ValidationError) else "the form is too large"
        return page(request, "error.html.j2", status=422, status_code=422,
                    detail=f"The review was not recorded: {detail}. A verdict and a note are both needed.")
    await run_in_threadpool(actions.review_finding, served(request), caller, finding, verdict)
    back = local_path(fields.get("next"), "/findings")
    joiner = "&" if "?" in back else "?"
    return redirect(f"{back}{joiner}reviewed={quote(finding)}")


@router.get("/who-viewed")
def who_viewed_form(request: Request, caller: WebCaller) -> Response:
    return page(request, "who_viewed.html.j2", principal=caller, given={}, problems=[])


@router.post("/who-viewed")
async def who_viewed(request: Request, caller: WebCaller) -> Response:
    """Who viewed this person: a POST, so a HETU never lands in a URL or the browser's history."""
    try:
        given = _given(await form(request), AccessQuery)
        query = AccessQuery(**given)
        doc = await run_in_threadpool(views.who_viewed, served(request), caller, query)
    except (ValidationError, BadParameter, FormTooLarge) as e:
        problems = ["the form is too large"] if isinstance(e, FormTooLarge) else _problems(e)
        return page(request, "who_viewed.html.j2", status=422, principal=caller, given={}, problems=problems)
    shown = {k: v for k, v in given.items() if k != "hetu"}  # not echoed back into the page's form
    return page(request, "who_viewed.html.j2", principal=caller, given=shown, problems=[],
                asked_at=datetime.now(UTC).isoformat(timespec="seconds"), **doc)


@router.get("/dossier")
def dossier_form(request: Request, caller: WebCaller) -> Response:
    """The dossier form, its customer filled in when a link gives one (nothing is read yet)."""
    customer = request.query_params.get("customer", "")
    given = {"customer": customer} if re.fullmatch(CUSTOMER_PATTERN, customer) else {}
    return page(request, "dossier.html.j2", principal=caller, given=given, problems=[])


@router.post("/dossier")
async def dossier(request: Request, caller: WebCaller) -> Response:
    """A customer's dispute dossier: recorded first, then every event with its proof checked."""
    fields: dict[str, str] = {}
    try:
        fields = await form(request)
        customer = fields.get("customer", "").strip()
        if re.fullmatch(CUSTOMER_PATTERN, customer) is None:
            raise BadParameter("customer", "give a customer id of the form c:<token>")
        given = _given(fields, DossierQuery)
        doc = await run_in_threadpool(dossier_page, served(request), caller, customer, DossierQuery(**given))
    except (ValidationError, BadParameter, FormTooLarge) as e:
        problems = ["the form is too large"] if isinstance(e, FormTooLarge) else _problems(e)
        return page(request, "dossier.html.j2", status=422, principal=caller, given=fields, problems=problems)
    return page(request, "dossier.html.j2", principal=caller, given={"customer": customer, **given}, problems=[],
                asked_at=datetime.now(UTC).isoformat(timespec="seconds"), **doc)
