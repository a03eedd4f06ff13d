"""Facts the ledger writes itself: ``ledger.queried``, ``finding.reviewed``, ``subject.erased``.

They are validated by the same contract models, stored like any fact (and sealed), but never
ingested from outside. ``at`` and ``recorded_at`` are the moment the ledger wrote them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ledger.events import event_json, parse_any_event
from ledger.privacy import fingerprint
from ledger.records import StoredFact, canonical_json
from ledger.store import Ledger


def build_own_fact(ledger: Ledger, type_name: str, actor: str, data: dict[str, Any]) -> StoredFact:
    """Validate one fact of the ledger's own types and give its stored form (not yet appended),
    for callers that append it in a transaction of their own (erasure: the fact and the key's
    destruction commit together)."""
    now = datetime.now(UTC)
    doc = {"id": str(uuid.uuid4()), "type": type_name, "at": now.isoformat(), "actor": actor,
           "data": {k: v for k, v in data.items() if v is not None}}
    event = parse_any_event(doc)
    content = event_json(event)
    fp = fingerprint(ledger.keys.index, canonical_json(content))
    return StoredFact(id=uuid.UUID(doc["id"]), type=type_name, at=now, actor=actor, recorded_at=now,
                      data=content["data"], fp=fp)


def append_own_fact(ledger: Ledger, type_name: str, actor: str, data: dict[str, Any]) -> StoredFact:
    """Validate and append one fact of the ledger's own types; returns it with its position."""
    fact = build_own_fact(ledger, type_name, actor, data)
    with ledger.appending() as tx:
        positions = tx.insert([fact])
    (position,) = positions  # read after the commit: one round trip on PostgreSQL
    return fact.at_position(position)


def record_query(ledger: Ledger, *, asker: str, purpose: str, command: str, subject: str | None = None,
                 user: str | None = None, hetu_index: str | None = None, via: str | None = None,
                 refused: bool = False) -> StoredFact:
    """Log a query of personal data — before the answer is given (logging the loggers)."""
    return append_own_fact(ledger, "ledger.queried", asker, {
        "command": command, "purpose": purpose, "subject": subject, "user": user,
        "hetu_index": hetu_index, "via": via, "refused": refused or None})
