"""AVI's inspection cases over HTTP (web pages and ``/v1/cases``): open one from a selection of
findings, note on it, close it, list and reopen them.

Only AVI writes (``inspection.case_opened``, ``inspection.case_noted``, ``inspection.case_closed``,
appended as the ledger's own facts; their data from ``service.cases``); a data-protection
officer may read the cases about its own organisation; everyone else is refused (recorded).
ADR 0018.
"""

from __future__ import annotations

from typing import Any

from ledger.own_facts import append_own_fact
from projections import cases as case_reads
from projections import oversight
from service import cases
from service.cases import CaseIn, CloseIn, NoteIn
from service.http import scope
from service.http.auth import Principal
from service.http.served import Served

CASE_WRITERS = frozenset({"avi"})


def require_writer(served: Served, principal: Principal, *, command: str = "open case") -> None:
    """Refuse (recorded) anyone but AVI before a case form is even shown or a case written."""
    scope.require_role(served, principal, CASE_WRITERS, command=command)


def _readable_org(served: Served, principal: Principal, *, command: str) -> str | None:
    """The organisation a caller's case list is limited to (a DPO's own); None: every case."""
    scope.require_role(served, principal, scope.FINDING_READERS, command=command)
    return principal.org if principal.role == "dpo" else None


def list_cases(served: Served, principal: Principal, *, command: str = "web cases") -> list[dict[str, Any]]:
    """The cases the caller may read, newest first."""
    org = _readable_org(served, principal, command=command)
    with served.reading() as cur:
        return case_reads.cases(served.db, cur, org=org)


def open_case(served: Served, principal: Principal, case_in: CaseIn) -> str:
    """Append ``inspection.case_opened`` (AVI only); returns the new case's id."""
    require_writer(served, principal)
    case_id, data = cases.opened(case_in)
    with served.lock:
        append_own_fact(served.ledger, "inspection.case_opened", principal.user, data)
    return case_id


def _append_to_open_case(served: Served, principal: Principal, case_id: str, type_name: str,
                         data: dict[str, Any], *, command: str) -> None:
    """Append a fact to a case that exists and is still open (AVI only), checked under the write lock."""
    require_writer(served, principal, command=command)
    with served.lock:
        with served.reading() as cur:
            cases.writable(case_reads.case(served.db, cur, case_id), case_id)
        append_own_fact(served.ledger, type_name, principal.user, data)


def note_case(served: Served, principal: Principal, case_id: str, note: NoteIn) -> None:
    """Append ``inspection.case_noted`` to an open case (AVI only)."""
    _append_to_open_case(served, principal, case_id, "inspection.case_noted", cases.noted(case_id, note),
                         command="note case")


def close_case(served: Served, principal: Principal, case_id: str, close: CloseIn) -> None:
    """Append ``inspection.case_closed`` to an open case (AVI only)."""
    _append_to_open_case(served, principal, case_id, "inspection.case_closed", cases.closed(case_id, close),
                         command="close case")


def read_case(served: Served, principal: Principal, case_id: str, *, command: str = "web case") -> dict[str, Any]:
    """One case with its findings (as the findings list shows them) and their reviews."""
    org = _readable_org(served, principal, command=command)
    with served.reading() as cur:
        found = cases.found(case_reads.case(served.db, cur, case_id), case_id)
        if org is not None and found["org"] != org:
            scope.refuse(served, principal, f"a dpo of {org} reads only the cases about {org}", command=command)
        rows = [f for f in (oversight.finding(served.db, cur, fid) for fid in found["findings"]) if f is not None]
        rows.sort(key=lambda f: (f["at"], f["event"], f["rule"]))
        reviews = oversight.reviews(served.db, cur, [f["finding"] for f in rows])
    return {"case": found, "findings": rows, "reviews": reviews}
