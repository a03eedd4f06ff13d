"""The stored form of a fact, and the eventsourcing mapper that reads and writes it.

One contract event is one eventsourcing stored event (ADR 0001): ``originator_id`` is the contract
``id``, ``originator_version`` is 1, ``topic`` is the contract ``type`` and ``state`` is the canonical
JSON below. The notification id is the event's position in the log.

``state`` (UTF-8, keys sorted, no spaces)::

    {"actor": …, "at": "<RFC 3339 as given>", "data": {…personal fields as ciphertext…},
     "fp": "<HMAC fingerprint of the contract content>", "hetu_index": "<blind index>"?,
     "id": "<uuid>", "recorded_at": "<UTC, µs>", "type": "<contract type>", "v": 1}

Merkle leaves (``ledger/merkle``) cover these bytes exactly as stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, Notification, StoredEvent

STATE_VERSION = 1


def canonical_json(obj: Any) -> bytes:
    """The one canonical JSON encoding of Lokikirja: sorted keys, compact, UTF-8, no floats."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True, slots=True)
class StoredFact:
    """A fact as the ledger holds it. ``position`` is set when read from the log."""

    id: UUID
    type: str
    at: datetime
    actor: str
    recorded_at: datetime
    data: dict[str, Any]
    fp: str
    hetu_index: str | None = None
    position: int | None = field(default=None, compare=False)
    known_text: str | None = field(default=None, compare=False, repr=False)  # str(id), when already at hand
    given_at: str | None = field(default=None, compare=False, repr=False)  # ``at`` as the source wrote it

    @property
    def id_text(self) -> str:
        """The id as text (``str(id)``, the contract's form), without formatting the UUID again
        when the fact was read from its stored state."""
        return self.known_text or str(self.id)

    @property
    def at_text(self) -> str:
        """``at`` as the source gave it (CONTRACT §1: RFC 3339 with its own offset and precision;
        ``T`` and ``Z`` in upper case), which is what the ledger stores and prints."""
        return self.given_at or self.at.isoformat()

    # The attributes eventsourcing's domain-event protocol reads.
    @property
    def originator_id(self) -> UUID:
        return self.id

    @property
    def originator_version(self) -> int:
        return 1

    @property
    def timestamp(self) -> datetime:
        return self.recorded_at

    def state(self, *, at_text: str | None = None, recorded_text: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "actor": self.actor,
            "at": at_text or self.at_text,
            "data": self.data,
            "fp": self.fp,
            "id": self.id_text,
            "recorded_at": recorded_text or self.recorded_at.isoformat(timespec="microseconds"),
            "type": self.type,
            "v": STATE_VERSION,
        }
        if self.hetu_index is not None:
            out["hetu_index"] = self.hetu_index
        return out

    def to_stored_event(self, *, at_text: str | None = None, recorded_text: str | None = None) -> StoredEvent:
        return StoredEvent(
            originator_id=self.id,
            originator_version=1,
            topic=self.type,
            state=canonical_json(self.state(at_text=at_text, recorded_text=recorded_text)),
        )

    @classmethod
    def from_state(cls, state: bytes, position: int | None = None) -> StoredFact:
        obj = orjson.loads(state)
        return cls(
            id=UUID(obj["id"]),
            type=obj["type"],
            at=datetime.fromisoformat(obj["at"]),
            actor=obj["actor"],
            recorded_at=datetime.fromisoformat(obj["recorded_at"]),
            data=obj["data"],
            fp=obj["fp"],
            hetu_index=obj.get("hetu_index"),
            position=position,
            known_text=_canonical_id(obj["id"]),
            given_at=obj["at"],
        )


def _canonical_id(text: str) -> str | None:
    """``text`` when it is already ``str(UUID(text))`` (as every state written here is), else None."""
    hyphens = len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-"
    return text if hyphens and text == text.lower() else None


class FactMapper(Mapper[UUID]):
    """Maps :class:`StoredFact` to and from eventsourcing's ``StoredEvent`` (no cipher here:
    personal fields are encrypted per subject before a fact is built, see ``ledger/privacy``)."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if not isinstance(domain_event, StoredFact):
            raise TypeError(f"Lokikirja stores StoredFact, not {type(domain_event).__name__}")
        return domain_event.to_stored_event()

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        position = stored_event.id if isinstance(stored_event, Notification) else None
        return StoredFact.from_state(stored_event.state, position)
