"""``/v1/cases``: AVI's inspection cases as JSON — list, read, open, note, close — with the web
pages' role checks (``service.http.cases``): AVI reads and writes every case, a DPO reads its
organisation's, everyone else is refused (recorded). Thin: parse → one call → render.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from service.cases import CASE_PATTERN, CaseIn, CloseIn, NoteIn
from service.http import cases
from service.http.auth import Principal, api_principal, served
from service.http.render import json_response
from service.http.schemas import Case, CaseWithFindings, errors

router = APIRouter(prefix="/v1", tags=["cases"])
Caller = Annotated[Principal, Depends(api_principal)]
CasePath = Annotated[str, Path(pattern=rf"^{CASE_PATTERN}$")]


def _case(request: Request, caller: Principal, case: str, *, status: int = 200) -> Response:
    return json_response(cases.read_case(served(request), caller, case, command="api case")["case"], status)


@router.get("/cases", response_model=list[Case], responses=errors(401, 403))
def get_cases(request: Request, caller: Caller) -> Response:
    """The inspection cases the caller may read, newest first (``lokikirja cases list --format json``)."""
    return json_response(cases.list_cases(served(request), caller, command="api cases"))


@router.get("/cases/{case}", response_model=CaseWithFindings, responses=errors(401, 403, 404, 422))
def get_case(request: Request, caller: Caller, case: CasePath) -> Response:
    """One case with its findings (as ``GET /v1/findings`` gives them) and their reviews."""
    return json_response(cases.read_case(served(request), caller, case, command="api case"))


@router.post("/cases", status_code=201, response_model=Case, responses=errors(401, 403, 422))
def post_case(request: Request, caller: Caller, body: CaseIn) -> Response:
    """Open a case (``inspection.case_opened``; role ``avi``): a title, the selection it was made with
    (``org``, ``since``, ``until``, ``rule``, ``user``), the chosen ``findings`` and a first ``note``."""
    case = cases.open_case(served(request), caller, body)
    response = _case(request, caller, case, status=201)
    response.headers["Location"] = f"/v1/cases/{case}"
    return response


@router.post("/cases/{case}/notes", response_model=Case, responses=errors(401, 403, 404, 409, 422))
def post_note(request: Request, caller: Caller, case: CasePath, body: NoteIn) -> Response:
    """Add a note, and findings with it (``inspection.case_noted``; role ``avi``); 409 once closed."""
    cases.note_case(served(request), caller, case, body)
    return _case(request, caller, case)


@router.post("/cases/{case}/close", response_model=Case, responses=errors(401, 403, 404, 409, 422))
def post_close(request: Request, caller: Caller, case: CasePath, body: CloseIn) -> Response:
    """Close a case with a ``reason`` (``inspection.case_closed``; role ``avi``); 409 if already closed."""
    cases.close_case(served(request), caller, case, body)
    return _case(request, caller, case)
