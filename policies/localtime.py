"""Local time in Finland (Europe/Helsinki), the only clock the rules know.

The rules never read the system clock: every time comes from a fact's ``at`` (an aware
``datetime``). CONTRACT §2 compares dates of access rights, and DOMAIN.md's age limit, in the
*local* date of Europe/Helsinki; daylight-saving time is handled by :mod:`zoneinfo`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
"""The time zone every local date and hour of the rules is taken in."""


def aware(t: datetime) -> datetime:
    """``t`` itself when it carries an offset; a naive time is refused (its instant is unknown)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("a time without an offset cannot be judged (CONTRACT §1: RFC 3339 with an offset)")
    return t


_LOCAL: dict[datetime, tuple[datetime, date]] = {}
_LOCAL_LIMIT = 4096


def _local(t: datetime) -> tuple[datetime, date]:
    # Several rules ask for the local time of the same ``at``; the answer is remembered for times
    # with a fixed offset (as every contract time is), where equal keys are the same instant.
    # Not for other zones: times differing only in ``fold`` compare equal yet are other instants.
    found = _LOCAL.get(t) if type(t.tzinfo) is timezone else None
    if found is None:
        lt = aware(t).astimezone(HELSINKI)
        found = (lt, lt.date())
        if type(t.tzinfo) is timezone:
            if len(_LOCAL) >= _LOCAL_LIMIT:
                _LOCAL.clear()
            _LOCAL[t] = found
    return found


def local(t: datetime) -> datetime:
    """The same instant as a Europe/Helsinki wall-clock time."""
    return _local(t)[0]


def local_date(t: datetime) -> date:
    """The Europe/Helsinki calendar date of the instant ``t``."""
    return _local(t)[1]


def local_minute(t: datetime) -> str:
    """The local wall-clock minute of ``t`` as ``YYYY-MM-DD HH:MM``, for explanations (isoformat
    and a slice: about a third of ``strftime``'s cost, and every finding's explanation has one)."""
    return _local(t)[0].isoformat(" ", "minutes")[:16]


def local_midnight(day: date) -> datetime:
    """The instant a local calendar day begins in Helsinki (00:00 local, DST-correct)."""
    return datetime.combine(day, time(0, 0), tzinfo=HELSINKI)


def as_date(value: Any) -> date:
    """A calendar date from a ``date`` or its ISO text (the form the read model stores)."""
    if isinstance(value, datetime):
        raise TypeError("expected a date, got a datetime")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise TypeError(f"expected a date, got {type(value).__name__}")


def optional_date(value: Any) -> date | None:
    """:func:`as_date`, or ``None`` for an absent value."""
    return None if value is None else as_date(value)
