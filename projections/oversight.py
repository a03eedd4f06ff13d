"""Read queries behind role scopes and the oversight pages (HTTP API and web UI).

- which of some customers an organisation was ever (or is now) responsible for, and which users
  ever belonged to it — what a data-protection officer or an area user may look into;
- one finding by id, and the reviews (``finding.reviewed``) of findings;
- findings per month (Europe/Helsinki) and severity, for the charts of findings over time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import orjson

from ledger.db import Cursor, Database
from policies.localtime import local
from projections import supervision
from projections.queries import FINDING_FIELDS, Window
from projections.schema import from_micros

_BATCH = 500


def _in_batches(db: Database, cur: Cursor, sql: str, keys: Iterable[str], head: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (with ``{marks}`` for ``IN``) over ``keys`` in batches; ``head``: leading params."""
    values = sorted(set(keys))
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(values), _BATCH):
        marks, params = db.in_list(values[i : i + _BATCH])
        rows += cur.execute(sql.format(marks=marks), [*head, *params]).fetchall()
    return rows


def customers_of(db: Database, cur: Cursor, org: str, customers: Iterable[str], *, now_only: bool = False) -> set[str]:
    """The ``customers`` whose responsibility timeline includes ``org`` — at any time, or with
    ``now_only`` at the horizon (an open interval: not transferred away nor deregistered)."""
    current = " AND to_at IS NULL" if now_only else ""
    sql = (f"SELECT DISTINCT customer FROM {db.table('v_responsibility')} WHERE org = %s{current} "
           "AND customer IN {marks}")
    return {customer for (customer,) in _in_batches(db, cur, sql, customers, [org])}


def users_of(db: Database, cur: Cursor, org: str, users: Iterable[str]) -> set[str]:
    """The ``users`` registered (``user.registered``) with ``org`` at any time."""
    sql = (f"SELECT usr, payload FROM {db.table('v_user_facts')} WHERE type = 'user.registered' "
           "AND usr IN {marks}")
    return {usr for usr, payload in _in_batches(db, cur, sql, users, []) if orjson.loads(payload).get("org") == org}


def finding(db: Database, cur: Cursor, finding_id: str) -> dict[str, Any] | None:
    """One finding in the contract's JSON shape, or ``None``."""
    row = cur.execute(
        f"SELECT finding, rule, severity, event, at_text, org, usr, subject, explanation "
        f"FROM {db.table('v_findings')} WHERE finding = %s", (finding_id,)).fetchone()
    return None if row is None else dict(zip(FINDING_FIELDS, row, strict=True))


def reviews(db: Database, cur: Cursor, findings: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """``{finding: [{"verdict", "note", "reviewer", "at"}, …]}`` in recording order, latest last."""
    sql = (f"SELECT finding, verdict, note, reviewer, at_text FROM {db.table('v_reviews')} "
           "WHERE finding IN {marks} ORDER BY position")
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f, verdict, note, reviewer, at in _in_batches(db, cur, sql, findings, []):
        out[f].append({"verdict": verdict, "note": note, "reviewer": reviewer, "at": at})
    return dict(out)


def findings_per_month(db: Database, cur: Cursor, *, org: str | None = None,
                       window: Window = Window()) -> dict[str, dict[str, int]]:
    """``{"YYYY-MM": {severity: n}}`` of findings by their event's local month (Helsinki), sorted;
    only months within the supported times (:meth:`Window.supported`)."""
    span, params = window.supported().sql()
    conditions = [c for c in (span, "org = %s" if org is not None else "") if c]
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for at, severity in cur.execute(f"SELECT at, severity FROM {db.table('v_findings')}{where}",
                                    [*params, *([org] if org is not None else [])]):
        out[local(from_micros(at)).strftime("%Y-%m")][severity] += 1
    return {month: dict(out[month]) for month in sorted(out)}


def findings_grouped(db: Database, cur: Cursor, org: str, window: Window = Window()) -> dict[str, Any]:
    """An area's findings in the window grouped by official and by rule: ``{"officials": {user:
    {"severity": {severity: n}, "rules": {rule: n}, "total": n}}, "rules": {rule: {severity: n}}}``,
    each sorted by most findings first (then id); findings naming no official are under ``""``."""
    span, params = window.sql()
    where = " AND ".join(c for c in ("org = %s", span) if c)
    officials: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"severity": defaultdict(int), "rules": defaultdict(int), "total": 0})
    rules: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for usr, rule, severity, n in cur.execute(
            f"SELECT usr, rule, severity, COUNT(*) FROM {db.table('v_findings')} WHERE {where} "
            "GROUP BY usr, rule, severity", [org, *params]):
        official = officials[usr or ""]
        official["severity"][severity] += n
        official["rules"][rule] += n
        official["total"] += n
        rules[rule][severity] += n
    by_official = sorted(officials.items(), key=lambda kv: (-kv[1]["total"], kv[0]))
    return {"officials": {u: {"severity": dict(o["severity"]), "rules": dict(sorted(o["rules"].items())),
                              "total": o["total"]} for u, o in by_official},
            "rules": {r: dict(c) for r, c in sorted(rules.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))}}


def report_months(db: Database, cur: Cursor, month: str | None = None) -> list[str]:
    """The months a monitoring report covers: ``month``, else every month from the first fact to
    the horizon (none before the first fact), of the facts within the supported times
    (:meth:`Window.supported`: a stored fact at the edge of time does not stretch it)."""
    if month:
        return [month]
    start, end = supervision.bounds(db, cur, Window().supported(), within=True)
    return supervision.months_between(start, end) if end else []


def contract_area_report(report: dict[str, Any]) -> dict[str, Any]:
    """The supervision report in the contract's JSON (CONTRACT §6): areas without their complaint
    and review counts, which feed the risk scores and the HTML report and web pages only."""
    return {**report, "areas": [{k: v for k, v in a.items() if k not in _NOT_IN_CONTRACT} for a in report["areas"]]}


_NOT_IN_CONTRACT = frozenset({"complaints", "reviewed"})
