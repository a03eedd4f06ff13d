"""The simulated world's state: customers, officials, employers, and the sets to sample them from.

Everything is kept compact (``__slots__``, indices instead of copies) because a 10-million-event
run keeps one object per customer and official in memory — and nothing per event.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Generic, TypeVar

NEVER = 1 << 30
"""A day index beyond any simulation."""


T = TypeVar("T")


class Pool(Generic[T]):
    """A set with O(1) add, remove and uniform random choice; members are tracked by identity.

    Iteration order is insertion order modified by swap-removal: deterministic for a seed.
    """

    __slots__ = ("_index", "items")

    def __init__(self) -> None:
        self.items: list[T] = []
        self._index: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item: T) -> bool:
        return id(item) in self._index

    def add(self, item: T) -> None:
        """Add ``item`` unless present."""
        if id(item) not in self._index:
            self._index[id(item)] = len(self.items)
            self.items.append(item)

    def remove(self, item: T) -> None:
        """Remove ``item`` if present."""
        i = self._index.pop(id(item), None)
        if i is None:
            return
        last = self.items.pop()
        if i < len(self.items):
            self.items[i] = last
            self._index[id(last)] = i

    def choice(self, rng: random.Random) -> T | None:
        """A uniformly random member, or ``None`` when empty."""
        return self.items[rng.randrange(len(self.items))] if self.items else None


class Customer:
    """A jobseeker (henkilöasiakas) and what the simulator knows of them now."""

    __slots__ = ("birth", "erl", "hetu", "home", "id", "imm", "lang", "locked_until", "pending", "reason",
                 "registered", "resp", "touched", "turns30", "withheld")

    def __init__(self, *, id: str, hetu: str, birth: date, home: str, erl: bool, imm: bool, lang: str,
                 turns30: date) -> None:
        self.id, self.hetu, self.birth, self.home = id, hetu, birth, home
        self.erl, self.imm, self.lang, self.turns30 = erl, imm, lang, turns30
        self.resp: str | None = None
        self.registered = False
        self.withheld = False
        self.pending = -1
        """Day index of a scheduled corrective transfer, -1 for none."""
        self.reason = "became_eligible"
        """The transfer reason to give when the pending transfer happens."""
        self.locked_until = -1
        """Day index until which an injected scenario owns this customer (no normal life events)."""
        self.touched = -1
        """Day index of the customer's latest registration, change, transfer or deregistration."""

    def settled(self, day: int) -> bool:
        """Registered, no transfer pending, not withheld, not owned by an injected scenario, and
        no life event yet today (so a new one can be at any time of the morning)."""
        return (self.registered and self.pending < 0 and not self.withheld and self.locked_until < day
                and self.touched != day)


class Official:
    """A user (virkailija) of an organisation, with an access right from ``first`` to ``last`` day."""

    __slots__ = ("busy", "first", "id", "last", "load", "load_day", "org")

    def __init__(self, *, id: str, org: str, first: int, last: int = NEVER) -> None:
        self.id, self.org, self.first, self.last = id, org, first, last
        self.load = 0
        self.load_day = -1
        self.busy = -1
        """A day index on which an injected scenario has the official to itself."""

    def works(self, day: int) -> bool:
        """True when the official's access right is in force on ``day``."""
        return self.first <= day <= self.last


class Employer:
    """An employer; ``municipality`` is set when the employer is that municipality."""

    __slots__ = ("id", "municipality")

    def __init__(self, id: str, municipality: str | None = None) -> None:
        self.id, self.municipality = id, municipality
