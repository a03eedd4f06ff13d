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

from datetime import timedelta
from typing import Any

from ledger.db import Cursor, Database
from policies import monitoring, transfer
from projections.intake import Touched
from projections.schema import from_micros, micros
from projections.world import DbWorld

WINDOW = micros(from_micros(0) + timedelta(minutes=60)) - micros(from_micros(0))


def recompute_bulk(db: Database, cur: Cursor, touched: Touched) -> None:
    earliest: dict[str, int] = {}
    latest: dict[str, int] = {}
    for f in touched.new_acts:
        if f.type == "record.viewed" and f.actor.startswith("u:"):
            at = micros(f.at)
            earliest[f.actor] = min(at, earliest.get(f.actor, at))
            latest[f.actor] = max(at, latest.get(f.actor, at))
    for user in sorted(earliest):
        _recompute_user(db, cur, user, earliest[user], latest[user])


def _recompute_user(db: Database, cur: Cursor, user: str, first_new: int, last_new: int) -> None:
    """Resume the user's bulk state just before the earliest new view and recompute forward."""
    views = db.table("v_views")
    rows = cur.execute(
        f"SELECT position, event, at, at_text, subject, bulk_count, bulk_armed, org FROM {views} "
        "WHERE usr = %s AND at >= %s ORDER BY at, event", (user, first_new - WINDOW)).fetchall()
    start = next(i for i, r in enumerate(rows) if r[2] >= first_new)
    if start > 0:
        armed = bool(rows[start - 1][6]) if rows[start - 1][6] is not None else True
    else:
        before = cur.execute(
            f"SELECT bulk_armed FROM {views} WHERE usr = %s AND at < %s ORDER BY at DESC, event DESC LIMIT 1",
            (user, first_new - WINDOW)).fetchone()
        armed = True if before is None or before[0] is None else bool(before[0])
    sequence = [monitoring.BulkView(at=from_micros(r[2]), event=r[1], subject=r[4]) for r in rows]
    stored = [None if r[6] is None else bool(r[6]) for r in rows[start:]]
    states = monitoring.resume_bulk(sequence, start=start, armed_before=armed, stored_armed=stored,
                                    settled_after=from_micros(last_new + WINDOW))
    recomputed = rows[start : start + len(states)]
    cur.executemany(f"UPDATE {views} SET bulk_count = %s, bulk_armed = %s WHERE position = %s",
                    [(s.count, int(s.armed_after), r[0]) for r, s in zip(recomputed, states, strict=True)])
    triggered = [(r[0], r[1], r[2], r[3], monitoring.bulk_verdict(
        user=user, subject=r[4], org=r[7], count=s.count, at=from_micros(r[2])))
        for r, s in zip(recomputed, states, strict=True) if s.triggered]
    _replace_rule(db, cur, "ACCESS_BULK", [r[0] for r in recomputed], triggered)


def _replace_rule(db: Database, cur: Cursor, rule: str, positions: list[int], rows: list[tuple[Any, ...]]) -> None:
    from projections.findings_engine import finding_row, insert_findings

    table = db.table("v_findings")
    for i in range(0, len(positions), 500):
        marks, params = db.in_list(positions[i : i + 500])
        cur.execute(f"DELETE FROM {table} WHERE rule = %s AND position IN {marks}", [rule, *params])
    insert_findings(db, cur, [finding_row(p, e, at, text, v) for p, e, at, text, v in rows])


# ---------------------------------------------------------------------- customers


def customers_to_recompute(db: Database, cur: Cursor, touched: Touched) -> set[str]:
    customers = set(touched.customers)
    if touched.orgs_since is not None and touched.municipalities:
        named = sorted(touched.municipalities)
        marks, params = db.in_list(named)
        customers |= {r[0] for r in cur.execute(
            f"SELECT customer FROM {db.table('v_customer_homes')} WHERE municipality IN {marks}", params)}
    horizon = cur.execute(f"SELECT at FROM {db.table('v_horizon')} WHERE id = 1").fetchone()
    if horizon is not None:
        customers |= {r[0] for r in cur.execute(
            f"SELECT customer FROM {db.table('v_missed_state')} WHERE next_check <= %s", (horizon[0],))}
    return customers


def recompute_customers(db: Database, cur: Cursor, world: DbWorld, touched: Touched) -> None:
    customers = sorted(customers_to_recompute(db, cur, touched))
    if not customers:
        return
    horizon_row = cur.execute(f"SELECT at FROM {db.table('v_horizon')} WHERE id = 1").fetchone()
    horizon = from_micros(horizon_row[0]) if horizon_row else None
    world.load_customers([c for c in customers if c not in world._customers])
    events: dict[str, tuple[int, int, str]] = _event_positions(db, cur, customers)
    findings: list[tuple[Any, ...]] = []
    states: list[tuple[Any, ...]] = []
    timeline: list[tuple[Any, ...]] = []
    for customer in customers:
        history = world.customer(customer)
        if history is None:
            states.append((customer, None))
            continue
        for episode in transfer.missed_transfers(history, world.orgs, horizon):
            position, at, text = events.get(episode.event, (0, micros(episode.start), episode.start.isoformat()))
            findings.append((position, episode.event, at, text, transfer.missed_verdict(episode, history)))
        check = transfer.next_check_at(history, world.orgs, horizon)
        states.append((customer, None if check is None else micros(check)))
        timeline += [(customer, i, org, micros(start), start.isoformat(), None if end is None else micros(end),
                      None if end is None else end.isoformat())
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
                     states: list[tuple[Any, ...]], timeline: list[tuple[Any, ...]]) -> None:
    from projections.findings_engine import finding_row, insert_findings

    table = db.table("v_findings")
    for i in range(0, len(customers), 500):
        marks, params = db.in_list(customers[i : i + 500])
        cur.execute(f"DELETE FROM {table} WHERE rule = 'TRANSFER_MISSED' AND subject IN {marks}", params)
        cur.execute(f"DELETE FROM {db.table('v_responsibility')} WHERE customer IN {marks}", params)
        cur.execute(f"DELETE FROM {db.table('v_missed_state')} WHERE customer IN {marks}", params)
    insert_findings(db, cur, [finding_row(p, e, at, text, v) for p, e, at, text, v in findings])
    cur.executemany(f"INSERT INTO {db.table('v_missed_state')} VALUES (%s, %s)", states)
    cur.executemany(f"INSERT INTO {db.table('v_responsibility')} VALUES (%s, %s, %s, %s, %s, %s, %s)", timeline)
