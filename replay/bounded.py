"""The past on demand: the rules' world as of a valid time T and as known at a log position P.

A :class:`BoundedWorld` is the read model's :class:`~projections.world.DbWorld` restricted to the
facts with ``at ≤ T`` (valid time) and ``position ≤ P`` (what the ledger had recorded): the very
same histories, built by the same loaders, judged by the same ``policies`` — no second
implementation of any rule. Without bounds it equals the read model's view of the present.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from ledger.db import Cursor, Database
from ledger.seal import Seal
from ledger.store import Ledger
from policies import history as h
from projections.schema import from_micros
from projections.world import DbWorld

REGISTRATIONS = (("v_user_facts", "usr", "user.registered"), ("v_customer_facts", "customer", "customer.registered"))


@dataclass(frozen=True)
class Bounds:
    """``at`` (µs since the epoch, inclusive) and ``position`` (inclusive); ``None``: unbounded."""

    at: int | None = None
    position: int | None = None

    def sql(self, prefix: str = "") -> tuple[str, list[Any]]:
        parts, params = [], []
        if self.at is not None:
            parts.append(f"{prefix}at <= %s")
            params.append(self.at)
        if self.position is not None:
            parts.append(f"{prefix}position <= %s")
            params.append(self.position)
        return ("".join(f" AND {p}" for p in parts), params)

    @property
    def unbounded(self) -> bool:
        return self.at is None and self.position is None


class BoundedWorld(DbWorld):
    """A ``policies`` world of the facts within ``bounds``."""

    def __init__(self, db: Database, cur: Cursor, bounds: Bounds) -> None:
        self.bounds = bounds
        super().__init__(db, cur, load_bounded_orgs(db, cur, bounds))

    def _rows(self, table: str, column: str, keys: list[str], columns: str) -> list[tuple[Any, ...]]:
        extra, bound_params = self.bounds.sql()
        out: list[tuple[Any, ...]] = []
        for i in range(0, len(keys), 500):
            marks, params = self.db.in_list(keys[i : i + 500])
            out += self.cur.execute(
                f"SELECT {columns} FROM {self.db.table(table)} WHERE {column} IN {marks}{extra} ORDER BY at, event",
                [*params, *bound_params]).fetchall()
        return out

    def load_registered(self, entities: Any) -> None:
        if self.bounds.unbounded:
            super().load_registered(entities)
            return
        keys = sorted(set(entities) - self._checked)
        extra, bound_params = self.bounds.sql()
        for table, column, type_ in (*REGISTRATIONS, ("v_employers", "employer", None)):
            for i in range(0, len(keys), 500):
                marks, params = self.db.in_list(keys[i : i + 500])
                where = f"{column} IN {marks}{extra}" + (" AND type = %s" if type_ else "")
                self._registered.update(entity for (entity,) in self.cur.execute(
                    f"SELECT {column} FROM {self.db.table(table)} WHERE {where}",
                    [*params, *bound_params, *([type_] if type_ else [])]))
        self._registered.update(k for k in keys if self.orgs.is_registered(k))
        self._checked.update(keys)

    def horizon(self) -> Any:
        """The latest valid time among the facts within the bounds (``None``: no facts)."""
        if self.bounds.unbounded:  # the read model keeps it (intake): no scan of seven tables
            value = self.cur.scalar(f"SELECT at FROM {self.db.table('v_horizon')} WHERE id = 1")
            return None if value is None else from_micros(value)
        extra, params = self.bounds.sql()
        latest = None
        for table in ("v_org_facts", "v_user_facts", "v_customer_facts", "v_employers", "v_views", "v_decisions",
                      "v_others"):
            value = self.cur.scalar(f"SELECT MAX(at) FROM {self.db.table(table)} WHERE 1 = 1{extra}", params)
            if value is not None and (latest is None or value > latest):
                latest = value
        return None if latest is None else from_micros(latest)


def position_known_at(ledger: Ledger, when: datetime) -> int:
    """The log position of the last event the ledger had recorded at ``when`` (its own clock,
    ``recorded_at``), 0 when none: "as known at" a date and time rather than a position. A binary
    search over the sealed leaves (facts are recorded in log order; two appended in the same moment
    by two processes may fall either side)."""
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        size, _ = seal.head(cur)

        def position(leaf: int) -> int:
            return seal.positions_of_leaves(cur, [leaf])[leaf]

        lo, hi = 0, size  # the first leaf recorded after ``when``
        while lo < hi:
            mid = (lo + hi) // 2
            (fact,) = ledger.facts_at([position(mid)])
            if fact.recorded_at <= when:
                lo = mid + 1
            else:
                hi = mid
        return 0 if lo == 0 else position(lo - 1)


def load_bounded_orgs(db: Database, cur: Cursor, bounds: Bounds) -> h.OrgHistory:
    extra, params = bounds.sql()
    rows = cur.execute(f"SELECT at, event, type, payload FROM {db.table('v_org_facts')} WHERE 1 = 1{extra} "
                       "ORDER BY at, event", params).fetchall()
    return h.OrgHistory.from_facts([(from_micros(at), event, type_, orjson.loads(p)) for at, event, type_, p in rows])
