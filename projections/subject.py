"""The data subject's own view of the read model, and the retention clock.

``report_rows`` is what GDPR Art. 15 owes a person as the CJEU read it in *Pankki S* (C-579/21):
the dates, organisations, purposes and data categories of every consultation of their data, and
every decision about them — never the identity of the official (no user id is selected here) —
and whether the ledger's log monitoring raised a finding on it. Estonia's Data Tracker is the
anchor: when, by which institution, for what purpose.

``last_seen_before`` feeds ``lokikirja retention``: customers whose latest source fact is older
than a cut-off and whose personal data is still readable.
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.db import Cursor, Database
from policies.localtime import wall_clock
from projections.queries import Window, customers_with_hetu_index
from projections.schema import from_micros

REPORT_FIELDS = ("at", "org", "purpose", "categories", "kind", "finding")

#: Where a source fact names a customer: (read-model table, column). The ledger's own facts
#: (``ledger.queried``, ``subject.erased``, …) are not the customer's dealings with the services.
CUSTOMER_COLUMNS = (("v_customer_facts", "customer"), ("v_views", "subject"), ("v_decisions", "customer"),
                    ("v_others", "customer"))


def customers_of(db: Database, cur: Cursor, *, subject: str | None = None,
                 hetu_index: str | None = None) -> list[str]:
    """The customer ids a report is about: the one given, or those the HETU's blind index finds
    (none once erased: the index rows of an erased customer are deleted)."""
    if subject is not None:
        return [subject]
    return customers_with_hetu_index(db, cur, hetu_index) if hetu_index else []


def _finding_flag(db: Database, alias: str) -> str:
    return f"EXISTS (SELECT 1 FROM {db.table('v_findings')} f WHERE f.event = {alias}.event)"


def report_rows(db: Database, cur: Cursor, customers: list[str], window: Window = Window()) -> list[dict[str, Any]]:
    """One row per view of and per decision on ``customers``, sorted by (at, event).

    Views: ``kind`` is null. Decisions: ``purpose`` and ``categories`` are null (a decision
    is not a consultation made for a purpose; its kind says what it was).
    """
    if not customers:
        return []
    marks, params = db.in_list(customers)
    span, span_params = window.sql("at")
    extra = f" AND {span}" if span else ""
    views = cur.execute(
        f"SELECT at, event, at_text, org, purpose, categories, {_finding_flag(db, 'v')} "
        f"FROM {db.table('v_views')} v WHERE subject IN {marks}{extra}", [*params, *span_params]).fetchall()
    decisions = cur.execute(
        f"SELECT at, event, at_text, org, kind, {_finding_flag(db, 'd')} "
        f"FROM {db.table('v_decisions')} d WHERE customer IN {marks}{extra}", [*params, *span_params]).fetchall()
    rows = [((at, event), {"at": at_text, "org": org, "purpose": purpose, "categories": orjson.loads(categories),
                           "kind": None, "finding": bool(finding)})
            for at, event, at_text, org, purpose, categories, finding in views]
    rows += [((at, event), {"at": at_text, "org": org, "purpose": None, "categories": None, "kind": kind,
                            "finding": bool(finding)})
             for at, event, at_text, org, kind, finding in decisions]
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


def latest_language(db: Database, cur: Cursor, customers: list[str]) -> str | None:
    """The customer's language in force at the latest fact that set it (``fi``·``sv``·``se``·``other``)."""
    if not customers:
        return None
    marks, params = db.in_list(customers)
    for (payload,) in cur.execute(
            f"SELECT payload FROM {db.table('v_customer_facts')} WHERE customer IN {marks} "
            f"AND type IN ('customer.registered', 'customer.changed') ORDER BY at DESC, position DESC", params):
        language = orjson.loads(payload).get("language")
        if language:
            return str(language)
    return None


def identity_positions(db: Database, cur: Cursor, customers: list[str]) -> list[int]:
    """Log positions of the facts that carry the customers' HETU and name (to decrypt them)."""
    if not customers:
        return []
    marks, params = db.in_list(customers)
    return [position for (position,) in cur.execute(
        f"SELECT position FROM {db.table('v_customer_facts')} WHERE customer IN {marks} "
        f"AND type IN ('customer.registered', 'customer.changed') ORDER BY at, position", params)]


def erased(db: Database, cur: Cursor, customers: list[str]) -> set[str]:
    """Which of ``customers`` the read model knows as erased."""
    if not customers:
        return set()
    marks, params = db.in_list(customers)
    return {customer for (customer,) in cur.execute(
        f"SELECT customer FROM {db.table('v_erased')} WHERE customer IN {marks}", params)}


def org_names(db: Database, cur: Cursor, orgs: list[str]) -> dict[str, str]:
    """The registered name of each organisation (its latest registration)."""
    wanted = sorted({o for o in orgs if o})
    if not wanted:
        return {}
    marks, params = db.in_list(wanted)
    out: dict[str, str] = {}
    for org, payload in cur.execute(
            f"SELECT org, payload FROM {db.table('v_org_facts')} WHERE org IN {marks} "
            f"AND type = 'organisation.registered' ORDER BY at, position", params):
        out[org] = str(orjson.loads(payload).get("name") or org)
    return out


def last_seen_before(db: Database, cur: Cursor, cutoff: int) -> list[dict[str, Any]]:
    """Customers whose latest source fact (valid time ``at``) is before ``cutoff`` (µs since the
    epoch) and whose data key still exists; sorted by customer id, ``last_event`` in Helsinki time."""
    union = " UNION ALL ".join(f"SELECT {column} AS customer, at FROM {db.table(table)}"
                               for table, column in CUSTOMER_COLUMNS)
    rows = cur.execute(
        f"SELECT customer, MAX(at) FROM ({union}) seen "
        f"WHERE customer IN (SELECT subject FROM {db.table('data_keys')}) "
        f"AND customer NOT IN (SELECT customer FROM {db.table('v_erased')}) "
        f"GROUP BY customer HAVING MAX(at) < %s ORDER BY customer", (cutoff,)).fetchall()
    return [{"customer": c, "last_event": wall_clock(from_micros(at)).isoformat()} for c, at in rows]
