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

import re
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, Notification, StoredEvent

STATE_VERSION = 1


def canonical_json(obj: Any) -> bytes:
    """The one canonical JSON encoding of Lokikirja: sorted keys, compact, UTF-8, no floats."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def stored_state(*, uid: str, type_name: str, given_at: str, actor: str, data: dict[str, Any], fp: str,
                 recorded_text: str, hetu_index: str | None = None) -> bytes:
    """The stored state of a fact (the layout above), its personal fields already encrypted: built
    here for a :class:`StoredFact` and, without one, by ingest (``ledger/ingest_prepare``)."""
    state: dict[str, Any] = {"actor": actor, "at": given_at, "data": data, "fp": fp, "id": uid,
                             "recorded_at": recorded_text, "type": type_name, "v": STATE_VERSION}
    if hetu_index is not None:
        state["hetu_index"] = hetu_index
    return canonical_json(state)


class StoredFact:
    """A fact as the ledger holds it. ``position`` is set when read from the log.

    Equal facts have equal content: ``position`` and the two texts kept from the stored state
    do not take part in equality. Treated as immutable (:meth:`at_position` gives a copy). A fact
    read from the log parses its UUID and recording time only when they are asked for: a rebuild
    reads every fact and needs neither.
    """

    __slots__ = ("_id", "_id_text", "_recorded_at", "_recorded_text", "actor", "at", "data", "fp", "given_at",
                 "hetu_index", "position", "type")

    def __init__(self, *, id: UUID, type: str, at: datetime, actor: str, recorded_at: datetime,
                 data: dict[str, Any], fp: str, hetu_index: str | None = None, position: int | None = None,
                 given_at: str | None = None) -> None:
        self._id: UUID | None = id
        self._id_text: str | None = None
        self.type = type
        self.at = at
        self.actor = actor
        self._recorded_at: datetime | None = recorded_at
        self._recorded_text: str | None = None
        self.data = data
        self.fp = fp
        self.hetu_index = hetu_index
        self.position = position
        self.given_at = given_at  # ``at`` as the source wrote it

    @property
    def id(self) -> UUID:
        if self._id is None:
            self._id = UUID(self._id_text)
        return self._id

    @property
    def id_text(self) -> str:
        """The id as text (``str(id)``, the contract's form), without formatting the UUID again
        when the fact was read from its stored state."""
        if self._id_text is None:
            self._id_text = str(self._id)
        return self._id_text

    @property
    def recorded_at(self) -> datetime:
        """When the ledger recorded the fact (UTC)."""
        if self._recorded_at is None:
            assert self._recorded_text is not None
            self._recorded_at = datetime.fromisoformat(self._recorded_text)
        return self._recorded_at

    @property
    def recorded_text(self) -> str:
        """The recording time as stored: RFC 3339 in UTC with microseconds."""
        if self._recorded_text is None:
            self._recorded_text = self.recorded_at.isoformat(timespec="microseconds")
        return self._recorded_text

    @property
    def at_text(self) -> str:
        """``at`` as the source gave it (CONTRACT §1: RFC 3339 with its own offset and precision;
        ``T`` and ``Z`` in upper case), which is what the ledger stores and prints."""
        return self.given_at or self.at.isoformat()

    def _content(self) -> tuple[Any, ...]:
        return (self.id, self.type, self.at, self.actor, self.recorded_at, self.data, self.fp, self.hetu_index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StoredFact):
            return NotImplemented
        return self._content() == other._content()

    __hash__ = None  # type: ignore[assignment]  # mutable data: not hashable, as the dataclass it replaced

    def __repr__(self) -> str:
        return (f"StoredFact(id={self.id_text!r}, type={self.type!r}, at={self.at_text!r}, "
                f"actor={self.actor!r}, position={self.position!r})")

    def at_position(self, position: int) -> StoredFact:
        """This fact as appended at ``position``."""
        copy = StoredFact(id=self.id, type=self.type, at=self.at, actor=self.actor, recorded_at=self.recorded_at,
                          data=self.data, fp=self.fp, hetu_index=self.hetu_index, position=position,
                          given_at=self.given_at)
        copy._id_text = self._id_text
        return copy

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

    def to_stored_event(self, *, at_text: str | None = None, recorded_text: str | None = None) -> StoredEvent:
        state = stored_state(uid=self.id_text, type_name=self.type, given_at=at_text or self.at_text, actor=self.actor,
                             data=self.data, fp=self.fp, recorded_text=recorded_text or self.recorded_text,
                             hetu_index=self.hetu_index)
        return StoredEvent(originator_id=self.id, originator_version=1, topic=self.type, state=state)

    @classmethod
    def from_state(cls, state: bytes, position: int | None = None) -> StoredFact:
        obj = orjson.loads(state)
        fact = cls.__new__(cls)
        text = obj["id"]
        if _canonical_id(text):
            fact._id, fact._id_text = None, text
        else:
            fact._id, fact._id_text = UUID(text), None
        fact.type = obj["type"]
        fact.given_at = obj["at"]
        fact.at = datetime.fromisoformat(fact.given_at)
        fact.actor = obj["actor"]
        fact._recorded_at, fact._recorded_text = None, obj["recorded_at"]
        fact.data = obj["data"]
        fact.fp = obj["fp"]
        fact.hetu_index = obj.get("hetu_index")
        fact.position = position
        return fact


def _canonical_id(text: str) -> bool:
    """Whether ``text`` is already ``str(UUID(text))``, as every state written here is."""
    return _CANONICAL_UUID.fullmatch(text) is not None


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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
