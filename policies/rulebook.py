"""The rule book: every rule with the facts it judges and the state it reads (ADR 0017).

A rule is declared once, here in ``policies``, with everything a caller needs to run it and to
know when to run it again:

- an **event rule** (:class:`EventRule`) judges one fact of the given types: ``check`` returns its
  verdicts for an :class:`Act`; ``reads`` says whose state it reads and from when
  (:class:`Reads`), so a projection re-judges, generically, exactly the acts a late state fact can
  change (ADR 0002) — no caller decides that by rule name or fact kind;
- a **sequence rule** (:class:`SequenceRule`) judges a sequence: one user's views
  (``ACCESS_BULK``) or one customer's whole history (``TRANSFER_MISSED``).

:data:`policies.rules.RULE_BOOK` holds the rules of CONTRACT §5; :meth:`RuleBook.registered` adds
one more for as long as a ``with`` block runs (tests, what-if questions).

Every judgement also names the acting organisation, so every act reads its ``u:`` actor's state
(:data:`ACTING`) whatever rules judge it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from policies.competence import Competence
from policies.customers import CustomerHistory
from policies.facts import Fact
from policies.history import World
from policies.orgs import OrgHistory
from policies.verdicts import Verdict

CustomerCheck = Callable[[CustomerHistory, OrgHistory, datetime | None], list[tuple[str, datetime, Verdict]]]
"""A per-customer sequence rule: ``(customer, orgs, horizon)`` → ``(event id, start, verdict)``:
each verdict on the event that began what it found, and when that began."""


class Entity(StrEnum):
    """Whose state a rule reads."""

    USER = "user"
    """An official's history: organisation, duties, access rights, own HETU index."""
    CUSTOMER = "customer"
    """A customer's history: responsible organisation, attributes, withholding, HETU index."""
    EMPLOYER = "employer"
    """An employer's registrations (the municipality it is)."""
    ORGANISATIONS = "organisations"
    """The organisation register's area membership: which area a municipality belongs to at t."""
    REGISTRATIONS = "registrations"
    """Whether the entities a fact names are registered at all."""
    HORIZON = "horizon"
    """The latest valid time the ledger holds (an episode still open is judged up to it)."""


class Since(StrEnum):
    """From when a change of the state read can change the verdict."""

    AT = "at"
    """The state in force at the fact's ``at``: a change in force from t affects facts at or after t
    (a registration, the fallback before it, affects all time; it is marked so where it arrives)."""
    ALWAYS = "always"
    """Any change, wherever its valid time lies."""


@dataclass(frozen=True, slots=True)
class Reads:
    """One dependency of a rule: the state of ``entity`` named by the fact's field ``field``
    (``"actor"`` for the ``u:`` actor; ``None`` for the organisation register and for every
    entity the fact names), read as ``since`` says; ``where`` limits it to facts whose data has
    those values (e.g. ``(("kind", "pay_subsidy"),)``)."""

    entity: Entity
    field: str | None = None
    since: Since = Since.AT
    where: tuple[tuple[str, str], ...] = ()


class Act(NamedTuple):
    """One fact being judged and what every rule on it shares, computed once: the ``u:`` actor,
    the actor's organisation at ``at``, for a ``decision.made`` who was competent, and the
    entities the fact names that no event registers. A tuple (immutable, like a frozen
    dataclass): one is made for every fact judged, and a tuple is made in a third of the time."""

    fact: Fact
    world: World
    user: str | None
    org: str | None
    competence: Competence | None
    unknown: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventRule:
    """A rule judging single facts of ``types``; ``check`` returns its verdicts on one act."""

    rule: StrEnum
    types: frozenset[str]
    reads: tuple[Reads, ...]
    check: Callable[[Act], list[Verdict]]


@dataclass(frozen=True, slots=True)
class SequenceRule:
    """A rule judging a sequence rather than one fact: ``per`` is whose sequence (one user's
    views, one customer's history); ``reads`` what beyond that sequence it depends on. A
    per-customer rule has its ``check``; one user's views are run by :mod:`policies.monitoring`,
    whose state a caller can store and resume."""

    rule: StrEnum
    per: Entity
    reads: tuple[Reads, ...]
    check: CustomerCheck | None = None


ACTING = Reads(Entity.USER, "actor")
"""Every judgement names the actor's organisation at the fact's ``at``."""


class RuleBook:
    """The rules in force in this process, in the order their verdicts are listed."""

    def __init__(self, event: Iterable[EventRule] = (), sequence: Iterable[SequenceRule] = ()) -> None:
        self._event: list[EventRule] = list(event)
        self._sequence: list[SequenceRule] = list(sequence)
        self._by_type: dict[str, tuple[EventRule, ...]] = {}

    @contextmanager
    def registered(self, rule: EventRule | SequenceRule) -> Iterator[None]:
        """``rule`` is in force, after the rules already filed, while the ``with`` block runs."""
        self._by_type.clear()
        if isinstance(rule, EventRule):
            self._event.append(rule)
        else:
            self._sequence.append(rule)
        try:
            yield
        finally:
            self._by_type.clear()
            if isinstance(rule, EventRule):
                self._event.remove(rule)
            else:
                self._sequence.remove(rule)

    @property
    def event_rules(self) -> tuple[EventRule, ...]:
        """The event-level rules, in the order their verdicts are listed."""
        return tuple(self._event)

    @property
    def sequence_rules(self) -> tuple[SequenceRule, ...]:
        """The sequence rules."""
        return tuple(self._sequence)

    def for_type(self, fact_type: str) -> tuple[EventRule, ...]:
        """The event rules judging facts of ``fact_type``."""
        rules = self._by_type.get(fact_type)
        if rules is None:
            rules = self._by_type[fact_type] = tuple(r for r in self._event if fact_type in r.types)
        return rules

    def event_rule_ids(self) -> tuple[str, ...]:
        """The ids of every event rule (a re-judged fact's findings of these are replaced)."""
        return tuple(dict.fromkeys(str(r.rule.value) for r in self._event))

    def reads_by_type(self) -> dict[str, frozenset[Reads]]:
        """For each fact type some event rule judges: every dependency of its judgement
        (:data:`ACTING` and the dependencies of each rule judging it)."""
        out: dict[str, set[Reads]] = {}
        for r in self._event:
            for t in r.types:
                out.setdefault(t, {ACTING}).update(r.reads)
        return {t: frozenset(reads) for t, reads in out.items()}
