"""The use cases behind the API and the web UI: one call per handler, the role checked first.

Each does what the matching CLI command does, through the same functions (``ingest_stream``,
``after_append``, ``projections.queries``, ``projections.supervision``, ``append_own_fact``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.errors import ConflictingEvent, InvalidInput, UnknownSubject
from ledger.ingest import ingest_stream
from ledger.own_facts import append_own_fact
from projections import oversight, queries
from projections import supervision as sv
from projections.queries import FindingKey, Window
from service.http import scope
from service.http.auth import Principal
from service.http.params import FindingFilters, ReviewIn
from service.http.render import json_array
from service.http.served import Served

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_EVENTS = 10_000
STREAM_PAGE = 5_000  # findings read per query while an unpaged list streams


class TooLarge(Exception):
    """A batch over :data:`MAX_BODY_BYTES` or :data:`MAX_EVENTS`: answered 413."""


class InvalidBatch(Exception):
    """A batch with bad items (nothing stored): 422, or 409 when every problem is a conflicting id."""

    def __init__(self, items: list[dict[str, Any]], total: int, *, conflict: bool = False) -> None:
        super().__init__(f"{total} invalid item(s); nothing from the batch was stored")
        self.items, self.total, self.status = items, total, 409 if conflict else 422


@dataclass(frozen=True)
class Batch:
    """A request body as JSON Lines; ``indexed``: it was a JSON array, so problems name an index."""

    lines: list[bytes]
    indexed: bool


def parse_batch(body: bytes) -> Batch:
    """A JSON array of events, or JSON Lines (one event a line); bounded by :data:`MAX_EVENTS`."""
    if body.lstrip()[:1] == b"[":
        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidBatch([{"index": None, "field": "json", "message": "is not a valid JSON array"}], 1) from None
        if len(items) > MAX_EVENTS:
            raise TooLarge(f"a batch holds at most {MAX_EVENTS} events; this one holds {len(items)}")
        return Batch([orjson.dumps(item) for item in items], indexed=True)
    lines = body.split(b"\n")
    if sum(1 for line in lines if line.strip()) > MAX_EVENTS:
        raise TooLarge(f"a batch holds at most {MAX_EVENTS} events")
    return Batch(lines, indexed=False)


def _batch_problems(e: InvalidInput, indexed: bool) -> InvalidBatch:
    where = "index" if indexed else "line"
    items = [{where: p.line - 1 if indexed else p.line, "field": p.field, "message": p.message} for p in e.problems]
    return InvalidBatch(items, e.total, conflict=isinstance(e, ConflictingEvent))


def ingest_batch(served: Served, principal: Principal, body: bytes) -> dict[str, int]:
    """Validate and append a batch atomically (``ingest_stream``), then let everything catch up."""
    scope.require_role(served, principal, scope.INGESTERS, command="ingest")
    batch = parse_batch(body)
    with served.lock:
        try:
            # no worker processes: a batch is at most MAX_EVENTS lines, less than starting them costs
            report = ingest_stream(served.ledger, "body", io.BytesIO(b"\n".join(batch.lines)), workers=0)
        except InvalidInput as e:
            raise _batch_problems(e, batch.indexed) from None
        if report.ingested:
            served.appended(report.ingested)
    return {"ingested": report.ingested, "duplicates": report.duplicates}


@dataclass(frozen=True)
class FindingsPage:
    findings: list[dict[str, Any]]
    next: FindingKey | None  # where the next page starts; None: this was the last
    total: int | None = None


def findings_page(served: Served, principal: Principal, filters: FindingFilters, *, limit: int,
                  command: str = "findings", count: bool = False) -> FindingsPage:
    """One page of findings as ``lokikirja findings --format json`` gives them, within the caller's
    scope, after ``filters.after`` (``count``: with the total)."""
    org = scope.findings_org(served, principal, filters.org, command=command)
    return _page(served, filters, org, filters.after_key(), limit, count=count)


def _page(served: Served, filters: FindingFilters, org: str | None, after: FindingKey | None, limit: int, *,
          count: bool = False) -> FindingsPage:
    narrowed: dict[str, Any] = {"rule": filters.rule, "org": org, "user": filters.user, "subject": filters.subject,
                                "severity": filters.severity, "window": filters.window(), "review": filters.review}
    with served.reading() as cur:
        rows, following = queries.findings_page(served.db, cur, limit=limit, after=after, **narrowed)
        total = queries.count_findings(served.db, cur, **narrowed) if count else None
    return FindingsPage(rows, following, total)


def findings_json(served: Served, principal: Principal, filters: FindingFilters, *,
                  page: int = STREAM_PAGE) -> Iterator[bytes]:
    """Every finding within the caller's scope, as the bytes of one JSON array, read ``page`` at a
    time: a ledger's millions of findings are answered in bounded memory. The scope is checked
    (and a refusal recorded) and the first page read before the first byte."""
    org = scope.findings_org(served, principal, filters.org, command="findings")

    def read(after: FindingKey | None) -> tuple[list[dict[str, Any]], FindingKey | None]:
        found = _page(served, filters, org, after, page)
        return found.findings, found.next

    return json_array(read(filters.after_key()), read)


#: the web UI's CSV of findings: the contract's fields, then the latest review (blank: not reviewed)
CSV_FIELDS = (*queries.FINDING_FIELDS, "review", "reviewer", "reviewed_at", "review_note")


def findings_csv(served: Served, principal: Principal, filters: FindingFilters, *,
                 page: int = STREAM_PAGE) -> Iterator[bytes]:
    """Every finding within the caller's scope as CSV with its latest review, read ``page`` at a
    time; the scope is checked and the first page read before the first byte (as :func:`findings_json`)."""
    org = scope.findings_org(served, principal, filters.org, command="web findings csv")
    found = _page(served, filters, org, filters.after_key(), page)

    def lines(rows: list[dict[str, Any]]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        latest = {f: r[-1] for f, r in reviews_of(served, rows).items()}
        for row in rows:
            review = latest.get(row["finding"], {})
            writer.writerow([*(row[k] for k in queries.FINDING_FIELDS), review.get("verdict", "unreviewed"),
                             review.get("reviewer", ""), review.get("at", ""), review.get("note", "")])
        return out.getvalue().encode()

    def stream() -> Iterator[bytes]:
        current = found
        yield (",".join(CSV_FIELDS) + "\r\n").encode()
        while True:
            yield lines(current.findings)
            if current.next is None:
                return
            current = _page(served, filters, org, current.next, page)

    return stream()


def reviews_of(served: Served, findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The reviews of findings the caller was already allowed to list."""
    with served.reading() as cur:
        return oversight.reviews(served.db, cur, [f["finding"] for f in findings])


def findings_over_time(served: Served, principal: Principal, *, org: str | None = None,
                       window: Window = Window()) -> dict[str, dict[str, int]]:
    """Findings per month and severity (aggregates: the report readers' scope)."""
    scope.require_role(served, principal, scope.REPORT_READERS, command="findings over time")
    with served.reading() as cur:
        return oversight.findings_per_month(served.db, cur, org=org, window=window)


def findings_grouped(served: Served, principal: Principal, org: str, window: Window) -> dict[str, Any]:
    """An area's findings by official and by rule (``oversight.findings_grouped``); only for a
    caller who may list that area's findings (names of officials are in them)."""
    if not scope.sees_findings_of(principal, org):
        scope.refuse(served, principal, f"{principal.label} may not see the findings about {org}",
                     command="web area by official")
    with served.reading() as cur:
        return oversight.findings_grouped(served.db, cur, org, window)


def review_finding(served: Served, principal: Principal, finding: str, review: ReviewIn) -> dict[str, Any]:
    """Append ``finding.reviewed`` with the caller as reviewer."""
    purpose = f"review of {finding}"
    scope.require_role(served, principal, scope.REVIEWERS, command="review", purpose=purpose)
    with served.reading() as cur:
        found = oversight.finding(served.db, cur, finding)
    if found is None:
        raise UnknownSubject(f"no finding {finding} in the ledger")
    if not scope.may_review(principal, found):
        scope.refuse(served, principal, f"{principal.label} may not review findings about {found['org']}",
                     command="review", purpose=purpose, subject=found["subject"], user=found["user"])
    with served.lock:
        fact = append_own_fact(served.ledger, "finding.reviewed", principal.user,
                               {"finding": finding, "verdict": review.verdict, "note": review.note})
    return {"event": str(fact.id), "finding": finding, "verdict": review.verdict, "note": review.note,
            "reviewer": principal.user, "at": fact.at.isoformat()}


def supervision_report(served: Served, principal: Principal, window: Window, *,
                       command: str = "supervision") -> dict[str, Any]:
    """AVI's risk ranking (``area_report``), complaint counts included (the contract JSON drops them)."""
    scope.require_role(served, principal, scope.REPORT_READERS, command=command)
    with served.reading() as cur:
        return sv.area_report(served.db, cur, window)


def monitoring_report(served: Served, principal: Principal, month: str | None) -> dict[str, Any]:
    """Per TE office and month (``lokikirja monitoring --format json``)."""
    scope.require_role(served, principal, scope.REPORT_READERS, command="monitoring")
    with served.reading() as cur:
        return sv.monitoring(served.db, cur, oversight.report_months(served.db, cur, month))
