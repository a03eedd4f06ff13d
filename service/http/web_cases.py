"""The web pages of AVI's inspection cases: list, a new case from a selection of findings, one
case with its findings, reviews and notes, a note form and a closing form. Thin: parse → one call in
``service.http.cases`` → render a template of ``service/templates/web/``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from ledger.events import LIST_LIMITS
from service.cases import CASE_PATTERN, CaseIn, CloseIn, NoteIn
from service.http import actions, cases
from service.http.auth import served
from service.http.params import BadParameter, FindingFilters
from service.http.render import page
from service.http.web import FormTooLarge, WebCaller, form_lists, redirect

router = APIRouter(include_in_schema=False)
SELECTION = ("org", "since", "until", "rule", "user")
CasePath = Annotated[str, Path(pattern=rf"^{CASE_PATTERN}$")]


def _problems(e: ValidationError | BadParameter | FormTooLarge) -> list[str]:
    if isinstance(e, FormTooLarge):
        return ["the form is too large"]
    if isinstance(e, BadParameter):
        return [f"{e.field}: {e.message}"]
    return [f"{'.'.join(str(p) for p in err['loc']) or 'form'}: {err['msg'].removeprefix('Value error, ')}"
            for err in e.errors()]


def _selection(values: Any) -> dict[str, str]:
    return {k: values[k].strip() for k in SELECTION if values.get(k, "").strip()}


def _candidates(request: Request, caller: Any, given: dict[str, str]) -> dict[str, Any]:
    """The findings the selection gives (one page), to choose from."""
    filters = FindingFilters(**given)
    found = actions.findings_page(served(request), caller, filters, limit=LIST_LIMITS["case_findings"],
                                  command="web new case", count=True)
    return {"findings": found.findings, "total": found.total,
            "reviews": actions.reviews_of(served(request), found.findings)}


@router.get("/cases")
def case_list(request: Request, caller: WebCaller) -> Response:
    """The inspection cases the caller may read, newest first."""
    return page(request, "cases.html.j2", principal=caller, cases=cases.list_cases(served(request), caller))


@router.get("/cases/new")
def new_case(request: Request, caller: WebCaller) -> Response:
    """The new-case form over the selection in the query string (AVI only)."""
    cases.require_writer(served(request), caller)
    given = _selection(request.query_params)
    try:
        doc = _candidates(request, caller, given)
    except (ValidationError, BadParameter) as e:
        return page(request, "case_new.html.j2", status=422, principal=caller, given=given, problems=_problems(e),
                    findings=[], total=0, reviews={})
    return page(request, "case_new.html.j2", principal=caller, given=given, problems=[], **doc)


@router.post("/cases")
async def create_case(request: Request, caller: WebCaller) -> Response:
    """Opens the case (``inspection.case_opened``), then shows it."""
    fields: dict[str, list[str]] = {}
    try:
        fields = await form_lists(request)
        last = {k: v[-1] for k, v in fields.items()}
        case_in = CaseIn(**_selection(last), title=last.get("title", ""),
                               note=last.get("note", "").strip() or None, findings=fields.get("finding", []))
    except (ValidationError, FormTooLarge) as e:
        given = _selection({k: v[-1] for k, v in fields.items()})
        return page(request, "case_new.html.j2", status=422, principal=caller, given=given, problems=_problems(e),
                    findings=[], total=0, reviews={})
    case_id = await run_in_threadpool(cases.open_case, served(request), caller, case_in)
    return redirect(f"/cases/{case_id}")


@router.get("/cases/{case}")
def case_page(request: Request, caller: WebCaller, case: CasePath) -> Response:
    """One case: its selection, its findings with their current reviews, its notes."""
    doc = cases.read_case(served(request), caller, case)
    return page(request, "case.html.j2", principal=caller, problems=[], **doc)


@router.post("/cases/{case}/notes")
async def note_case(request: Request, caller: WebCaller, case: CasePath) -> Response:
    """Adds a note (``inspection.case_noted``), then back to the case."""
    try:
        fields = await form_lists(request)
        note = NoteIn(note=fields.get("note", [""])[-1], findings=fields.get("finding", []))
    except (ValidationError, FormTooLarge) as e:
        doc = await run_in_threadpool(cases.read_case, served(request), caller, case)
        return page(request, "case.html.j2", status=422, principal=caller, problems=_problems(e), **doc)
    await run_in_threadpool(cases.note_case, served(request), caller, case, note)
    return redirect(f"/cases/{case}")


@router.post("/cases/{case}/close")
async def close_case(request: Request, caller: WebCaller, case: CasePath) -> Response:
    """Closes the case (``inspection.case_closed``), then back to it."""
    try:
        fields = await form_lists(request)
        close = CloseIn(reason=fields.get("reason", [""])[-1])
    except (ValidationError, FormTooLarge) as e:
        doc = await run_in_threadpool(cases.read_case, served(request), caller, case)
        return page(request, "case.html.j2", status=422, principal=caller, problems=_problems(e), **doc)
    await run_in_threadpool(cases.close_case, served(request), caller, case, close)
    return redirect(f"/cases/{case}")
