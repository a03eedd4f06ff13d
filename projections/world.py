"""The rules' view of the world, loaded from the read model's temporal tables in batches.

``policies`` judges an act from the histories of the entities it names (``policies.history``).
:class:`DbWorld` loads exactly those histories for a batch of acts with a few indexed queries,
so judging a page never reads the whole log.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from ledger.db import Cursor, Database
from ledger.records import StoredFact
from policies import history as h
from policies.judge import Fact
from projections.schema import from_micros


def as_fact(f: StoredFact) -> Fact:
    """The rules' light view of a stored fact (personal fields never needed: blind index only).

    ``at`` is the same instant in UTC, as the histories' times are (:func:`from_micros`): the rules
    compare instants only, and two datetimes whose offsets are one object compare about fifteen
    times faster than two with offsets of their own."""
    return Fact(f.id_text, f.type, f.at.astimezone(UTC), f.actor, f.data, f.hetu_index)


def _named(facts: Iterable[StoredFact]) -> tuple[set[str], set[str], set[str]]:
    """The users, customers and employers ``facts`` name (actor or any text value of the data)."""
    users: set[str] = set()
    customers: set[str] = set()
    employers: set[str] = set()
    by_prefix = {"u:": users.add, "c:": customers.add, "e:": employers.add}
    for fact in facts:
        add = by_prefix.get(fact.actor[:2])
        if add is not None:
            add(fact.actor)
        for value in fact.data.values():
            if isinstance(value, str) and (add := by_prefix.get(value[:2])) is not None:
                add(value)
    return users, customers, employers


class HistoryCache:
    """Histories kept between pages of one follower: an entity's history changes only with facts
    about that entity, so a page drops exactly the entities it touched. Valid only while this
    process applied every page since it was filled (``position``).

    Bounded: past :attr:`LIMIT` histories, those loaded longest ago are dropped down to half of it
    (a dictionary keeps its keys in the order they were loaded; an entity a page touched is
    dropped and loaded again, so it counts as new). Dropping a history is always safe: it is
    loaded again when asked for. A customer's history is about 2.5 KB in memory, so the cache
    holds at most about 75 MB beside one page's entities (the budget is 300 MB in all)."""

    LIMIT = 30_000

    def __init__(self) -> None:
        self.position: int | None = None
        self.clear()

    def clear(self) -> None:
        self.users: dict[str, h.UserHistory | None] = {}
        self.customers: dict[str, h.CustomerHistory | None] = {}
        self.employers: dict[str, h.EmployerHistory | None] = {}
        self.registered: set[str] = set()
        self.checked: set[str] = set()

    def begin_page(self, start: int) -> None:
        """Forget everything unless this cache saw the log up to ``start``; keep it bounded."""
        if self.position != start:
            self.clear()
            return
        for table in (self.customers, self.users, self.employers):
            if len(table) > self.LIMIT:
                for key in list(itertools.islice(table, len(table) - self.LIMIT // 2)):
                    del table[key]
        if len(self.checked) > 4 * self.LIMIT:  # registration look-ups: small, but one per entity named
            self.registered.clear()
            self.checked.clear()

    def forget(self, users: Iterable[str], customers: Iterable[str], employers: Iterable[str],
               registered: Iterable[str]) -> None:
        for u in users:
            self.users.pop(u, None)
        for c in customers:
            self.customers.pop(c, None)
        for e in employers:
            self.employers.pop(e, None)
        self.checked.difference_update(registered)


class DbWorld(h.World):
    """A ``policies`` world backed by the read model, for the entities of one batch."""

    def __init__(self, db: Database, cur: Cursor, orgs: h.OrgHistory, cache: HistoryCache | None = None) -> None:
        self.db, self.cur, self.orgs = db, cur, orgs
        cache = cache or HistoryCache()
        self._users = cache.users
        self._customers = cache.customers
        self._employers = cache.employers
        self._registered = cache.registered
        self._checked = cache.checked

    # ------------------------------------------------------------------ World protocol
    def user(self, user: str) -> h.UserHistory | None:
        if user not in self._users:
            self.load_users([user])
        return self._users[user]

    def customer(self, customer: str) -> h.CustomerHistory | None:
        if customer not in self._customers:
            self.load_customers([customer])
        return self._customers[customer]

    def employer(self, employer: str) -> h.EmployerHistory | None:
        if employer not in self._employers:
            self.load_employers([employer])
        return self._employers[employer]

    def registered(self, entity: str) -> bool:
        if entity not in self._checked:
            self.load_registered([entity])
        return entity in self._registered

    # ------------------------------------------------------------------ batch loading
    def preload(self, facts: Iterable[StoredFact]) -> None:
        users, customers, employers = _named(facts)
        self.load_users(users - self._users.keys())
        self.load_customers(customers - self._customers.keys())
        self.load_employers(employers - self._employers.keys())
        self.load_registered((users | customers | employers) - self._checked)

    def _rows(self, table: str, column: str, keys: list[str], columns: str) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for i in range(0, len(keys), 500):
            marks, params = self.db.in_list(keys[i : i + 500])
            out += self.cur.execute(
                f"SELECT {columns} FROM {self.db.table(table)} WHERE {column} IN {marks} ORDER BY at, event",
                params).fetchall()
        return out

    def load_users(self, users: Iterable[str]) -> None:
        keys = sorted(set(users))
        if not keys:
            return
        facts: dict[str, list[tuple[datetime, str, str, dict[str, Any]]]] = defaultdict(list)
        for usr, at, event, type_, payload in self._rows("v_user_facts", "usr", keys, "usr, at, event, type, payload"):
            facts[usr].append((from_micros(at), event, type_, orjson.loads(payload)))
        for user in keys:
            self._users[user] = h.UserHistory.from_facts(user, facts[user]) if facts[user] else None

    def load_customers(self, customers: Iterable[str]) -> None:
        keys = sorted(set(customers))
        if not keys:
            return
        facts: dict[str, list[tuple[datetime, str, str, dict[str, Any]]]] = defaultdict(list)
        for c, at, event, type_, payload in self._rows("v_customer_facts", "customer", keys,
                                                       "customer, at, event, type, payload"):
            facts[c].append((from_micros(at), event, type_, orjson.loads(payload)))
        for customer in keys:
            self._customers[customer] = h.CustomerHistory.from_facts(customer, facts[customer]) \
                if facts[customer] else None

    def load_employers(self, employers: Iterable[str]) -> None:
        keys = sorted(set(employers))
        if not keys:
            return
        found: dict[str, list[tuple[datetime, str, str | None]]] = defaultdict(list)
        for e, at, event, municipality in self._rows("v_employers", "employer", keys,
                                                     "employer, at, event, municipality"):
            found[e].append((from_micros(at), event, municipality))
        for employer in keys:
            self._employers[employer] = h.EmployerHistory.from_facts(employer, found[employer]) \
                if found[employer] else None

    def load_registered(self, entities: Iterable[str]) -> None:
        keys = sorted(set(entities) - self._checked)
        for i in range(0, len(keys), 500):
            marks, params = self.db.in_list(keys[i : i + 500])
            self._registered.update(entity for (entity,) in self.cur.execute(
                f"SELECT entity FROM {self.db.table('v_registered')} WHERE entity IN {marks}", params))
        self._checked.update(keys)


def load_orgs(db: Database, cur: Cursor) -> h.OrgHistory:
    """Every organisation fact (a few hundred rows): organisations change rarely."""
    rows = cur.execute(f"SELECT at, event, type, payload FROM {db.table('v_org_facts')} ORDER BY at, event").fetchall()
    return h.OrgHistory.from_facts([(from_micros(at), event, type_, orjson.loads(p)) for at, event, type_, p in rows])
