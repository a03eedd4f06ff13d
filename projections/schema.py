"""Tables of the read model (prefix ``lokikirja_v_``), the same on SQLite and PostgreSQL.

Times are stored twice: ``at`` as microseconds since the epoch (UTC, sortable, indexable) and,
where the contract prints them, ``at_text`` exactly as the source gave them. Every table is
rebuilt from the log by ``rebuild``; none holds a HETU or a name (only blind indexes).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger.db import Database

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
    return _EPOCH + timedelta(microseconds=min(max(us, _FIRST_US), _LAST_US))


TABLES: dict[str, str] = {
    # facts that change state, by entity (the temporal state the rules read)
    "org_facts": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
                 "org TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL",
    "user_facts": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, usr TEXT NOT NULL, "
                  "type TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL",
    "customer_facts": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
                      "customer TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL",
    "employers": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, employer TEXT NOT NULL, "
                 "municipality TEXT",
    "registered": "entity TEXT PRIMARY KEY",
    "unknown_refs": "entity TEXT NOT NULL, position {B} NOT NULL, PRIMARY KEY (entity, position)",
    "customer_homes": "municipality TEXT NOT NULL, customer TEXT NOT NULL, PRIMARY KEY (municipality, customer)",
    "hetu_index": "hetu_index TEXT NOT NULL, customer TEXT NOT NULL, PRIMARY KEY (hetu_index, customer)",
    "erased": "customer TEXT PRIMARY KEY, position {B} NOT NULL",
    # what happened: the acts the rules judge
    "views": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
             "usr TEXT NOT NULL, org TEXT, subject TEXT NOT NULL, purpose TEXT NOT NULL, categories TEXT NOT NULL, "
             "bulk_count INTEGER, bulk_armed INTEGER",
    "decisions": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
                 "actor TEXT NOT NULL, org TEXT, decision TEXT NOT NULL, kind TEXT NOT NULL, customer TEXT NOT NULL, "
                 "employer TEXT, outcome TEXT NOT NULL, language TEXT NOT NULL, competent TEXT, rule_set TEXT",
    "grants": "position {B} PRIMARY KEY, at {B} NOT NULL, actor TEXT NOT NULL, usr TEXT NOT NULL",
    "others": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
              "type TEXT NOT NULL, actor TEXT NOT NULL, org TEXT, customer TEXT, payload TEXT NOT NULL",
    # derived state
    "responsibility": "customer TEXT NOT NULL, seq INTEGER NOT NULL, org TEXT NOT NULL, from_at {B} NOT NULL, "
                      "from_text TEXT NOT NULL, to_at {B}, to_text TEXT, PRIMARY KEY (customer, seq)",
    "missed_state": "customer TEXT PRIMARY KEY, next_check {B}",
    "horizon": "id INTEGER PRIMARY KEY, at {B} NOT NULL, at_text TEXT NOT NULL",
    # judgements
    "findings": "finding TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL, event TEXT NOT NULL, "
                "position {B} NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, org TEXT, usr TEXT, subject TEXT, "
                "explanation TEXT NOT NULL, rule_set TEXT NOT NULL, legal_basis TEXT NOT NULL",
    "reviews": "position {B} PRIMARY KEY, finding TEXT NOT NULL, verdict TEXT NOT NULL, note TEXT NOT NULL, "
               "reviewer TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL",
    # AVI's inspection cases: inspection.case_opened and inspection.case_noted, data as stored
    "cases": "position {B} PRIMARY KEY, case_id TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, "
             "at {B} NOT NULL, at_text TEXT NOT NULL, org TEXT, payload TEXT NOT NULL",
    # who asked the ledger about whom (logging the loggers)
    "queries": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
               "asker TEXT NOT NULL, purpose TEXT NOT NULL, command TEXT NOT NULL, subject TEXT, usr TEXT, "
               "hetu_index TEXT, refused INTEGER NOT NULL",
}

INDEXES: dict[str, list[str]] = {
    "user_facts": ["usr, at"],
    "unknown_refs": ["position"],
    "customer_facts": ["customer, at", "type, at"],
    "employers": ["employer"],
    "hetu_index": ["customer"],
    "views": ["subject, at", "usr, at", "at", "org, at"],
    "decisions": ["customer, at", "actor, at", "employer", "at", "org, at"],
    "grants": ["usr", "actor"],
    "others": ["type, at", "customer"],
    "responsibility": ["org, from_at"],
    "missed_state": ["next_check"],
    "findings": ["event", "at, event, rule", "subject", "usr", "org", "rule", "position"],
    "reviews": ["finding"],
    "cases": ["case_id", "org"],
    "queries": ["subject", "usr", "hetu_index"],
}


#: indexes that only read queries use, never the follower itself: a rebuild from scratch creates
#: them once it has caught up rather than maintaining them row by row (views are most of the log)
DEFERRABLE: dict[str, frozenset[str]] = {
    "views": frozenset({"at", "org, at"}),
}


def _index_statement(db: Database, name: str, i: int, cols: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS lokikirja_v_{name}_i{i} ON {db.table('v_' + name)} ({cols})"


def create_statements(db: Database, *, defer: bool = False) -> list[str]:
    """Every table and index (idempotent); with ``defer``, without the :data:`DEFERRABLE` indexes."""
    out = []
    for name, columns in TABLES.items():
        out.append(f"CREATE TABLE IF NOT EXISTS {db.table('v_' + name)} ({columns.format(B=db.BIGINT)})")
        for i, cols in enumerate(INDEXES.get(name, [])):
            if not (defer and cols in DEFERRABLE.get(name, ())):
                out.append(_index_statement(db, name, i, cols))
    return out


def deferred_statements(db: Database) -> list[str]:
    """The :data:`DEFERRABLE` indexes that ``create_statements(defer=True)`` leaves out."""
    return [_index_statement(db, name, i, cols) for name, indexes in INDEXES.items()
            for i, cols in enumerate(indexes) if cols in DEFERRABLE.get(name, ())]


def table_names(db: Database) -> list[str]:
    return [db.table("v_" + name) for name in TABLES]
