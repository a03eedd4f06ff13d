"""The web UI's downloads: findings as CSV, an area's report and the dossier as PDFs, the
evidence bundle, and the data subject's Art. 15 letter as a PDF.

Each is the page's answer in a file to take away, sent with ``Content-Disposition: attachment``
and a filename that says what it is. A download that reads personal data (the dossier, the
bundle, the letter) is a query of its own: it needs a purpose and is recorded as ``ledger.queried`` within
the caller's scope before anything is read, exactly as the page is; the form fields travel in a
POST body, never in a URL. The findings CSV, like the findings page and ``GET /v1/findings``,
holds pseudonymous ids only and is scoped but not recorded (docs/api.md); so is an area's report.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from service.commands.dossier import render_html as dossier_html
from service.http import views
from service.http.auth import served
from service.http.dossier import dossier_of, dossier_page, evidence_bundle
from service.http.letter import subject_letter
from service.http.params import CUSTOMER_PATTERN, ORG_PATTERN, AccessQuery, BadParameter, DossierQuery, FindingFilters
from service.http.render import PAGE_HEADERS, environment, request_language
from service.http.web import WebCaller, form
from service.pdf import PDF_TYPE, html_to_pdf
from service.reports import render

router = APIRouter(include_in_schema=False)
DOWNLOAD_HEADERS = {k: v for k, v in PAGE_HEADERS.items() if k != "Content-Security-Policy"}


def attachment_headers(filename: str) -> dict[str, str]:
    """Headers of a file download named ``filename`` (ASCII: ids and dates only)."""
    return {**DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}


def file_stem(identifier: str) -> str:
    """``c:a1`` → ``c-a1``: an id as part of a filename."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", identifier)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


@router.get("/areas/{org}/report.pdf")
def area_pdf(request: Request, caller: WebCaller, org: Annotated[str, Path(pattern=ORG_PATTERN)]) -> Response:
    """One experiment area's page as an A4 PDF for the period's ``since``/``until``: figures, risk
    dimensions, findings by rule and (in scope) its findings."""
    period = FindingFilters(**{k: v.strip() for k, v in request.query_params.items()
                               if k in ("since", "until") and v.strip()})
    doc = views.area(served(request), caller, org, period)
    html = render("area_report.html.j2", lang=request_language(request), principal=caller,
                  db=served(request).ledger.target.display, generated=datetime.now(UTC),
                  rule_severity=environment().globals["rule_severity"], **doc)
    return Response(html_to_pdf(html), media_type=PDF_TYPE,
                    headers=attachment_headers(f"area-report-{file_stem(org)}-{today()}.pdf"))


async def _dossier_form(request: Request) -> tuple[str, DossierQuery]:
    """The customer and the query of a dossier download's form (422 when malformed)."""
    fields = await form(request)
    customer = fields.get("customer", "").strip()
    if re.fullmatch(CUSTOMER_PATTERN, customer) is None:
        raise BadParameter("customer", "give a customer id of the form c:<token>")
    given = {k: v.strip() for k, v in fields.items() if k in ("at", "known_at_time", "purpose") and v.strip()}
    return customer, DossierQuery(**given)


@router.post("/dossier/pdf")
async def dossier_pdf(request: Request, caller: WebCaller) -> Response:
    """The dispute dossier as an A4 PDF: every event with its verification status, and the signed
    checkpoint (tree size, root hash, key id, time) it is proven against."""
    customer, q = await _dossier_form(request)
    doc = await run_in_threadpool(dossier_page, served(request), caller, customer, q, command="web dossier pdf")
    html = dossier_html(doc["dossier"], served(request).ledger.target.display, request_language(request),
                        statuses=doc["statuses"])
    pdf = await run_in_threadpool(html_to_pdf, html)
    return Response(pdf, media_type=PDF_TYPE,
                    headers=attachment_headers(f"dossier-{file_stem(customer)}-{today()}.pdf"))


@router.post("/dossier/bundle")
async def dossier_bundle(request: Request, caller: WebCaller) -> Response:
    """The evidence bundle of ``GET /v1/dossier/{c}?format=bundle``, as a file for
    ``lokikirja verify-bundle``."""
    customer, q = await _dossier_form(request)

    def bundle() -> dict[str, Any]:
        doc = dossier_of(served(request), caller, customer, q, command="web dossier bundle", bundle=True)
        return evidence_bundle(served(request), doc, q.bounds())

    body = orjson.dumps(await run_in_threadpool(bundle))
    return Response(body, media_type="application/json",
                    headers=attachment_headers(f"evidence-bundle-{file_stem(customer)}-{today()}.json"))


@router.post("/letter")
async def letter_pdf(request: Request, caller: WebCaller) -> Response:
    """The data subject's Art. 15 letter (``lokikirja subject-report --format html``) as an A4 PDF,
    in the customer's language, with its reference number and the controller's and DPO's contact
    details (``serve --controller FILE``)."""
    fields = await form(request)
    given = {k: v.strip() for k, v in fields.items() if k in ("subject", "since", "until", "purpose") and v.strip()}
    q = AccessQuery(**given)
    letter = await run_in_threadpool(subject_letter, served(request), caller, q, request.app.state.contacts)
    pdf = await run_in_threadpool(html_to_pdf, letter.html)
    return Response(pdf, media_type=PDF_TYPE, headers=attachment_headers(f"{letter.reference}.pdf"))
