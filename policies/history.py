"""The histories the rules read, and the :class:`World` that hands them out.

The projection layer batch-loads, from its tables, the facts of the entities an event names and
builds these immutable, cheap histories from plain values (history rows, see
:data:`policies.facts.Row`); the judge functions then ask "as of t" questions:

- :class:`~policies.orgs.OrgHistory` — every organisation: kinds, TE offices, area membership at t.
- :class:`~policies.users.UserHistory` — one official: organisation and duties at t, access right
  in force at t, own HETU index.
- :class:`~policies.customers.CustomerHistory` — one customer: responsible organisation,
  attributes and withholding at t, HETU index.
- :class:`EmployerHistory` — one employer: the municipality it is (if it is one).

Ordering: facts with equal ``at`` are ordered by (at, event_id), so every history is the same
whatever order its facts are given in; "in force at t" means at ≤ t (CONTRACT §2).

A :class:`World` is anything with ``orgs`` and the four look-ups below; the projections implement
it over their tables, :class:`policies.world.InMemoryWorld` over a list of facts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from policies.customers import Attributes, CustomerHistory, CustomerState
from policies.orgs import MembershipChange, OrgHistory, OrgRegistration
from policies.users import Grant, Revocation, UserHistory, UserRegistration

__all__ = [
    "Attributes", "CustomerHistory", "CustomerState", "EmployerHistory", "EmployerRegistration", "Grant",
    "MembershipChange", "OrgHistory", "OrgRegistration", "Revocation", "UserHistory", "UserRegistration", "World",
]


@dataclass(frozen=True, slots=True)
class EmployerRegistration:
    """An ``employer.registered`` fact; ``municipality`` is set when the employer **is** that municipality."""

    at: datetime
    event_id: str
    municipality: str | None = None


class EmployerHistory:
    """One employer (työnantaja): its registrations. Immutable once built."""

    __slots__ = ("_ats", "employer", "registrations")

    def __init__(self, employer: str, registrations: Iterable[EmployerRegistration]) -> None:
        self.employer = employer
        self.registrations = tuple(sorted(registrations, key=lambda r: (r.at, r.event_id)))
        self._ats = [r.at for r in self.registrations]

    @classmethod
    def from_facts(cls, employer: str, rows: Iterable[tuple[datetime, str, str | None]]) -> EmployerHistory:
        """From ``(at, event_id, municipality or None)`` per ``employer.registered`` fact."""
        return cls(employer, [EmployerRegistration(at, event_id, m) for at, event_id, m in rows])

    def municipality_at(self, t: datetime) -> str | None:
        """The municipality the employer is at t: the latest registration in force, else the
        earliest registration (as for users), else ``None``."""
        if not self.registrations:
            return None
        i = bisect_right(self._ats, t)
        return (self.registrations[i - 1] if i else self.registrations[0]).municipality


class World(Protocol):
    """What the judge needs to know about the entities an event names, as histories."""

    orgs: OrgHistory
    """Every organisation's history."""

    def user(self, user: str) -> UserHistory | None:
        """The user's history, or ``None`` when no fact of the user is known."""
        ...

    def customer(self, customer: str) -> CustomerHistory | None:
        """The customer's history, or ``None`` when no fact of the customer is known."""
        ...

    def employer(self, employer: str) -> EmployerHistory | None:
        """The employer's history, or ``None`` when the employer is not registered."""
        ...

    def registered(self, entity: str) -> bool:
        """True when some event registers ``entity`` (a user, customer, employer or organisation)."""
        ...
