"""The sequence rules, recomputed where their sequence changed.

- ``ACCESS_BULK`` depends on one user's views in time order. New views of a user are judged by
  resuming the user's window state just before the earliest new view (stored per view as
  ``bulk_count``/``bulk_armed``) and recomputing forward; beyond the last new view's window the
  recomputation stops as soon as the state equals what was stored.
- ``TRANSFER_MISSED`` depends on one customer's whole history, the areas' municipalities and the
  horizon. It is recomputed for customers whose facts changed, who live in a municipality an
  organisation fact names, or whose stored ``next_check`` the horizon has passed. The same pass
  refreshes the customer's responsibility timeline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from ledger.db import Cursor, Database
from policies import monitoring, transfer
from policies.case import customer_sequence_verdicts
from policies.rulebook import Entity, Reads
from policies.rules import RULE_BOOK
from projections.findings_store import finding_row, insert_findings, rule_list
from projections.intake import Touched, insert_rows
from projections.schema import VIEWS, MissedState, Responsibility, View, from_micros, micros
from projections.world import DbWorld

WINDOW = micros(from_micros(0) + timedelta(minutes=60)) - micros(from_micros(0))


def recompute_bulk(db: Database, cur: Cursor, views: list[View]) -> list[tuple[Any, ...]]:
    """Recompute the bulk state of the users with new ``views`` (not yet stored) and return their
    rows with their state, to be inserted. Stored views whose state changed are updated; the
    recomputed views' ``ACCESS_BULK`` findings are replaced."""
    new: dict[str, list[View]] = defaultdict(list)
    for v in views:
        if v.usr.startswith("u:"):
            new[v.usr].append(v)
    first = {user: min(v.at for v in rows) for user, rows in new.items()}
    stored = _stored_views(db, cur, {user: at - WINDOW for user, at in first.items()})
    armed_before = _armed_before(db, cur, {user: at - WINDOW for user, at in first.items()
                                           if not any(v.at < at for v in stored[user])})
    states: dict[int, tuple[int, int]] = {}
    triggered: list[tuple[Any, ...]] = []
    for user in sorted(new):
        rows = sorted([*stored[user], *new[user]], key=_in_time)
        start = next(i for i, v in enumerate(rows) if v.at >= first[user])
        armed = rows[start - 1].bulk_armed if start > 0 else armed_before.get(user)
        sequence = [monitoring.BulkView(from_micros(v.at), v.event, v.subject) for v in rows]
        recomputed = monitoring.resume_bulk(
            sequence, start=start, armed_before=armed is None or bool(armed),
            stored_armed=[None if v.bulk_armed is None else bool(v.bulk_armed) for v in rows[start:]],
            settled_after=from_micros(max(v.at for v in new[user]) + WINDOW))
        for v, s in zip(rows[start : start + len(recomputed)], recomputed, strict=True):
            states[v.position] = (s.count, int(s.armed_after))
            if s.triggered:
                triggered.append((v.position, v.event, v.at, v.at_text, monitoring.bulk_verdict(
                    user=user, subject=v.subject, org=v.org, count=s.count, at=from_micros(v.at))))
    old = [v for user in sorted(stored) for v in stored[user] if v.position in states]
    # rewriting an unchanged state is a no-op, so only changed ones are written
    cur.executemany(f"UPDATE {db.table('v_views')} SET bulk_count = %s, bulk_armed = %s WHERE position = %s",
                    [(*states[v.position], v.position) for v in old
                     if states[v.position] != (v.bulk_count, v.bulk_armed)])
    # the page's own views have no finding yet
    _replace_rule(db, cur, "ACCESS_BULK", [v.position for v in old], triggered)
    return [_with_state(v, *states[v.position]) if v.position in states else v for v in views]


def _in_time(v: View) -> tuple[int, str]:
    return v.at, v.event


def _with_state(v: View, count: int, armed: int) -> tuple[Any, ...]:
    """The row of view ``v`` with its bulk state. Unpacked rather than ``v._replace``: this runs
    for every view of a rebuild, and ``_replace`` costs five times as much."""
    position, event, at, at_text, usr, org, subject, purpose, categories, _, _ = v
    return (position, event, at, at_text, usr, org, subject, purpose, categories, count, armed)


def _stored_views(db: Database, cur: Cursor, since: dict[str, int]) -> dict[str, list[View]]:
    """Each user's stored views at or after ``since[user]``."""
    out: dict[str, list[View]] = defaultdict(list)
    for pairs, params in _chunks(db, since):
        for row in cur.execute(
                f"{pairs} SELECT {VIEWS.select_list('v')} FROM {db.table('v_views')} v "
                "JOIN b ON v.usr = b.usr AND v.at >= b.since", params):
            view = VIEWS.row(row)
            out[view.usr].append(view)
    return out


def _armed_before(db: Database, cur: Cursor, since: dict[str, int]) -> dict[str, Any]:
    """Each user's stored ``bulk_armed`` of the latest view before ``since[user]`` (``None``: none)."""
    out: dict[str, Any] = {}
    for pairs, params in _chunks(db, since):
        out.update(cur.execute(
            f"{pairs} SELECT b.usr, (SELECT v.bulk_armed FROM {db.table('v_views')} v WHERE v.usr = b.usr "
            "AND v.at < b.since ORDER BY v.at DESC, v.event DESC LIMIT 1) FROM b", params).fetchall())
    return out


def _chunks(db: Database, since: dict[str, int]) -> Iterator[tuple[str, list[Any]]]:
    """``WITH b(usr, since) AS (…)`` over ``since``, 500 users at a time, and its parameters."""
    users = sorted(since)
    for i in range(0, len(users), 500):
        part = users[i : i + 500]
        relation, params = db.rows_relation(("text", "bigint"), [(u, since[u]) for u in part])
        yield f"WITH b(usr, since) AS ({relation})", params


def _replace_rule(db: Database, cur: Cursor, rule: str, positions: list[int], rows: list[tuple[Any, ...]]) -> None:
    table = db.table("v_findings")
    for i in range(0, len(positions), 500):
        marks, params = db.in_list(positions[i : i + 500])
        cur.execute(f"DELETE FROM {table} WHERE rule = %s AND position IN {marks}", [rule, *params])
    insert_findings(db, cur, [finding_row(p, e, at, text, v) for p, e, at, text, v in rows])


# ---------------------------------------------------------------------- customers


def _customer_rules_read(entity: Entity) -> bool:
    return any(r.per is Entity.CUSTOMER and Reads(entity) in r.reads for r in RULE_BOOK.sequence_rules)


def customers_to_recompute(db: Database, cur: Cursor, touched: Touched) -> set[str]:
    """The customers whose facts changed, and, as the per-customer sequence rules declare, those
    living in a municipality an organisation fact names and those whose next check the horizon
    has passed."""
    if not any(r.per is Entity.CUSTOMER for r in RULE_BOOK.sequence_rules):
        return set()
    customers = set(touched.customers)
    if touched.orgs_since is not None and touched.municipalities and _customer_rules_read(Entity.ORGANISATIONS):
        named = sorted(touched.municipalities)
        marks, params = db.in_list(named)
        customers |= {customer for (customer,) in cur.execute(
            f"SELECT customer FROM {db.table('v_customer_homes')} WHERE municipality IN {marks}", params)}
    horizon = _horizon(db, cur)
    if horizon is not None and _customer_rules_read(Entity.HORIZON):
        customers |= {customer for (customer,) in cur.execute(
            f"SELECT customer FROM {db.table('v_missed_state')} WHERE next_check <= %s", (horizon,))}
    return customers


def _horizon(db: Database, cur: Cursor) -> int | None:
    """The horizon's ``at`` (µs), None before the first source fact."""
    at: int | None = cur.scalar(f"SELECT at FROM {db.table('v_horizon')} WHERE id = 1")
    return at


def recompute_customers(db: Database, cur: Cursor, world: DbWorld, touched: Touched) -> None:
    customers = sorted(customers_to_recompute(db, cur, touched))
    if not customers:
        return
    horizon_at = _horizon(db, cur)
    horizon = None if horizon_at is None else from_micros(horizon_at)
    world.load_customers([c for c in customers if c not in world._customers])
    events: dict[str, tuple[int, int, str]] = _event_positions(db, cur, customers)
    findings: list[tuple[Any, ...]] = []
    states: list[MissedState] = []
    timeline: list[Responsibility] = []
    for customer in customers:
        history = world.customer(customer)
        if history is None:
            states.append(MissedState(customer, None))
            continue
        for event, start, v in customer_sequence_verdicts(history, world.orgs, horizon):
            position, at, text = events.get(event, (0, micros(start), start.isoformat()))
            findings.append((position, event, at, text, v))
        check = transfer.next_check_at(history, world.orgs, horizon)
        states.append(MissedState(customer, None if check is None else micros(check)))
        timeline += [Responsibility(customer, i, org, micros(start), start.isoformat(),
                                    None if end is None else micros(end), None if end is None else end.isoformat())
                     for i, (org, start, end) in enumerate(history.responsibility_intervals())]
    _store_customers(db, cur, customers, findings, states, timeline)


def _event_positions(db: Database, cur: Cursor, customers: list[str]) -> dict[str, tuple[int, int, str]]:
    out: dict[str, tuple[int, int, str]] = {}
    for i in range(0, len(customers), 500):
        marks, params = db.in_list(customers[i : i + 500])
        for event, position, at, text in cur.execute(
                f"SELECT event, position, at, at_text FROM {db.table('v_customer_facts')} "
                f"WHERE customer IN {marks}", params):
            out[event] = (position, at, text)
    for event, position, at, text in cur.execute(
            f"SELECT event, position, at, at_text FROM {db.table('v_org_facts')}"):
        out[event] = (position, at, text)
    return out


def _store_customers(db: Database, cur: Cursor, customers: list[str], findings: list[tuple[Any, ...]],
                     states: list[MissedState], timeline: list[Responsibility]) -> None:
    table = db.table("v_findings")
    rules = rule_list(str(r.rule.value) for r in RULE_BOOK.sequence_rules if r.per is Entity.CUSTOMER)
    for i in range(0, len(customers), 500):
        marks, params = db.in_list(customers[i : i + 500])
        cur.execute(f"DELETE FROM {table} WHERE rule IN {rules} AND subject IN {marks}", params)
        cur.execute(f"DELETE FROM {db.table('v_responsibility')} WHERE customer IN {marks}", params)
        cur.execute(f"DELETE FROM {db.table('v_missed_state')} WHERE customer IN {marks}", params)
    insert_findings(db, cur, [finding_row(p, e, at, text, v) for p, e, at, text, v in findings])
    # the customers' rows were deleted above: plain inserts (COPY on PostgreSQL)
    insert_rows(cur, db.table("v_missed_state"), states)
    insert_rows(cur, db.table("v_responsibility"), timeline)
