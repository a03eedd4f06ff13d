"""AVI's inspection cases as both doors write them: the CLI (``lokikirja cases``) and HTTP (the
web pages and ``/v1/cases``). The forms' validation and the data of the three facts —
``inspection.case_opened``, ``inspection.case_noted``, ``inspection.case_closed`` — live here
once; who may write, and how the answer is shown, is each door's own (ADR 0018).

A closed case takes no more notes and is not closed again: :class:`CaseClosed`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ledger.errors import UnknownSubject, UsageError
from ledger.events import LIST_LIMITS, TEXT_LIMITS, Rule
from ledger.identifiers import FINDING_PATTERN, SLUG, USER_PATTERN, screen_free_text

CASE_PATTERN = r"i:[0-9a-f]{32}"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _screened(kind: str) -> Any:
    return AfterValidator(lambda v: screen_free_text(v, limit=TEXT_LIMITS[kind]))


Title = Annotated[str, Field(pattern=r"\S"), _screened("name")]
Note = Annotated[str, Field(pattern=r"\S"), _screened("note")]
Reason = Annotated[str, Field(pattern=r"\S"), _screened("reason")]
FindingIds = Annotated[list[Annotated[str, Field(pattern=FINDING_PATTERN)]],
                       Field(max_length=LIST_LIMITS["case_findings"])]


class CaseClosed(UsageError):
    """A note on, or a second closing of, a case already closed."""


class CaseIn(BaseModel):
    """A new case: a title, the selection it was made with, the chosen findings, a first note."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: Title
    org: Annotated[str | None, Field(pattern=rf"^area:{SLUG}$")] = None
    since: Annotated[str | None, Field(pattern=DATE_PATTERN)] = None
    until: Annotated[str | None, Field(pattern=DATE_PATTERN)] = None
    rule: Rule | None = None
    user: Annotated[str | None, Field(pattern=USER_PATTERN)] = None
    findings: FindingIds = []
    note: Note | None = None


class NoteIn(BaseModel):
    """A note on a case, and findings it adds."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    note: Note
    findings: FindingIds = []


class CloseIn(BaseModel):
    """Why a case is closed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: Reason


def opened(case_in: CaseIn) -> tuple[str, dict[str, Any]]:
    """A new case's id and the data of its ``inspection.case_opened``."""
    case_id = f"i:{uuid.uuid4().hex}"
    data = {"case": case_id, **case_in.model_dump(exclude_none=True)}
    if not data.get("findings"):
        data.pop("findings", None)
    return case_id, data


def noted(case_id: str, note: NoteIn) -> dict[str, Any]:
    """The data of ``inspection.case_noted``."""
    return {"case": case_id, "note": note.note, **({"findings": note.findings} if note.findings else {})}


def closed(case_id: str, close: CloseIn) -> dict[str, Any]:
    """The data of ``inspection.case_closed``."""
    return {"case": case_id, "reason": close.reason}


def found(case: dict[str, Any] | None, case_id: str) -> dict[str, Any]:
    """The folded case (``projections.cases.case``), or :class:`UnknownSubject`."""
    if case is None:
        raise UnknownSubject(f"no inspection case {case_id} in the ledger")
    return case


def writable(case: dict[str, Any] | None, case_id: str) -> dict[str, Any]:
    """The case, if it exists and is still open (else :class:`UnknownSubject`, :class:`CaseClosed`)."""
    case = found(case, case_id)
    if case["closed"] is not None:
        raise CaseClosed(f"inspection case {case_id} was closed by {case['closed']['by']} at "
                         f"{case['closed']['at']}; it takes nothing more")
    return case
