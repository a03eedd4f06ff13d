"""Intake: one page of facts written into the read model's fact tables, and what it touched.

Each fact goes to the table of its kind (state facts by entity, acts by type). The returned
:class:`Touched` says which entities' state changed and from which valid time, so that the
findings engine re-judges exactly the acts those changes can affect (ADR 0002).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from ledger.db import Cursor, Database
from ledger.events import LEDGER_TYPES, PERSONAL_FIELDS
from ledger.records import StoredFact
from projections.schema import micros

ALL_TIME = -(2**62)

ORG_TYPES = {"organisation.registered", "area.municipality_joined", "area.municipality_left"}
USER_TYPES = {"user.registered", "access.granted", "access.revoked"}
CUSTOMER_TYPES = {"customer.registered", "customer.changed", "customer.transferred",
                  "customer.transfer_withheld", "customer.deregistered"}
OTHER_TYPES = {"vacancy.published", "jobseeker.presented", "complaint.filed"}


@dataclass
class Touched:
    """Entities whose state facts arrived in a page, each with the earliest valid time affected."""

    customers: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    employers: set[str] = field(default_factory=set)
    registered: set[str] = field(default_factory=set)
    orgs_since: int | None = None
    municipalities: set[str] = field(default_factory=set)
    new_acts: list[StoredFact] = field(default_factory=list)
    horizon: tuple[int, str] | None = None
    #: rows of the page's views and decisions, written once judged (their acting organisation known)
    pending: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def touch(self, table: dict[str, int], key: str, since: int) -> None:
        table[key] = min(since, table.get(key, since))


def _payload(fact: StoredFact) -> bytes:
    """The fact's data without personal fields (ciphertext stays in the log only), plus the
    blind index the rules compare."""
    personal = PERSONAL_FIELDS.get(fact.type, ())
    data = {k: v for k, v in fact.data.items() if k not in personal}
    if fact.hetu_index is not None:
        data["hetu_index"] = fact.hetu_index
    return orjson.dumps(data)


IGNORE_CONFLICTS = {"registered", "customer_homes", "hetu_index", "erased"}


def insert_rows(cur: Cursor, table: str, rows: list[tuple[Any, ...]], *, ignore_conflicts: bool = False) -> None:
    """Insert ``rows`` into ``table``; on PostgreSQL with ``COPY`` (several times the rate of one
    INSERT per row) unless conflicts are to be ignored."""
    if not rows:
        return
    if not ignore_conflicts:
        cur.insert_rows(table, rows)
        return
    marks = ", ".join(["%s"] * len(rows[0]))
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    cur.executemany(f"INSERT INTO {table} VALUES ({marks}){conflict}", rows)


class Intake:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.t = {name: db.table("v_" + name) for name in (
            "org_facts", "user_facts", "customer_facts", "employers", "registered", "customer_homes",
            "hetu_index", "erased", "views", "decisions", "grants", "others", "queries", "reviews", "cases",
            "horizon")}

    def write(self, cur: Cursor, facts: list[StoredFact]) -> Touched:
        touched = Touched()
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in self.t}
        for fact in facts:
            self._route(fact, touched, rows)
        rows["registered"] = [(entity,) for entity in sorted(touched.registered)]
        touched.pending = {"views": rows.pop("views"), "decisions": rows.pop("decisions")}
        self._insert(cur, rows)
        self._erase(cur, rows["erased"], indexed=bool(rows["hetu_index"]))
        if touched.horizon is not None:
            self._advance_horizon(cur, touched)
        return touched

    def _route(self, f: StoredFact, touched: Touched, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        at, d, ev, kind, text = micros(f.at), f.data, f.id_text, f.type, f.at_text
        if kind not in LEDGER_TYPES:
            touched.new_acts.append(f)
            if touched.horizon is None or at > touched.horizon[0]:
                touched.horizon = (at, text)
        if kind == "record.viewed":  # most of the log: tested first
            rows["views"].append((f.position, ev, at, text, f.actor, None, d["subject"], d["purpose"],
                                  orjson.dumps(d["categories"]).decode(), None, None))
        elif kind in ORG_TYPES:
            rows["org_facts"].append((f.position, ev, at, text, d["org"], kind, _payload(f).decode()))
            touched.orgs_since = at if touched.orgs_since is None else min(at, touched.orgs_since)
            named = d.get("municipalities") or ([d["municipality"]] if "municipality" in d else [])
            touched.municipalities.update(named)
            if kind == "organisation.registered":
                touched.registered.add(d["org"])
        elif kind in USER_TYPES:
            rows["user_facts"].append((f.position, ev, at, d["user"], kind, f.actor, _payload(f).decode()))
            # a registration can be the fallback for times before it, so it affects all time
            touched.touch(touched.users, d["user"], ALL_TIME if kind == "user.registered" else at)
            if kind == "user.registered":
                touched.registered.add(d["user"])
            elif kind == "access.granted":
                rows["grants"].append((f.position, at, f.actor, d["user"]))
        elif kind in CUSTOMER_TYPES:
            self._route_customer(f, at, touched, rows)
        elif kind == "employer.registered":
            rows["employers"].append((f.position, ev, at, d["employer"], d.get("municipality")))
            touched.employers.add(d["employer"])
            touched.registered.add(d["employer"])
        elif kind == "decision.made":
            rows["decisions"].append((f.position, ev, at, text, f.actor, None, d["decision"], d["kind"],
                                      d["customer"], d.get("employer"), d["outcome"], d["language"], None, None))
        elif kind in OTHER_TYPES:
            rows["others"].append((f.position, ev, at, text, kind, f.actor, d.get("org"),
                                   d.get("customer"), _payload(f).decode()))
        else:
            self._route_ledger(f, at, rows)

    def _route_customer(self, f: StoredFact, at: int, touched: Touched, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        d = f.data
        customer = d["customer"]
        rows["customer_facts"].append((f.position, f.id_text, at, f.at_text, customer, f.type, f.actor,
                                       _payload(f).decode()))
        # a registration carries the HETU the own-record rule compares at any time
        touched.touch(touched.customers, customer, ALL_TIME if f.type == "customer.registered" else at)
        if "home_municipality" in d:
            rows["customer_homes"].append((d["home_municipality"], customer))
        if f.type == "customer.registered":
            touched.registered.add(customer)
            if f.hetu_index is not None:
                rows["hetu_index"].append((f.hetu_index, customer))

    def _route_ledger(self, f: StoredFact, at: int, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        d = f.data
        if f.type == "ledger.queried":
            rows["queries"].append((f.position, f.id_text, at, f.at_text, f.actor, d["purpose"], d["command"],
                                    d.get("subject"), d.get("user"), d.get("hetu_index"), int(bool(d.get("refused")))))
        elif f.type == "finding.reviewed":
            rows["reviews"].append((f.position, d["finding"], d["verdict"], d["note"], f.actor, at, f.at_text))
        elif f.type == "subject.erased":
            rows["erased"].append((d["subject"], f.position))
        elif f.type.startswith("inspection."):
            opened = f.type == "inspection.case_opened"
            rows["cases"].append((f.position, d["case"], f.type, f.actor, at, f.at_text,
                                  d.get("org") if opened else None, orjson.dumps(d).decode()))

    def _insert(self, cur: Cursor, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        for name, batch in rows.items():
            if name != "horizon":
                insert_rows(cur, self.t[name], batch, ignore_conflicts=name in IGNORE_CONFLICTS)

    def _erase(self, cur: Cursor, erased: list[tuple[Any, ...]], *, indexed: bool) -> None:
        """An erased customer can no longer be found by HETU; new registrations are not indexed
        (a page that ``indexed`` none has nothing of the second kind to undo)."""
        for customer, _ in erased:
            cur.execute(f"DELETE FROM {self.t['hetu_index']} WHERE customer = %s", (customer,))
        if indexed:
            cur.execute(f"DELETE FROM {self.t['hetu_index']} WHERE customer IN "
                        f"(SELECT customer FROM {self.t['erased']})")

    def _advance_horizon(self, cur: Cursor, touched: Touched) -> None:
        assert touched.horizon is not None
        at, text = touched.horizon
        current = cur.execute(f"SELECT at, at_text FROM {self.t['horizon']} WHERE id = 1").fetchone()
        if current is None:
            cur.execute(f"INSERT INTO {self.t['horizon']} VALUES (1, %s, %s)", (at, text))
            return
        stored_at, stored_text = current
        if at > stored_at:
            cur.execute(f"UPDATE {self.t['horizon']} SET at = %s, at_text = %s WHERE id = 1", (at, text))
        else:
            touched.horizon = (stored_at, stored_text)
