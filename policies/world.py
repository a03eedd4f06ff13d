"""An in-memory :class:`~policies.history.World` built from a collection of facts.

Used by tests (of ``policies`` and of other packages) and for small what-if questions: give it
``ledger.events`` envelope models (:meth:`InMemoryWorld.from_events`) or :class:`~policies.facts.Fact`
objects, in any order; the histories it hands out are the same whatever the order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from policies.facts import Fact, Row, fact_of, stand_in_index
from policies.history import CustomerHistory, EmployerHistory, OrgHistory, UserHistory

_ORG_TYPES = frozenset({"organisation.registered", "area.municipality_joined", "area.municipality_left"})
_USER_TYPES = frozenset({"user.registered", "access.granted", "access.revoked"})
_CUSTOMER_TYPES = frozenset({"customer.registered", "customer.changed", "customer.transferred",
                             "customer.transfer_withheld", "customer.deregistered"})
REGISTERING: dict[str, str] = {
    "organisation.registered": "org",
    "user.registered": "user",
    "customer.registered": "customer",
    "employer.registered": "employer",
}
"""Each registering event type and the data field naming the entity it registers."""


class InMemoryWorld:
    """Every history of a set of facts, built at once. Immutable once built."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        self.facts: tuple[Fact, ...] = tuple(sorted(facts, key=lambda f: f.order))
        """The facts in (at, event_id) order."""
        org_rows: list[Row] = []
        users: dict[str, list[Row]] = defaultdict(list)
        customers: dict[str, list[Row]] = defaultdict(list)
        employers: dict[str, list[tuple[datetime, str, str | None]]] = defaultdict(list)
        self._registered: set[str] = set()
        for f in self.facts:
            if f.type in REGISTERING:
                self._registered.add(f.data[REGISTERING[f.type]])
            if f.type in _ORG_TYPES:
                org_rows.append(f.row())
            elif f.type in _USER_TYPES:
                users[f.data["user"]].append(f.row())
            elif f.type in _CUSTOMER_TYPES:
                customers[f.data["customer"]].append(f.row())
            elif f.type == "employer.registered":
                employers[f.data["employer"]].append((f.at, f.id, f.data.get("municipality")))
        self.orgs = OrgHistory.from_facts(org_rows)
        self._users = {u: UserHistory.from_facts(u, rows) for u, rows in users.items()}
        self._customers = {c: CustomerHistory.from_facts(c, rows) for c, rows in customers.items()}
        self._employers = {e: EmployerHistory.from_facts(e, rows) for e, rows in employers.items()}

    @classmethod
    def from_events(cls, events: Iterable[Any], *, index: Callable[[str], str] = stand_in_index) -> InMemoryWorld:
        """From validated ``ledger.events`` envelope models; HETUs become ``index(hetu)``."""
        return cls(fact_of(e, index=index) for e in events)

    @property
    def horizon(self) -> datetime | None:
        """The latest ``at`` of the facts (CONTRACT §2), ``None`` when there are none."""
        return max((f.at for f in self.facts), default=None)

    def user(self, user: str) -> UserHistory | None:
        """The user's history, ``None`` when no user fact names the user."""
        return self._users.get(user)

    def customer(self, customer: str) -> CustomerHistory | None:
        """The customer's history, ``None`` when no customer fact names the customer."""
        return self._customers.get(customer)

    def employer(self, employer: str) -> EmployerHistory | None:
        """The employer's history, ``None`` when the employer is not registered."""
        return self._employers.get(employer)

    def registered(self, entity: str) -> bool:
        """True when some event registers ``entity``."""
        return entity in self._registered

    def customers(self) -> tuple[str, ...]:
        """Every customer some customer fact names, sorted."""
        return tuple(sorted(self._customers))
