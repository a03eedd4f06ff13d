"""A customer's (henkilöasiakas) history: registration, changes, transfers, withholdings.

The state at t is the fold, in (at, event_id) order, of the customer's facts with at ≤ t
(CONTRACT §2):

- ``customer.registered`` starts a customership: responsible = the registering TE office, the
  attributes as registered, no withholding. A later registration (a new job search after
  deregistration) starts a new customership the same way.
- ``customer.changed`` updates the attributes it names (a change before any registration has
  nothing to update and is ignored) and ends a withholding.
- ``customer.transferred`` makes ``to`` responsible while the customer is registered (a transfer
  while not registered changes nothing) and ends a withholding.
- ``customer.transfer_withheld`` puts a withholding in force (DOMAIN.md, §5 as amended by 671/2022).
- ``customer.deregistered`` ends the customership: nobody is responsible; it ends a withholding.

A withholding therefore lasts until the customer's next transfer or change (CONTRACT §5), or until
the customership ends or starts afresh. Before any registration is in force, :meth:`attributes_at`
falls back to the earliest registration's attributes (late-stamped registrations), while
:meth:`responsible_at` is ``None`` — nobody is responsible for a customer not yet registered.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ledger.events import Language
from policies.facts import Row
from policies.localtime import as_date

ATTRIBUTE_FIELDS = ("home_municipality", "earnings_related_eligible", "immigrant_or_foreign_language", "language")
"""The fields of ``customer.changed`` the rules read (``name`` is personal data, never read)."""


@dataclass(frozen=True, slots=True)
class Attributes:
    """What eligibility and language rules need: home municipality (kotikunta), birth date, flags."""

    home_municipality: str
    birth_date: date
    earnings_related_eligible: bool
    immigrant_or_foreign_language: bool
    language: Language


@dataclass(frozen=True, slots=True)
class CustomerState:
    """The customer's state after every fact at instant ``at`` (``event_id``: the last of them)."""

    at: datetime
    event_id: str
    registered: bool
    responsible: str | None
    attributes: Attributes | None
    withheld: bool


def _attributes(d: Mapping[str, Any]) -> Attributes:
    return Attributes(home_municipality=d["home_municipality"], birth_date=as_date(d["birth_date"]),
                      earnings_related_eligible=bool(d["earnings_related_eligible"]),
                      immigrant_or_foreign_language=bool(d["immigrant_or_foreign_language"]),
                      language=Language(d["language"]))


def _changed(attrs: Attributes, d: Mapping[str, Any]) -> Attributes:
    fields: dict[str, Any] = {k: d[k] for k in ATTRIBUTE_FIELDS if d.get(k) is not None}
    if "language" in fields:
        fields["language"] = Language(fields["language"])
    return replace(attrs, **fields)


@dataclass(frozen=True, slots=True)
class CustomerRegistration:
    """A ``customer.registered`` fact (without the HETU and name: only the HETU's blind index)."""

    at: datetime
    event_id: str
    org: str
    home_municipality: str
    birth_date: date
    earnings_related_eligible: bool
    immigrant_or_foreign_language: bool
    language: Language
    hetu_index: str | None = None

    def row(self) -> Row:
        """As a history row."""
        d = {"org": self.org, "home_municipality": self.home_municipality, "birth_date": self.birth_date,
             "earnings_related_eligible": self.earnings_related_eligible,
             "immigrant_or_foreign_language": self.immigrant_or_foreign_language,
             "language": self.language, "hetu_index": self.hetu_index}
        return (self.at, self.event_id, "customer.registered", d)


@dataclass(frozen=True, slots=True)
class CustomerChange:
    """A ``customer.changed`` fact: the attribute fields it names."""

    at: datetime
    event_id: str
    changes: Mapping[str, Any]

    def row(self) -> Row:
        """As a history row."""
        return (self.at, self.event_id, "customer.changed", dict(self.changes))


@dataclass(frozen=True, slots=True)
class Transfer:
    """A ``customer.transferred`` fact from ``from_org`` to ``to_org``."""

    at: datetime
    event_id: str
    from_org: str
    to_org: str
    reason: str

    def row(self) -> Row:
        """As a history row."""
        return (self.at, self.event_id, "customer.transferred",
                {"from": self.from_org, "to": self.to_org, "reason": self.reason})


@dataclass(frozen=True, slots=True)
class Withholding:
    """A ``customer.transfer_withheld`` fact."""

    at: datetime
    event_id: str
    reason: str

    def row(self) -> Row:
        """As a history row."""
        return (self.at, self.event_id, "customer.transfer_withheld", {"reason": self.reason})


@dataclass(frozen=True, slots=True)
class Deregistration:
    """A ``customer.deregistered`` fact."""

    at: datetime
    event_id: str

    def row(self) -> Row:
        """As a history row."""
        return (self.at, self.event_id, "customer.deregistered", {})


def _in_order(row: Row) -> tuple[datetime, str]:
    """A history row's place: by valid time, ties by event id."""
    at, event_id, _, _ = row
    return at, event_id


_END_WITHHOLDING = {"customer.registered", "customer.changed", "customer.transferred", "customer.deregistered"}
TYPES = frozenset({*_END_WITHHOLDING, "customer.transfer_withheld"})
"""The customer fact types a :class:`CustomerHistory` folds."""


def _step(state: CustomerState, at: datetime, event_id: str, type_: str, d: Mapping[str, Any]) -> CustomerState:
    # one new state per fact, built at once (``dataclasses.replace`` is slow, and this runs per fact)
    registered, responsible, attributes = state.registered, state.responsible, state.attributes
    if type_ == "customer.registered":
        return CustomerState(at, event_id, True, d["org"], _attributes(d), False)
    if type_ == "customer.transfer_withheld":
        return CustomerState(at, event_id, registered, responsible, attributes, True)
    if type_ == "customer.changed" and attributes is not None:
        attributes = _changed(attributes, d)
    elif type_ == "customer.transferred" and registered:
        responsible = d["to"]
    elif type_ == "customer.deregistered":
        registered, responsible = False, None
    return CustomerState(at, event_id, registered, responsible, attributes, False)


class CustomerHistory:
    """One customer's facts folded into states per instant. Immutable once built.

    Build it with :meth:`from_facts` from history rows ``(at, event_id, type, payload)``; a
    ``customer.transferred`` payload has ``from`` and ``to``, a ``customer.registered`` payload the
    registration fields and ``hetu_index``.
    """

    __slots__ = ("_ats", "_first", "_row_ats", "_rows", "customer", "hetu_index", "states")

    def __init__(self, customer: str, rows: Iterable[Row]) -> None:
        self.customer = customer
        ordered = sorted([(at, event_id, type_, d) for at, event_id, type_, d in rows if type_ in TYPES],
                         key=_in_order)
        self._rows: tuple[Row, ...] = tuple(ordered)
        self._row_ats = [at for at, _, _, _ in ordered]
        registrations = [d for _, _, type_, d in ordered if type_ == "customer.registered"]
        self._first = _attributes(registrations[0]) if registrations else None
        self.hetu_index: str | None = next(
            (d["hetu_index"] for d in registrations if d.get("hetu_index") is not None), None)
        """The blind index of the customer's HETU, from any registration."""
        states: list[CustomerState] = []
        state = CustomerState(datetime.min, "", False, None, None, False)
        for at, event_id, type_, d in ordered:
            state = _step(state, at, event_id, type_, d)
            if states and states[-1].at == at:
                states[-1] = state
            else:
                states.append(state)
        self.states: tuple[CustomerState, ...] = tuple(states)
        """One state per distinct instant, in time order."""
        self._ats = [s.at for s in self.states]

    @classmethod
    def from_facts(cls, customer: str, rows: Iterable[Row]) -> CustomerHistory:
        """From history rows of this customer; types other than the customer facts are ignored."""
        return cls(customer, rows)

    @classmethod
    def build(cls, customer: str, *, registrations: Iterable[CustomerRegistration] = (),
              changes: Iterable[CustomerChange] = (), transfers: Iterable[Transfer] = (),
              withholdings: Iterable[Withholding] = (),
              deregistrations: Iterable[Deregistration] = ()) -> CustomerHistory:
        """From typed facts, in any order."""
        facts: list[Any] = [*registrations, *changes, *transfers, *withholdings, *deregistrations]
        return cls(customer, [f.row() for f in facts])

    @property
    def rows(self) -> tuple[Row, ...]:
        """The customer's facts in (at, event_id) order."""
        return self._rows

    def state_at(self, t: datetime) -> CustomerState | None:
        """The state in force at t, or ``None`` before the customer's first fact."""
        i = bisect_right(self._ats, t)
        return self.states[i - 1] if i else None

    def responsible_at(self, t: datetime) -> str | None:
        """The responsible organisation at t (CONTRACT §2); ``None`` when not registered."""
        s = self.state_at(t)
        return None if s is None else s.responsible

    def registered_at(self, t: datetime) -> bool:
        """True while a customership is in force at t (registered, not deregistered)."""
        s = self.state_at(t)
        return s is not None and s.registered

    def withheld_at(self, t: datetime) -> bool:
        """True while a ``customer.transfer_withheld`` is in force at t."""
        s = self.state_at(t)
        return s is not None and s.withheld

    def attributes_at(self, t: datetime) -> Attributes | None:
        """The attributes in force at t; before any registration, the earliest registration's."""
        s = self.state_at(t)
        if s is None or s.attributes is None:
            return self._first
        return s.attributes

    def home_municipalities(self) -> frozenset[str]:
        """Every home municipality the customer has had."""
        return frozenset(s.attributes.home_municipality for s in self.states if s.attributes is not None)

    def events_at(self, t: datetime) -> tuple[str, ...]:
        """Ids of the customer's facts at exactly the instant t, in order."""
        lo, hi = bisect_left(self._row_ats, t), bisect_right(self._row_ats, t)
        return tuple(event_id for _, event_id, _, _ in self._rows[lo:hi])

    def last_event_before(self, t: datetime) -> str | None:
        """The id of the customer's latest fact strictly before t, if any."""
        i = bisect_left(self._row_ats, t)
        if not i:
            return None
        _, event_id, _, _ = self._rows[i - 1]
        return event_id

    def responsibility_intervals(self) -> tuple[tuple[str, datetime, datetime | None], ...]:
        """Who was responsible when: ``(org, from, to)``, ``to`` ``None`` while still responsible."""
        out: list[tuple[str, datetime, datetime | None]] = []
        org: str | None = None  # the responsible organisation of the open interval, if any
        since = datetime.min
        for s in self.states:
            if org is not None and s.responsible != org:
                out.append((org, since, s.at))
                org = None
            if org is None and s.responsible is not None:
                org, since = s.responsible, s.at
        if org is not None:
            out.append((org, since, None))
        return tuple(out)
