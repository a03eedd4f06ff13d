"""Access history ("who viewed what") over HTTP, within the caller's scope, the query recorded first.

The order is the CLI's (``lokikirja access-log``) with a scope check in front: resolve whom the
request is about (a HETU through the blind index), decide with the read model whether the caller
may see it, record ``ledger.queried`` — refused or not — and only then read and answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ledger.privacy import blind_index
from projections import queries
from replay.person_report import complete_sentence, completeness, report_document
from service.http import scope
from service.http.auth import Principal
from service.http.params import AccessQuery, BadParameter, window
from service.http.render import json_array
from service.http.served import Served

STREAM_PAGE = 5_000  # views read per query while an access history streams


@dataclass(frozen=True)
class AccessHistory:
    """The views (CLI ``access-log`` JSON rows) and who queried the ledger about the same person."""

    rows: list[dict[str, Any]]
    asked: list[dict[str, Any]] = field(default_factory=list)
    complete: str | None = None  # up to which signed checkpoint the person's views are proven complete
    proven: dict[str, Any] | None = None  # the same as data, for a page to word in its language


def _allowed(served: Served, principal: Principal, q: AccessQuery, index: str | None) -> tuple[bool, list[str] | None]:
    """Whether the caller may see the history asked for, and the subjects to read it for."""
    with served.reading(queries=False) as cur:
        if q.user is not None:
            return scope.may_see_user(served.db, cur, principal, q.user), None
        asked_for = [q.subject] if q.subject else queries.customers_with_hetu_index(served.db, cur, index or "")
        subjects = scope.visible_subjects(served.db, cur, principal, asked_for)
    # a DPO or area user is refused alike for someone unknown and someone out of scope, so a
    # refusal never tells whether a person is anyone's customer
    return bool(subjects) or principal.role == "avi", subjects


def _recorded(served: Served, principal: Principal, q: AccessQuery,
              command: str) -> tuple[list[str] | None, str | None]:
    """Check the scope (recording a refusal), record the query; the subjects to read (None: by
    user) and the HETU's blind index."""
    index = blind_index(served.ledger.keys.index, q.hetu) if q.hetu is not None else None
    about = {"subject": q.subject, "user": q.user, "hetu_index": index}
    if principal.role not in scope.HISTORY_READERS:
        scope.refuse(served, principal, f"a {principal.role} token may not read access history", command=command,
                     purpose=q.purpose, **about)
    allowed, subjects = _allowed(served, principal, q, index)
    if not allowed:
        scope.refuse(served, principal, f"this access history is outside the scope of {principal.label}",
                     command=command, purpose=q.purpose, **about)
    served.record(asker=principal.user, purpose=q.purpose, command=command, via=principal.via, **about)
    return subjects, index


def access_history(served: Served, principal: Principal, q: AccessQuery, *, command: str = "access-log",
                   with_asked: bool = False) -> AccessHistory:
    """Views of a subject, of the customers with a HETU, or by a user — recorded, within scope;
    ``with_asked``: also who queried the ledger about the same person (this query included)."""
    q.target()
    span = window(q.since, q.until)
    subjects, index = _recorded(served, principal, q, command)
    done = _complete(served) if q.user is None else None
    with served.reading(queries=with_asked) as cur:
        rows = queries.access_log(served.db, cur, subjects=subjects, user=q.user, window=span)
        asked = queries.ledger_queries_about(served.db, cur, subjects=subjects or [], hetu_index=index) \
            if with_asked and q.user is None else []
    if done is None:
        return AccessHistory(rows, asked)
    proven = {"tree_size": done["tree_size"], "signed_at": done["signed_at"], "customers": subjects or []}
    return AccessHistory(rows, asked, complete_sentence(done, subjects or []), proven)


def _complete(served: Served) -> dict[str, Any]:
    """Commit the subject index and sign a checkpoint over it (the server's writes take turns)."""
    with served.lock:
        served.refresh()
        return completeness(served.ledger)


def access_evidence(served: Served, principal: Principal, q: AccessQuery) -> dict[str, Any]:
    """A person's access history as a self-proving report (``lokikirja access-log --evidence``),
    which ``lokikirja verify-report`` checks offline. Recorded first, within scope."""
    if q.target() == "user":
        raise BadParameter("user", "evidence proves one person's views: give subject or hetu")
    span = window(q.since, q.until)
    subjects, _ = _recorded(served, principal, q, "access-log evidence")
    done = _complete(served)
    with served.reading(queries=False) as cur:
        rows = queries.access_log(served.db, cur, subjects=subjects, window=span)
    return report_document(served.ledger, kind="access-log", customers=subjects or [], window=span, rows=rows,
                           done=done)


def access_history_json(served: Served, principal: Principal, q: AccessQuery, *,
                        page: int = STREAM_PAGE) -> Iterator[bytes]:
    """:func:`access_history`'s rows as the bytes of one JSON array, read ``page`` rows at a time
    (an official may have viewed millions of records). Checked and recorded before the first byte."""
    q.target()
    span = window(q.since, q.until)
    subjects, _ = _recorded(served, principal, q, "access-log")

    def read(after: queries.ViewKey | None) -> tuple[list[dict[str, Any]], queries.ViewKey | None]:
        with served.reading(queries=False) as cur:
            return queries.access_log_page(served.db, cur, limit=page, after=after, subjects=subjects,
                                           user=q.user, window=span)

    return json_array(read(None), read)
