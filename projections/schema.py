"""Tables of the read model (prefix ``lokikirja_v_``), the same on SQLite and PostgreSQL.

Each table is defined once, as a ``NamedTuple`` row record (its fields are the columns, see
``projections.table``) and a :class:`~projections.table.Table` with its indexes: the DDL and the
typed rows the projections and replay read both come from it (ADR 0019).

Times are stored twice: ``at`` as microseconds since the epoch (UTC, sortable, indexable) and,
where the contract prints them, ``at_text`` exactly as the source gave them. Every table is
rebuilt from the log by ``rebuild``; none holds a HETU or a name (only blind indexes).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from ledger.db import Database
from projections.table import Big, BigKey, IntKey, Table, TextKey

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(t: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_FIRST_US = micros(datetime.min.replace(tzinfo=UTC))
_LAST_US = micros(datetime.max.replace(tzinfo=UTC))


def from_micros(us: int) -> datetime:
    """The aware (UTC) datetime of microseconds since the epoch; a sum beyond years 1–9999 (a
    stored fact at the edge of time plus a window) gives the first or last representable time."""
    if _FIRST_US <= us <= _LAST_US:  # every time but those at the edge of time: no clamping calls
        return _EPOCH + timedelta(microseconds=us)
    return _EPOCH + timedelta(microseconds=min(max(us, _FIRST_US), _LAST_US))


# ---------------------------------------------------------------------- facts that change state, by entity
# (the temporal state the rules read)


class OrgFact(NamedTuple):
    """An organisation fact (``organisation.registered``, ``area.municipality_*``), data as stored."""

    position: BigKey
    event: str
    at: Big
    at_text: str
    org: str
    type: str
    payload: str


class UserFact(NamedTuple):
    """A user fact (``user.registered``, ``access.granted``, ``access.revoked``)."""

    position: BigKey
    event: str
    at: Big
    usr: str
    type: str
    actor: str
    payload: str


class CustomerFact(NamedTuple):
    """A customer fact (registered, changed, transferred, transfer withheld, deregistered)."""

    position: BigKey
    event: str
    at: Big
    at_text: str
    customer: str
    type: str
    actor: str
    payload: str


class Employer(NamedTuple):
    """An ``employer.registered``: the municipality it is, if it is one."""

    position: BigKey
    event: str
    at: Big
    employer: str
    municipality: str | None


class Registered(NamedTuple):
    """An entity (organisation, user, customer, employer) some fact registered."""

    entity: TextKey


class UnknownRef(NamedTuple):
    """An entity the act at ``position`` named before any fact registered it."""

    entity: TextKey
    position: BigKey


class CustomerHome(NamedTuple):
    municipality: TextKey
    customer: TextKey


class HetuIndex(NamedTuple):
    """The blind index of a customer's HETU (deleted on erasure)."""

    hetu_index: TextKey
    customer: TextKey


class Erased(NamedTuple):
    customer: TextKey
    position: Big


# ---------------------------------------------------------------------- what happened: the acts the rules judge


class View(NamedTuple):
    """A ``record.viewed``; ``org`` is the acting organisation the rules found, ``bulk_*`` the
    user's bulk-access window state after this view (``projections.sequences``)."""

    position: BigKey
    event: str
    at: Big
    at_text: str
    usr: str
    org: str | None
    subject: str
    purpose: str
    categories: str
    bulk_count: int | None
    bulk_armed: int | None


class Decision(NamedTuple):
    """A ``decision.made``, with the acting organisation and competent authority the rules found."""

    position: BigKey
    event: str
    at: Big
    at_text: str
    actor: str
    org: str | None
    decision: str
    kind: str
    customer: str
    employer: str | None
    outcome: str
    language: str
    competent: str | None
    rule_set: str | None


class Grant(NamedTuple):
    position: BigKey
    at: Big
    actor: str
    usr: str


class Other(NamedTuple):
    """Any other source fact (vacancies, presentations, complaints), data as stored."""

    position: BigKey
    event: str
    at: Big
    at_text: str
    type: str
    actor: str
    org: str | None
    customer: str | None
    payload: str


# ---------------------------------------------------------------------- derived state


class Responsibility(NamedTuple):
    """The ``seq``-th interval of a customer's responsibility timeline (``to_*`` null: still open)."""

    customer: TextKey
    seq: IntKey
    org: str
    from_at: Big
    from_text: str
    to_at: Big | None
    to_text: str | None


class MissedState(NamedTuple):
    customer: TextKey
    next_check: Big | None


class Horizon(NamedTuple):
    """The latest valid time of any source fact (one row, ``id`` 1)."""

    id: IntKey
    at: Big
    at_text: str


# ---------------------------------------------------------------------- judgements, cases, queries


class Finding(NamedTuple):
    """One verdict on one event (``projections.findings_store.finding_row``)."""

    finding: TextKey
    rule: str
    severity: str
    event: str
    position: Big
    at: Big
    at_text: str
    org: str | None
    usr: str | None
    subject: str | None
    explanation: str
    rule_set: str
    legal_basis: str


class Review(NamedTuple):
    position: BigKey
    finding: str
    verdict: str
    note: str
    reviewer: str
    at: Big
    at_text: str


class Case(NamedTuple):
    """AVI's ``inspection.case_opened``, ``inspection.case_noted`` and ``inspection.case_closed``, data as stored."""

    position: BigKey
    case_id: str
    type: str
    actor: str
    at: Big
    at_text: str
    org: str | None
    payload: str


class Query(NamedTuple):
    """A ``ledger.queried``: who asked the ledger about whom (logging the loggers)."""

    position: BigKey
    event: str
    at: Big
    at_text: str
    asker: str
    purpose: str
    command: str
    subject: str | None
    usr: str | None
    hetu_index: str | None
    refused: int


ORG_FACTS = Table("org_facts", OrgFact)
USER_FACTS = Table("user_facts", UserFact, ("usr, at",))
CUSTOMER_FACTS = Table("customer_facts", CustomerFact, ("customer, at", "type, at"))
EMPLOYERS = Table("employers", Employer, ("employer",))
REGISTERED = Table("registered", Registered)
UNKNOWN_REFS = Table("unknown_refs", UnknownRef, ("position",))
CUSTOMER_HOMES = Table("customer_homes", CustomerHome)
HETU_INDEX = Table("hetu_index", HetuIndex, ("customer",))
ERASED = Table("erased", Erased)
# views are most of the log: the indexes only read queries use are built once a rebuild caught up
VIEWS = Table("views", View, ("subject, at", "usr, at", "at", "org, at"), frozenset({"at", "org, at"}))
DECISIONS = Table("decisions", Decision, ("customer, at", "actor, at", "employer", "at", "org, at"))
GRANTS = Table("grants", Grant, ("usr", "actor"))
OTHERS = Table("others", Other, ("type, at", "customer"))
RESPONSIBILITY = Table("responsibility", Responsibility, ("org, from_at",))
MISSED_STATE = Table("missed_state", MissedState, ("next_check",))
HORIZON = Table("horizon", Horizon)
FINDINGS = Table("findings", Finding, ("event", "at, event, rule", "subject", "usr", "org", "rule", "position"))
REVIEWS = Table("reviews", Review, ("finding",))
CASES = Table("cases", Case, ("case_id", "org"))
QUERIES = Table("queries", Query, ("subject", "usr", "hetu_index"))

TABLES: dict[str, Table[Any]] = {t.name: t for t in (
    ORG_FACTS, USER_FACTS, CUSTOMER_FACTS, EMPLOYERS, REGISTERED, UNKNOWN_REFS, CUSTOMER_HOMES, HETU_INDEX, ERASED,
    VIEWS, DECISIONS, GRANTS, OTHERS, RESPONSIBILITY, MISSED_STATE, HORIZON, FINDINGS, REVIEWS, CASES, QUERIES)}
"""Every table of the read model, in the order they are created."""


def _index_statement(db: Database, name: str, i: int, cols: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS lokikirja_v_{name}_i{i} ON {db.table('v_' + name)} ({cols})"


def create_statements(db: Database, *, defer: bool = False) -> list[str]:
    """Every table and index (idempotent); with ``defer``, without the deferrable indexes."""
    out = []
    for name, table in TABLES.items():
        out.append(f"CREATE TABLE IF NOT EXISTS {db.table('v_' + name)} ({table.ddl(db.BIGINT)})")
        for i, cols in enumerate(table.indexes):
            if not (defer and cols in table.deferrable):
                out.append(_index_statement(db, name, i, cols))
    return out


def deferred_statements(db: Database) -> list[str]:
    """The deferrable indexes that ``create_statements(defer=True)`` leaves out."""
    return [_index_statement(db, name, i, cols) for name, table in TABLES.items()
            for i, cols in enumerate(table.indexes) if cols in table.deferrable]


def table_names(db: Database) -> list[str]:
    return [db.table("v_" + name) for name in TABLES]
