"""The light form of a fact the rules read, and how to get it from a contract event.

The projections hold facts as stored: ``data`` is the contract's JSON object (dates as ISO text),
personal fields (HETU, name) may be ciphertext, and a HETU is replaced by its blind index
``hetu_index``. :class:`Fact` is exactly that, so the projection layer builds it from a row
without touching pydantic. The rules never read a personal field.

A *history row* (:data:`Row`) is ``(at, event_id, type, payload)``: the fact's valid time, its id,
its contract type and its data **without** personal fields, plus ``hetu_index`` where the fact
carries one — the shape the read model keeps per entity (``projections/intake``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple, TypeAlias

from ledger.events import PERSONAL_FIELDS, event_json
from ledger.identifiers import normalise_hetu
from policies.localtime import aware

Row: TypeAlias = tuple[datetime, str, str, Mapping[str, Any]]
"""A history row: ``(at, event_id, type, payload)``."""


class _FactFields(NamedTuple):
    id: str
    type: str
    at: datetime
    actor: str
    data: Mapping[str, Any]
    hetu_index: str | None = None


class Fact(_FactFields):
    """One fact as the rules see it: id, type, valid time ``at`` (aware), actor and data.

    ``hetu_index`` is the blind index of the HETU the fact carries (``user.registered``,
    ``customer.registered``), or ``None``. ``data`` is read only; personal fields in it are ignored.

    A tuple (immutable, as the frozen dataclass it replaced): one is made for every fact judged,
    in about half a frozen dataclass's time. Hashed without ``data``, a dictionary, as before.
    """

    __slots__ = ()

    def __new__(cls, id: str, type: str, at: datetime, actor: str, data: Mapping[str, Any],
                hetu_index: str | None = None) -> Fact:
        aware(at)
        return tuple.__new__(cls, (id, type, at, actor, data, hetu_index))

    def __hash__(self) -> int:
        return hash((self.id, self.type, self.at, self.actor, self.hetu_index))

    @property
    def order(self) -> tuple[datetime, str]:
        """The deterministic order of facts: by valid time, ties by event id."""
        return (self.at, self.id)

    def payload(self) -> dict[str, Any]:
        """The history-row payload: data without personal fields, plus ``hetu_index`` if any."""
        personal = PERSONAL_FIELDS.get(self.type, ())
        out = {k: v for k, v in self.data.items() if k not in personal}
        if self.hetu_index is not None:
            out["hetu_index"] = self.hetu_index
        return out

    def row(self) -> Row:
        """This fact as a history row ``(at, id, type, payload)``."""
        return (self.at, self.id, self.type, self.payload())


def stand_in_index(hetu: str) -> str:
    """A keyless stand-in for the ledger's HMAC blind index: equal HETUs give equal indexes.

    Only for building facts outside the ledger (tests, examples); the ledger's own index is keyed
    (``ledger/privacy``) and is what the projections pass in.
    """
    return "sha256:" + hashlib.sha256(normalise_hetu(hetu).encode()).hexdigest()[:32]


def fact_of(event: Any, *, index: Any = stand_in_index) -> Fact:
    """The :class:`Fact` of a validated ``ledger.events`` envelope model.

    Personal fields are dropped; a HETU becomes ``index(hetu)`` in ``hetu_index``.
    """
    data = event_json(event)["data"]
    hetu = data.get("hetu")
    personal = PERSONAL_FIELDS.get(event.type, ())
    stored = {k: v for k, v in data.items() if k not in personal}
    return Fact(id=str(event.id).lower(), type=event.type, at=event.at, actor=event.actor, data=stored,
                hetu_index=None if hetu is None else str(index(hetu)))
