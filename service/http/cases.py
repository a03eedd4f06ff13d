"""AVI's inspection cases: open one from a selection of findings, note on it, list and reopen them.

Only AVI writes (``inspection.case_opened``, ``inspection.case_noted``, appended as the ledger's
own facts); a data-protection officer may read the cases about its own organisation; everyone
else is refused (recorded). ADR 0018.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ledger.errors import UnknownSubject
from ledger.events import LIST_LIMITS, TEXT_LIMITS, Rule
from ledger.identifiers import SLUG, screen_free_text
from ledger.own_facts import append_own_fact
from projections import cases as case_reads
from projections import oversight
from service.http import scope
from service.http.auth import Principal
from service.http.params import FINDING_PATTERN, USER_PATTERN
from service.http.served import Served

CASE_WRITERS = frozenset({"avi"})
CASE_PATTERN = r"i:[0-9a-f]{32}"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
Title = Annotated[str, Field(pattern=r"\S"), AfterValidator(lambda v: screen_free_text(v, limit=TEXT_LIMITS["name"]))]
Note = Annotated[str, Field(pattern=r"\S"), AfterValidator(lambda v: screen_free_text(v, limit=TEXT_LIMITS["note"]))]
FindingIds = Annotated[list[Annotated[str, Field(pattern=FINDING_PATTERN)]],
                       Field(max_length=LIST_LIMITS["case_findings"])]


class CaseIn(BaseModel):
    """The new-case form: a title, the selection it was made with, the chosen findings, a note."""

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


def require_writer(served: Served, principal: Principal) -> None:
    """Refuse (recorded) anyone but AVI before a case form is even shown."""
    scope.require_role(served, principal, CASE_WRITERS, command="open case")


def _readable_org(served: Served, principal: Principal, *, command: str) -> str | None:
    """The organisation a caller's case list is limited to (a DPO's own); None: every case."""
    scope.require_role(served, principal, scope.FINDING_READERS, command=command)
    return principal.org if principal.role == "dpo" else None


def list_cases(served: Served, principal: Principal) -> list[dict[str, Any]]:
    """The cases the caller may read, newest first."""
    org = _readable_org(served, principal, command="web cases")
    with served.reading() as cur:
        return case_reads.cases(served.db, cur, org=org)


def open_case(served: Served, principal: Principal, case_in: CaseIn) -> str:
    """Append ``inspection.case_opened`` (AVI only); returns the new case's id."""
    scope.require_role(served, principal, CASE_WRITERS, command="open case")
    case_id = f"i:{uuid.uuid4().hex}"
    data = {"case": case_id, **case_in.model_dump(exclude_none=True)}
    if not data.get("findings"):
        data.pop("findings", None)
    with served.lock:
        append_own_fact(served.ledger, "inspection.case_opened", principal.user, data)
    return case_id


def note_case(served: Served, principal: Principal, case_id: str, note: NoteIn) -> None:
    """Append ``inspection.case_noted`` to an existing case (AVI only)."""
    scope.require_role(served, principal, CASE_WRITERS, command="note case")
    with served.reading() as cur:
        if case_reads.case(served.db, cur, case_id) is None:
            raise UnknownSubject(f"no inspection case {case_id} in the ledger")
    data: dict[str, Any] = {"case": case_id, "note": note.note}
    if note.findings:
        data["findings"] = note.findings
    with served.lock:
        append_own_fact(served.ledger, "inspection.case_noted", principal.user, data)


def read_case(served: Served, principal: Principal, case_id: str) -> dict[str, Any]:
    """One case with its findings (as the findings list shows them) and their reviews."""
    org = _readable_org(served, principal, command="web case")
    with served.reading() as cur:
        found = case_reads.case(served.db, cur, case_id)
        if found is None:
            raise UnknownSubject(f"no inspection case {case_id} in the ledger")
        if org is not None and found["org"] != org:
            scope.refuse(served, principal, f"a dpo of {org} reads only the cases about {org}", command="web case")
        rows = [f for f in (oversight.finding(served.db, cur, fid) for fid in found["findings"]) if f is not None]
        rows.sort(key=lambda f: (f["at"], f["event"], f["rule"]))
        reviews = oversight.reviews(served.db, cur, [f["finding"] for f in rows])
    return {"case": found, "findings": rows, "reviews": reviews}
