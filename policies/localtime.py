"""Local time in Finland (Europe/Helsinki), the only clock the rules know.

The rules never read the system clock: every time comes from a fact's ``at`` (an aware
``datetime``). CONTRACT §2 compares dates of access rights, and DOMAIN.md's age limit, in the
*local* date of Europe/Helsinki; daylight-saving time is handled by :mod:`zoneinfo`.

**Total over every instant.** The ledger refuses valid times outside its range at ingest
(``ledger/validtime``), yet a stored fact may lie anywhere Python can represent (a store written
before that check). The arithmetic here saturates instead of raising ``OverflowError``: a local
time beyond years 1–9999 reads as the first or last representable one (:func:`local`), a shifted
time stops there (:func:`shifted`), and :func:`wall_clock` (for display) falls back to UTC. So no
fact can stop a rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
"""The time zone every local date and hour of the rules is taken in."""


def aware(t: datetime) -> datetime:
    """``t`` itself when it carries an offset; a naive time is refused (its instant is unknown)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("a time without an offset cannot be judged (CONTRACT §1: RFC 3339 with an offset)")
    return t


def shifted(t: datetime, delta: timedelta) -> datetime:
    """``t + delta``, or the first or last representable time (``t``'s offset kept) when that
    lies outside years 1–9999."""
    try:
        return t + delta
    except OverflowError:
        return (datetime.max if delta > timedelta(0) else datetime.min).replace(tzinfo=t.tzinfo)


def _in_helsinki(t: datetime) -> datetime:
    try:
        return aware(t).astimezone(HELSINKI)
    except OverflowError:  # the local wall clock would leave years 1–9999: saturate
        return (datetime.max if t.year > 5000 else datetime.min).replace(tzinfo=HELSINKI)


def wall_clock(t: datetime) -> datetime:
    """``t`` as Helsinki wall-clock time, for display; when that would leave years 1–9999 (a stored
    fact at the edge of time), ``t`` in UTC instead, or as given: the same instant, exactly."""
    try:
        return aware(t).astimezone(HELSINKI)
    except OverflowError:
        try:
            return t.astimezone(UTC)
        except OverflowError:
            return t


def local(t: datetime) -> datetime:
    """The same instant as a Europe/Helsinki wall-clock time (saturated beyond years 1–9999)."""
    return _in_helsinki(t)


def local_date(t: datetime) -> date:
    """The Europe/Helsinki calendar date of the instant ``t``."""
    return _in_helsinki(t).date()


def local_minute(t: datetime) -> str:
    """The local wall-clock minute of ``t`` as ``YYYY-MM-DD HH:MM``, for explanations (isoformat
    and a slice: about a third of ``strftime``'s cost, and every finding's explanation has one)."""
    return _in_helsinki(t).isoformat(" ", "minutes")[:16]


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
