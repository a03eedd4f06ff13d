"""Supervision metrics per experiment area (AVI) and per TE office and month (monitoring).

Counts come from the read model with indexed aggregate queries over a valid-time window:
customers at the window's end (the responsibility timeline), transfers in and out, record views
by the area's users, decisions by the area, findings about the area by rule, complaints by topic.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson

from ledger.db import Cursor, Database
from policies.localtime import HELSINKI, local, wall_clock
from projections.queries import Window
from projections.risk import AreaVolume, reviewed_counts, risk
from projections.schema import from_micros, micros

COMPLAINT_DIMENSIONS = {"data_protection": "data_protection", "equal_treatment": "equal_treatment",
                        "language": "language"}


def organisations(db: Database, cur: Cursor) -> dict[str, dict[str, Any]]:
    """Every registered organisation: ``{org: {"kind", "name", "te_office"}}`` (latest registration)."""
    out: dict[str, dict[str, Any]] = {}
    for org, payload in cur.execute(
            f"SELECT org, payload FROM {db.table('v_org_facts')} WHERE type = 'organisation.registered' "
            "ORDER BY at, event"):
        d = orjson.loads(payload)
        out[org] = {"kind": d["kind"], "name": d["name"], "te_office": d.get("te_office")}
    return out


_FACT_TABLES = ("v_org_facts", "v_customer_facts", "v_views")


def bounds(db: Database, cur: Cursor, window: Window, *, within: bool = False) -> tuple[int, int]:
    """The window, with open ends filled by the earliest fact and the horizon. ``within`` (for a
    closed window): the earliest fact and the horizon inside it, the latest fact inside it when the
    horizon is not (the span of the facts a report over months covers)."""
    span, params = window.sql() if within else ("", [])
    where = f" WHERE {span}" if span else ""
    firsts = [cur.scalar(f"SELECT MIN(at) FROM {db.table(t)}{where}", params) for t in _FACT_TABLES]
    first = min((f for f in firsts if f is not None), default=None)
    horizon = cur.scalar(f"SELECT at FROM {db.table('v_horizon')} WHERE id = 1")
    if within and horizon is not None and not (window.since or 0) <= horizon <= (window.until or 0):
        lasts = [cur.scalar(f"SELECT MAX(at) FROM {db.table(t)}{where}", params)
                 for t in (*_FACT_TABLES, "v_decisions")]
        horizon = max((x for x in lasts if x is not None), default=None)
    if within:
        return min((x for x in (first, horizon) if x is not None), default=0), horizon or 0
    start = window.since if window.since is not None else min((x for x in (first, horizon) if x is not None), default=0)
    end = window.until if window.until is not None else (horizon or 0)
    return start, end


def _grouped(cur: Cursor, sql: str, params: list[Any]) -> dict[str, int]:
    return {k: int(n) for k, n in cur.execute(sql, params) if k is not None}


def _counts(db: Database, cur: Cursor, start: int, end: int) -> dict[str, Any]:
    t = db.table
    span = [start, end]
    return {
        "customers": _grouped(cur, f"SELECT org, COUNT(*) FROM {t('v_responsibility')} WHERE from_at <= %s "
                                   "AND (to_at IS NULL OR to_at > %s) GROUP BY org", [end, end]),
        "views": _grouped(cur, f"SELECT org, COUNT(*) FROM {t('v_views')} WHERE at >= %s AND at <= %s GROUP BY org",
                          span),
        "decisions": _grouped(cur, f"SELECT org, COUNT(*) FROM {t('v_decisions')} WHERE at >= %s AND at <= %s "
                                   "GROUP BY org", span),
        "transfers_in": _transfers(db, cur, "to", span),
        "transfers_out": _transfers(db, cur, "from", span),
    }


def _transfers(db: Database, cur: Cursor, side: str, span: list[int]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for (payload,) in cur.execute(
            f"SELECT payload FROM {db.table('v_customer_facts')} WHERE type = 'customer.transferred' "
            "AND at >= %s AND at <= %s", span):
        out[orjson.loads(payload)[side]] += 1
    return out


def _by_org_and(cur: Cursor, sql: str, params: list[Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for org, key, n in cur.execute(sql, params):
        if org is not None:
            out[org][key] = int(n)
    return out


def area_report(db: Database, cur: Cursor, window: Window) -> dict[str, Any]:
    """The AVI report (CONTRACT §6 ``supervision``): every experiment area with counts, findings by
    rule, risk scores 0–100 and rank 1 = highest overall risk."""
    start, end = bounds(db, cur, window)
    orgs = organisations(db, cur)
    counts = _counts(db, cur, start, end)
    findings = _by_org_and(cur, f"SELECT org, rule, COUNT(*) FROM {db.table('v_findings')} WHERE at >= %s "
                                "AND at <= %s GROUP BY org, rule", [start, end])
    reviewed = _reviewed(db, cur, start, end)
    complaints = _by_org_and(cur, f"SELECT org, json_topic, COUNT(*) FROM (SELECT org, {_topic(db)} AS json_topic "
                                  f"FROM {db.table('v_others')} WHERE type = 'complaint.filed' AND at >= %s "
                                  "AND at <= %s) c GROUP BY org, json_topic", [start, end])
    areas = []
    for org in sorted(o for o, info in orgs.items() if info["kind"] == "experiment_area"):
        volume = AreaVolume(customers=counts["customers"].get(org, 0), views=counts["views"].get(org, 0),
                            decisions=counts["decisions"].get(org, 0), transfers_in=counts["transfers_in"].get(org, 0))
        by_rule = dict(sorted(findings.get(org, {}).items()))
        areas.append({
            "org": org, "name": orgs[org]["name"], "customers": volume.customers,
            "transfers_in": volume.transfers_in, "transfers_out": counts["transfers_out"].get(org, 0),
            "views": volume.views, "decisions": volume.decisions, "findings": by_rule,
            "complaints": dict(sorted(complaints.get(org, {}).items())),
            "reviewed": _verdict_totals(reviewed.get(org, {})),
            "risk": risk(volume, reviewed_counts(by_rule, reviewed.get(org, {})), complaints.get(org, {})),
        })
    areas.sort(key=lambda a: (-a["risk"]["overall"], a["org"]))
    for rank, area in enumerate(areas, start=1):
        area["rank"] = rank
    return {"from": _text(start), "to": _text(end), "areas": areas}


def _reviewed(db: Database, cur: Cursor, start: int, end: int) -> dict[str, dict[str, dict[str, int]]]:
    """``{org: {rule: {verdict: n}}}`` of the period's findings by their latest review's verdict
    (reviews are few: read them all and keep each finding's latest)."""
    latest: dict[str, tuple[str, str, str]] = {}
    for org, rule, finding, verdict in cur.execute(
            f"SELECT f.org, f.rule, r.finding, r.verdict FROM {db.table('v_reviews')} r "
            f"JOIN {db.table('v_findings')} f ON f.finding = r.finding "
            "WHERE f.at >= %s AND f.at <= %s ORDER BY r.position", [start, end]):
        if org is not None:
            latest[finding] = (org, rule, verdict)
    out: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for org, rule, verdict in latest.values():
        out[org][rule][verdict] += 1
    return {o: {r: dict(v) for r, v in rules.items()} for o, rules in out.items()}


def _verdict_totals(by_rule: dict[str, dict[str, int]]) -> dict[str, int]:
    totals = {"justified": 0, "violation": 0}
    for verdicts in by_rule.values():
        for verdict, n in verdicts.items():
            totals[verdict] += n
    return totals


def _topic(db: Database) -> str:
    return db.json_text("payload", "topic")


def _text(us: int) -> str:
    return wall_clock(from_micros(us)).isoformat()


# ---------------------------------------------------------------------- monitoring (per TE office and month)


def month_bounds(month: str) -> tuple[int, int]:
    """``YYYY-MM`` → (first, last) microsecond of that month in Helsinki local time."""
    first = date.fromisoformat(month + "-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start = datetime.combine(first, time(), HELSINKI)
    end = datetime.combine(following, time(), HELSINKI) - timedelta(microseconds=1)
    return micros(start), micros(end)


def months_between(start: int, end: int) -> list[str]:
    a, b = local(from_micros(start)), local(from_micros(end))
    out, y, m = [], a.year, a.month
    while (y, m) <= (b.year, b.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monitoring(db: Database, cur: Cursor, months: list[str]) -> dict[str, Any]:
    """CONTRACT §6 ``monitoring``: per month and TE office, each area's customers at month end, its
    share of the region's experiment customers, transfers, decisions by kind and outcome, findings."""
    orgs = organisations(db, cur)
    regions: dict[str, list[str]] = defaultdict(list)
    for org, info in sorted(orgs.items()):
        if info["kind"] == "experiment_area" and info["te_office"]:
            regions[info["te_office"]].append(org)
    out = []
    for month in months:
        start, end = month_bounds(month)
        counts = _counts(db, cur, start, end)
        decisions = _decisions_by_kind(db, cur, start, end)
        findings = _by_org_and(cur, f"SELECT org, rule, COUNT(*) FROM {db.table('v_findings')} WHERE at >= %s "
                                    "AND at <= %s GROUP BY org, rule", [start, end])
        for te_office, areas in sorted(regions.items()):
            region_total = sum(counts["customers"].get(a, 0) for a in areas)
            out.append({"month": month, "te_office": te_office, "areas": [{
                "org": a, "customers": counts["customers"].get(a, 0),
                "share": round(counts["customers"].get(a, 0) / region_total, 4) if region_total else 0.0,
                "transfers_in": counts["transfers_in"].get(a, 0), "transfers_out": counts["transfers_out"].get(a, 0),
                "decisions": decisions.get(a, {}), "findings": dict(sorted(findings.get(a, {}).items())),
            } for a in areas]})
    return {"months": out}


def _decisions_by_kind(db: Database, cur: Cursor, start: int, end: int) -> dict[str, dict[str, dict[str, int]]]:
    out: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for org, kind, outcome, n in cur.execute(
            f"SELECT org, kind, outcome, COUNT(*) FROM {db.table('v_decisions')} WHERE at >= %s AND at <= %s "
            "GROUP BY org, kind, outcome ORDER BY org, kind, outcome", [start, end]):
        if org is not None:
            out[org][kind][outcome] = int(n)
    return {org: {k: dict(v) for k, v in kinds.items()} for org, kinds in out.items()}
