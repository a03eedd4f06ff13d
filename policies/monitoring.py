"""Access-log monitoring (lokivalvonta): off-hours views and bulk viewing.

Legal source — DOMAIN.md, *Language, access logs and the data subject*: log records hold when
and by whom; active log monitoring is how snooping (urkinta) is found.

**Off hours** (``ACCESS_OFF_HOURS``): a view whose Europe/Helsinki local time (DST-correct) is on a
Saturday or Sunday, on a day of the ``holidays`` package's ``Finland`` calendar (default
"public" category: New Year's Day, Epiphany, Good Friday, Easter Sunday and Monday, May Day,
Ascension Day, Whit Sunday, Midsummer Eve and Day, All Saints' Day, Independence Day, Christmas Eve,
Christmas Day, Boxing Day), before 07:00, or from 19:00 on. 07:00:00 and 18:59:59 are office hours.

**Bulk** (``ACCESS_BULK``), over one user's views in (at, event_id) order: the count of a view v is
the number of distinct ``c:`` customers among the user's views w up to and including v with
at(w) ≥ at(v) − 60 min (inclusive). A finding is raised on the view whose count reaches 50 while the
detector is armed; a finding disarms it. The count only falls *between* views, so the detector
re-arms on view v iff the count just before v (v excluded) is below 50. Employer views (``e:``) are
in the sequence but add nothing to the count.

For incremental recomputation every view has a state (:class:`BulkState`: ``count``,
``armed_after``). A caller that stored the states can resume at view k with
:func:`bulk_states` (``start=k``, ``armed_before`` = the stored ``armed_after`` of view k−1, and the
views of the 60 minutes before view k as context), or with :func:`resume_bulk`, which stops as
soon as the remaining stored states are provably unchanged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple

from ledger.events import Rule
from policies.localtime import local, shifted
from policies.verdicts import Verdict, verdict

OFFICE_OPENS = time(7, 0)
"""Local time office hours begin (inclusive)."""
OFFICE_CLOSES = time(19, 0)
"""Local time office hours end (exclusive: 19:00 is off hours)."""
BULK_THRESHOLD = 50
"""Distinct customers in the window that make a view bulk viewing."""
BULK_WINDOW = timedelta(minutes=60)
"""The window looking back from each view, inclusive at both ends."""


@lru_cache(maxsize=64)
def _finnish_holidays(year: int) -> Mapping[date, str]:
    # imported on first use: the holidays package loads every country's calendar (~0.5 s)
    from holidays.countries.finland import Finland

    calendar = Finland(years=year, language="en_US")  # type: ignore[no-untyped-call]  # untyped constructor
    return {day: str(name) for day, name in calendar.items()}


def public_holiday(day: date) -> str | None:
    """The name of the Finnish public holiday on ``day`` (``holidays.Finland``), or ``None``."""
    return _finnish_holidays(day.year).get(day)


def off_hours_reason(t: datetime) -> str | None:
    """Why the instant t is outside office hours in Helsinki (a clause), or ``None`` if inside."""
    lt = local(t)
    if lt.weekday() == 5:
        return "on a Saturday"
    if lt.weekday() == 6:
        return "on a Sunday"
    holiday = public_holiday(lt.date())
    if holiday is not None:
        return f"on a Finnish public holiday ({holiday})"
    if lt.time() < OFFICE_OPENS:
        return "before 07:00"
    if lt.time() >= OFFICE_CLOSES:
        return "from 19:00 on"
    return None


def is_off_hours(t: datetime) -> bool:
    """True when t is on a weekend or public holiday, before 07:00 or from 19:00, Helsinki time."""
    return off_hours_reason(t) is not None


# --------------------------------------------------------------------------- bulk viewing


class BulkView(NamedTuple):
    """One view of one user, as the bulk detector needs it. A tuple (immutable): one is made for
    every view a rebuild reads, and a tuple is made in a third of a frozen dataclass's time."""

    at: datetime
    event: str
    subject: str

    @property
    def order(self) -> tuple[datetime, str]:
        """The sequence order: (at, event_id)."""
        return (self.at, self.event)


@dataclass(frozen=True, slots=True)
class BulkState:
    """A view's state: its ``count``, whether the detector is armed after it, and whether it
    raised a finding (``triggered``, derived; not needed to resume)."""

    count: int
    armed_after: bool
    triggered: bool = False


class BulkDetector:
    """The bulk rule as a state machine fed one user's views in (at, event_id) order."""

    def __init__(self, *, armed: bool = True) -> None:
        self.armed = armed
        self._window: deque[BulkView] = deque()
        self._customers: dict[str, int] = {}  # views per customer in the window (a dict: Counter's
        # own __missing__ and __delitem__ are Python code, and this runs per view)
        self._last: tuple[datetime, str] | None = None

    def _advance(self, view: BulkView) -> None:
        order = (view.at, view.event)
        if self._last is not None and order <= self._last:
            raise ValueError("views must be fed in strictly increasing (at, event_id) order")
        self._last = order
        try:
            since = view.at - BULK_WINDOW
        except OverflowError:  # a view in the first hour of year 1 (a stored fact at the edge of time)
            since = shifted(view.at, -BULK_WINDOW)
        window, customers = self._window, self._customers
        while window and window[0].at < since:
            gone = window.popleft().subject
            if gone.startswith("c:"):
                left = customers[gone] - 1
                if left:
                    customers[gone] = left
                else:
                    del customers[gone]

    def _add(self, view: BulkView) -> None:
        self._window.append(view)
        subject = view.subject
        if subject.startswith("c:"):
            self._customers[subject] = self._customers.get(subject, 0) + 1

    def prime(self, view: BulkView) -> None:
        """Add an earlier view as context only: it counts for later views but is not judged."""
        self._advance(view)
        self._add(view)

    def feed(self, view: BulkView) -> BulkState:
        """Judge the next view; returns its state."""
        self._advance(view)
        if len(self._customers) < BULK_THRESHOLD:
            self.armed = True
        self._add(view)
        count = len(self._customers)
        triggered = self.armed and count >= BULK_THRESHOLD
        if triggered:
            self.armed = False
        return BulkState(count, self.armed, triggered)  # positional: one per view, cheaper


def bulk_states(views: Sequence[BulkView], *, start: int = 0, armed_before: bool = True) -> list[BulkState]:
    """The states of ``views[start:]``; ``views[:start]`` are context (the views of the 60 minutes
    before ``views[start]`` suffice) and ``armed_before`` is the state after ``views[start - 1]``
    (``True`` before a user's first view). ``views`` must be in (at, event_id) order."""
    detector = BulkDetector(armed=armed_before)
    for view in views[:start]:
        detector.prime(view)
    return [detector.feed(view) for view in views[start:]]


def resume_bulk(views: Sequence[BulkView], *, start: int, armed_before: bool,
                stored_armed: Sequence[bool | None], settled_after: datetime) -> list[BulkState]:
    """Recompute ``views[start:]`` only as far as anything can have changed.

    ``stored_armed[i]`` is the stored ``armed_after`` of ``views[start + i]`` (``None``: new view).
    ``settled_after`` is the end of the affected window: the latest new view's ``at`` + 60 minutes.
    The result is the states of ``views[start:stop]``, where ``stop`` is the first view after
    ``settled_after`` whose predecessor's recomputed ``armed_after`` equals the stored one — from
    there on every state, ``triggered`` included, equals what a full recomputation gives.
    """
    detector = BulkDetector(armed=armed_before)
    for view in views[:start]:
        detector.prime(view)
    out: list[BulkState] = []
    for i, view in enumerate(views[start:]):
        if out and view.at > settled_after and stored_armed[i - 1] == out[-1].armed_after:
            break
        out.append(detector.feed(view))
    return out


def bulk_verdict(*, user: str, subject: str, org: str | None, count: int, at: datetime) -> Verdict:
    """The ``ACCESS_BULK`` verdict on the view of ``subject`` that reached the threshold."""
    return verdict(Rule.ACCESS_BULK, at=at, org=org, user=user, subject=subject,
                   explanation=f"{user} viewed {count} distinct customers' records within 60 minutes; this view "
                               f"of {subject} reached the threshold of {BULK_THRESHOLD}.")
