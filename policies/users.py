"""A user's (an official's) history: registrations, access-right grants and revocations.

CONTRACT §2: a user's organisation at t is the ``org`` of their latest ``user.registered`` in force
(at ≤ t). Before their first registration a user has no organisation (and no main duties): the
contract reads "in force" literally, so an act stamped before the registration is judged as by a
user of no organisation — e.g. a grant then is not by a user of ``keha`` (``GRANT_UNAUTHORISED``).

An access right (käyttöoikeus) is in force at t when an ``access.granted`` has at ≤ t and
``valid_from`` ≤ local date(t) ≤ ``valid_until`` (inclusive, Europe/Helsinki; no ``valid_until``:
open-ended), and no ``access.revoked`` of the user lies between that grant and t: a revocation
ordered after the grant by (at, event_id) with at ≤ t. Grants count whoever made them;
an unauthorised grant is a finding of its own (``GRANT_UNAUTHORISED``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from policies.facts import Row
from policies.localtime import as_date, local_midnight, optional_date


@dataclass(frozen=True, slots=True)
class UserRegistration:
    """A ``user.registered`` fact; ``hetu_index`` is the blind index of the official's own HETU."""

    at: datetime
    event_id: str
    org: str
    main_duties_under_act: bool
    hetu_index: str | None = None


@dataclass(frozen=True, slots=True)
class Grant:
    """An ``access.granted`` fact; ``valid_until`` is inclusive, ``None`` for open-ended."""

    at: datetime
    event_id: str
    valid_from: date
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class Revocation:
    """An ``access.revoked`` fact."""

    at: datetime
    event_id: str


class UserHistory:
    """One user's facts, sorted by (at, event_id), answering "as of t" questions. Immutable."""

    __slots__ = ("_grants", "_hetu_index", "_reg_ats", "_revoked_at", "_windows", "registrations", "user")

    def __init__(self, user: str, registrations: Iterable[UserRegistration] = (),
                 grants: Iterable[Grant] = (), revocations: Iterable[Revocation] = ()) -> None:
        self.user = user
        self.registrations = tuple(sorted(registrations, key=lambda r: (r.at, r.event_id)))
        self._reg_ats = [r.at for r in self.registrations]
        self._hetu_index = next((r.hetu_index for r in self.registrations if r.hetu_index is not None), None)
        self._grants = tuple(sorted(grants, key=lambda g: (g.at, g.event_id)))
        revs = sorted(revocations, key=lambda r: (r.at, r.event_id))
        keys = [(r.at, r.event_id) for r in revs]
        # for each grant, when the first revocation after it takes effect (None: never revoked)
        self._revoked_at: tuple[datetime | None, ...] = tuple(
            revs[i].at if (i := bisect_right(keys, (g.at, g.event_id))) < len(revs) else None
            for g in self._grants)
        self._windows = tuple(_window(g) for g in self._grants)

    @classmethod
    def from_facts(cls, user: str, rows: Iterable[Row]) -> UserHistory:
        """From history rows ``(at, event_id, type, payload)`` of this user; other types are ignored."""
        regs: list[UserRegistration] = []
        grants: list[Grant] = []
        revs: list[Revocation] = []
        for at, event_id, type_, d in rows:
            if type_ == "user.registered":
                regs.append(UserRegistration(at, event_id, d["org"], bool(d["main_duties_under_act"]),
                                             d.get("hetu_index")))
            elif type_ == "access.granted":
                grants.append(Grant(at, event_id, as_date(d["valid_from"]), optional_date(d.get("valid_until"))))
            elif type_ == "access.revoked":
                revs.append(Revocation(at, event_id))
        return cls(user, regs, grants, revs)

    def registration_at(self, t: datetime) -> UserRegistration | None:
        """The latest registration in force at t, else ``None``."""
        i = bisect_right(self._reg_ats, t)
        return self.registrations[i - 1] if i else None

    def org_at(self, t: datetime) -> str | None:
        """The user's organisation at t (CONTRACT §2)."""
        reg = self.registration_at(t)
        return None if reg is None else reg.org

    def main_duties_at(self, t: datetime) -> bool | None:
        """Whether the user's main duties are the Act's tasks at t; ``None`` if not registered by then."""
        reg = self.registration_at(t)
        return None if reg is None else reg.main_duties_under_act

    @property
    def hetu_index(self) -> str | None:
        """The blind index of the user's own HETU (a person's HETU does not change), if any."""
        return self._hetu_index

    def grant_in_force(self, t: datetime) -> Grant | None:
        """The latest grant that gives the user an access right in force at t, or ``None``."""
        found: Grant | None = None
        for grant, (begins, ends), revoked in zip(self._grants, self._windows, self._revoked_at, strict=True):
            if grant.at > t:
                break
            if (begins is None or begins <= t) and (ends is None or t < ends) and (revoked is None or revoked > t):
                found = grant
        return found

    def right_in_force(self, t: datetime) -> bool:
        """True when the user has an access right in force at t (CONTRACT §2)."""
        return self.grant_in_force(t) is not None


def _window(grant: Grant) -> tuple[datetime | None, datetime | None]:
    """The instants (UTC) between which ``valid_from ≤ local date(t) ≤ valid_until`` holds: from the
    local midnight beginning ``valid_from`` to the one ending ``valid_until``, ``None`` where that
    side holds for every instant (an open end, or a midnight beyond what a ``datetime`` can hold —
    :func:`~policies.localtime.local_date` saturates there, so every instant is on that side).
    Taken once per grant, so judging an act compares instants without a local date."""
    return (_midnight_utc(grant.valid_from),
            None if grant.valid_until is None or grant.valid_until == date.max
            else _midnight_utc(grant.valid_until + timedelta(days=1)))


def _midnight_utc(day: date) -> datetime | None:
    try:
        return local_midnight(day).astimezone(UTC)
    except OverflowError:  # only the first day of year 1 begins before the first UTC instant
        return None
