"""Read queries over the read model: findings, access history, who queried the ledger.

Each returns plain dicts in the contract's JSON shape (CONTRACT §5–6), sorted as it says.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.db import Cursor, Database
from ledger.validtime import SUPPORTED_FROM, SUPPORTED_UNTIL
from projections.schema import micros

FINDING_FIELDS = ("finding", "rule", "severity", "event", "at", "org", "user", "subject", "explanation")
#: a finding's review state: no ``finding.reviewed`` yet, or the verdict of its latest one
REVIEW_STATES = ("unreviewed", "justified", "violation")


@dataclass(frozen=True)
class Window:
    """A valid-time window in microseconds since the epoch, both ends inclusive."""

    since: int | None = None
    until: int | None = None

    def supported(self) -> Window:
        """This window narrowed to the supported times (``ledger/validtime``): what a report over
        months spans, so that a stored fact at the edge of time does not stretch it over millennia."""
        lo, hi = micros(SUPPORTED_FROM), micros(SUPPORTED_UNTIL) - 1
        return Window(lo if self.since is None else max(self.since, lo),
                      hi if self.until is None else min(self.until, hi))

    def sql(self, column: str = "at") -> tuple[str, list[Any]]:
        parts, params = [], []
        if self.since is not None:
            parts.append(f"{column} >= %s")
            params.append(self.since)
        if self.until is not None:
            parts.append(f"{column} <= %s")
            params.append(self.until)
        return (" AND ".join(parts), params)


def _where(conditions: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    parts = [c for c, _ in conditions if c]
    params = [p for _, ps in conditions for p in ps]
    return (" WHERE " + " AND ".join(parts) if parts else "", params)


def _select(cur: Cursor, statement: str, params: list[Any], streamed: bool) -> Iterable[tuple[Any, ...]]:
    """The rows of a query: streamed (a server-side cursor on PostgreSQL: bounded memory, but a few
    round trips more), or fetched at once (the faster for answers known to be short)."""
    return cur.stream(statement, params) if streamed else cur.execute(statement, params).fetchall()


def findings(db: Database, cur: Cursor, *, rule: str | None = None, org: str | None = None,
             user: str | None = None, subject: str | None = None, severity: str | None = None,
             window: Window = Window(), review: str | None = None) -> list[dict[str, Any]]:
    """Findings matching every filter given, sorted by (at, event, rule) (CONTRACT §6)."""
    return list(iter_findings(db, cur, rule=rule, org=org, user=user, subject=subject, severity=severity,
                              window=window, review=review, streamed=False))


def _review_condition(db: Database, review: str | None) -> tuple[str, list[Any]]:
    """The SQL of a review-state filter (:data:`REVIEW_STATES`): the latest review's verdict decides."""
    if review is None:
        return "", []
    if review not in REVIEW_STATES:
        raise ValueError(f"unknown review state {review!r}")
    findings, reviews = db.table("v_findings"), db.table("v_reviews")
    if review == "unreviewed":
        return f"NOT EXISTS (SELECT 1 FROM {reviews} r WHERE r.finding = {findings}.finding)", []
    return (f"(SELECT r.verdict FROM {reviews} r WHERE r.finding = {findings}.finding "
            "ORDER BY r.position DESC LIMIT 1) = %s", [review])


def _finding_conditions(db: Database, rule: str | None, org: str | None, user: str | None, subject: str | None,
                        severity: str | None, window: Window, review: str | None) -> list[tuple[str, list[Any]]]:
    conditions = [(f"{col} = %s", [value]) for col, value in
                  (("rule", rule), ("org", org), ("usr", user), ("subject", subject), ("severity", severity))
                  if value is not None]
    conditions.append(window.sql())
    conditions.append(_review_condition(db, review))
    return conditions


def iter_findings(db: Database, cur: Cursor, *, rule: str | None = None, org: str | None = None,
                  user: str | None = None, subject: str | None = None, severity: str | None = None,
                  window: Window = Window(), review: str | None = None,
                  streamed: bool = True) -> Iterator[dict[str, Any]]:
    """:func:`findings`, one at a time (``streamed``: in bounded memory, for output of any length)."""
    where, params = _where(_finding_conditions(db, rule, org, user, subject, severity, window, review))
    for r in _select(cur, f"SELECT finding, rule, severity, event, at_text, org, usr, subject, explanation "
                          f"FROM {db.table('v_findings')}{where} ORDER BY at, event, rule, finding", params, streamed):
        yield dict(zip(FINDING_FIELDS, r, strict=True))


#: where a page of findings ended: (at in µs, event, rule, finding), the sort key of the last one
FindingKey = tuple[int, str, str, str]


def findings_page(db: Database, cur: Cursor, *, limit: int, after: FindingKey | None = None,
                  rule: str | None = None, org: str | None = None, user: str | None = None,
                  subject: str | None = None, severity: str | None = None, window: Window = Window(),
                  review: str | None = None) -> tuple[list[dict[str, Any]], FindingKey | None]:
    """Up to ``limit`` findings in :func:`findings`' order after the sort key ``after``, and the key
    to continue from (None: there are no more). Keyset paging: a page costs the same anywhere in
    a ledger of millions of findings, and findings judged meanwhile do not shift the pages."""
    conditions = _finding_conditions(db, rule, org, user, subject, severity, window, review)
    if after is not None:
        at, event, rule_, finding = after
        conditions.append(("at >= %s AND (at > %s OR event > %s OR (event = %s AND "
                           "(rule > %s OR (rule = %s AND finding > %s))))",
                           [at, at, event, event, rule_, rule_, finding]))
    where, params = _where(conditions)
    rows = cur.execute(f"SELECT at, finding, rule, severity, event, at_text, org, usr, subject, explanation "
                       f"FROM {db.table('v_findings')}{where} ORDER BY at, event, rule, finding LIMIT %s",
                       [*params, limit + 1]).fetchall()
    page = [dict(zip(FINDING_FIELDS, shown, strict=True)) for _, *shown in rows[:limit]]
    if len(rows) <= limit:
        return page, None
    at, finding, rule_, _, event, *_ = rows[limit - 1]
    return page, (at, event, rule_, finding)


def count_findings(db: Database, cur: Cursor, *, rule: str | None = None, org: str | None = None,
                   user: str | None = None, subject: str | None = None, severity: str | None = None,
                   window: Window = Window(), review: str | None = None) -> int:
    where, params = _where(_finding_conditions(db, rule, org, user, subject, severity, window, review))
    return int(cur.scalar(f"SELECT COUNT(*) FROM {db.table('v_findings')}{where}", params))


def findings_by_event(db: Database, cur: Cursor, events: list[str]) -> dict[str, list[str]]:
    """``{event: [rule, …]}`` (sorted rule ids) for the given events."""
    out: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(events), 500):
        marks, params = db.in_list(events[i : i + 500])
        for event, rule in cur.execute(
                f"SELECT event, rule FROM {db.table('v_findings')} WHERE event IN {marks} ORDER BY rule", params):
            out[event].append(rule)
    return out


def customers_with_hetu_index(db: Database, cur: Cursor, hetu_index: str) -> list[str]:
    return [customer for (customer,) in cur.execute(
        f"SELECT customer FROM {db.table('v_hetu_index')} WHERE hetu_index = %s ORDER BY customer", (hetu_index,))]


def is_known(db: Database, cur: Cursor, entity: str) -> bool:
    """Whether any fact names ``entity`` (a customer, employer or user id): it was registered, an
    act the rules judged referred to it unregistered, or a view names it."""
    for table, column in (("registered", "entity"), ("unknown_refs", "entity"), ("views", "subject"),
                          ("views", "usr")):
        if cur.execute(f"SELECT 1 FROM {db.table('v_' + table)} WHERE {column} = %s LIMIT 1", (entity,)).fetchone():
            return True
    return False


def access_log(db: Database, cur: Cursor, *, subjects: list[str] | None = None, user: str | None = None,
               window: Window = Window()) -> list[dict[str, Any]]:
    """Every view of the given subjects or by the given user, sorted by (at, event)."""
    if subjects is None or user is not None:
        return list(iter_access_log(db, cur, subjects=subjects, user=user, window=window, streamed=False))
    return _views_of_subjects(db, cur, subjects, window)


def _views_of_subjects(db: Database, cur: Cursor, subjects: list[str], window: Window) -> list[dict[str, Any]]:
    """The access log of a person in one query that reads the findings about the same subjects
    once — every finding on a view names the viewed subject (``policies.judge``) — rather than
    probing the findings once per view (2.5–3 times the raw look-up at 10 M events on PostgreSQL;
    1.3 times this way)."""
    if not subjects:
        return []
    if len(subjects) == 1:  # the usual case, as a plain equality: PostgreSQL plans it better than a list
        marks, params = "= %s", list(subjects)
    else:
        listed, params = db.in_list(subjects)
        marks = f"IN {listed}"
    span, span_params = window.sql()
    view_span, _ = window.sql("v.at")
    rows = cur.execute(
        f"SELECT v.event, v.at_text, v.usr, v.org, v.subject, v.purpose, v.categories, f.rules "
        f"FROM {db.table('v_views')} v LEFT JOIN (SELECT event, {_concat(db)} AS rules "
        f"FROM {db.table('v_findings')} WHERE subject {marks}" + (f" AND {span}" if span else "") +
        f" GROUP BY event) f ON f.event = v.event WHERE v.subject {marks}" +
        (f" AND {view_span}" if view_span else "") + " ORDER BY v.at, v.event",
        [*params, *span_params, *params, *span_params]).fetchall()
    return [_access_row(*r) for r in rows]


def iter_access_log(db: Database, cur: Cursor, *, subjects: list[str] | None = None, user: str | None = None,
                    window: Window = Window(), streamed: bool = True) -> Iterator[dict[str, Any]]:
    """:func:`access_log`, one view at a time (``streamed``: in bounded memory, for an official who
    viewed millions of records)."""
    if subjects is not None and not subjects:
        return
    statement, params = _access_select(db, subjects, user, window, None)
    for r in _select(cur, statement, params, streamed):
        yield _access_row(*r)


#: where a page of the access log ended: (at in µs, event) of its last view
ViewKey = tuple[int, str]


def access_log_page(db: Database, cur: Cursor, *, limit: int, after: ViewKey | None = None,
                    subjects: list[str] | None = None, user: str | None = None,
                    window: Window = Window()) -> tuple[list[dict[str, Any]], ViewKey | None]:
    """Up to ``limit`` rows of :func:`access_log` after ``after``, and the key to continue from
    (None: there are no more); keyset pages, as :func:`findings_page`."""
    if subjects is not None and not subjects:
        return [], None
    statement, params = _access_select(db, subjects, user, window, after)
    rows = cur.execute(statement + " LIMIT %s", [*params, limit + 1]).fetchall()
    page = [_access_row(*r) for r in rows[:limit]]
    if len(rows) <= limit:
        return page, None
    event, *_, at = rows[limit - 1]
    return page, (at, event)


def _access_select(db: Database, subjects: list[str] | None, user: str | None, window: Window,
                   after: ViewKey | None) -> tuple[str, list[Any]]:
    conditions: list[tuple[str, list[Any]]] = [window.sql()]
    if subjects is not None:
        marks, params = db.in_list(subjects)
        conditions.append((f"subject IN {marks}", params))
    if user is not None:
        conditions.append(("usr = %s", [user]))
    if after is not None:
        at, event = after
        conditions.append(("at >= %s AND (at > %s OR event > %s)", [at, at, event]))
    where, params = _where(conditions)
    rules = (f"(SELECT {_concat(db)} FROM {db.table('v_findings')} f WHERE f.event = v.event)")
    return (f"SELECT event, at_text, usr, org, subject, purpose, categories, {rules}, at "
            f"FROM {db.table('v_views')} v{where} ORDER BY at, event", params)


def _access_row(event: str, at_text: str, usr: str, org: str | None, subject: str, purpose: str, categories: str,
                rules: str | None, at: int | None = None) -> dict[str, Any]:
    """One view in the contract's shape, from the columns :func:`_access_select` selects (``at``, the
    sort key, is left out)."""
    return {"event": event, "at": at_text, "user": usr, "org": org, "subject": subject, "purpose": purpose,
            "categories": orjson.loads(categories), "findings": sorted(rules.split(",")) if rules else []}


def _concat(db: Database) -> str:
    return db.string_agg("rule", ",")


def ledger_queries_about(db: Database, cur: Cursor, *, subjects: list[str], hetu_index: str | None = None,
                         user: str | None = None) -> list[dict[str, Any]]:
    """Who queried the ledger about these customers (or this user): logging the loggers."""
    conditions, params = [], []
    if subjects:
        marks, ps = db.in_list(subjects)
        conditions.append(f"subject IN {marks}")
        params += ps
    if hetu_index:
        conditions.append("hetu_index = %s")
        params.append(hetu_index)
    if user:
        conditions.append("usr = %s")
        params.append(user)
    if not conditions:
        return []
    rows = cur.execute(
        f"SELECT event, at_text, asker, purpose, command, refused FROM {db.table('v_queries')} "
        f"WHERE {' OR '.join(conditions)} ORDER BY at, event", params).fetchall()
    return [{"event": event, "at": at_text, "asker": asker, "purpose": purpose, "command": command,
             "refused": bool(refused)} for event, at_text, asker, purpose, command, refused in rows]
