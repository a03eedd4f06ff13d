"""Helsinki wall-clock time for the simulation: workdays, office hours, and event times.

Inside the simulator an instant is an ``int`` of seconds since the epoch (UTC); it becomes an
RFC 3339 time with the Europe/Helsinki offset only when written (:func:`rfc3339`). Workdays are
Monday to Friday except Finnish public holidays of the ``holidays`` package (its ``Finland``
calendar, the one the ledger's rules use). Office hours are 08:00–16:00 local with a
lunch dip; the rules only object before 07:00 and from 19:00, so normal work keeps a margin.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")

OFFICE_START = 8 * 3600
"""Normal work starts at 08:00 local."""
OFFICE_END = 16 * 3600
"""…and ends by 16:00 local (the rules allow 07:00–19:00)."""
LAST_START = OFFICE_END - 20 * 60
"""The latest start of a piece of work, so its follow-ups (≤ 20 min) end by 16:00."""

# Relative weight of each office hour 08–15: a morning peak, the lunch dip at 11–12.
_HOUR_WEIGHTS = (1.0, 1.4, 1.3, 0.35, 0.9, 1.2, 1.0, 0.6)
_HOURS = tuple(range(8, 16))
_HOUR_CUMULATIVE = tuple(itertools.accumulate(_HOUR_WEIGHTS))


@cache
def _holidays(year: int) -> frozenset[date]:
    # the country module alone: importing ``holidays`` loads every country's calendar (~0.5 s)
    from holidays.countries.finland import Finland

    return frozenset(Finland(years=year))  # type: ignore[no-untyped-call]  # untyped constructor


def is_holiday(day: date) -> bool:
    """True on a Finnish public holiday (``holidays.Finland``)."""
    return day in _holidays(day.year)


def is_workday(day: date) -> bool:
    """Monday to Friday and not a Finnish public holiday."""
    return day.weekday() < 5 and not is_holiday(day)


@cache
def _day(day: date) -> tuple[int, bool]:
    """Local midnight of ``day`` as an instant, and whether the day is 24 hours long (no DST change)."""
    start = int(datetime(day.year, day.month, day.day, tzinfo=HELSINKI).timestamp())
    following = day + timedelta(days=1)
    end = int(datetime(following.year, following.month, following.day, tzinfo=HELSINKI).timestamp())
    return start, end - start == 86_400


def wall(day: date, seconds: int) -> int:
    """The instant of local wall-clock time ``seconds`` after midnight on ``day`` in Helsinki.

    A wall time that does not exist (the spring DST gap) is taken with the offset before the gap.
    """
    start, plain = _day(day)
    if plain:
        return start + seconds
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return int(datetime(day.year, day.month, day.day, h, m, s, tzinfo=HELSINKI).timestamp())


def midnight(day: date) -> int:
    """The instant local midnight begins ``day`` (00:00 Helsinki)."""
    return _day(day)[0]


def local_date(ts: int) -> date:
    """The Helsinki calendar date of the instant ``ts``."""
    return datetime.fromtimestamp(ts, HELSINKI).date()


@lru_cache(maxsize=8192)
def _offset(hour: int) -> int:
    """Helsinki's UTC offset in seconds during the UTC hour ``hour`` (DST changes on whole hours)."""
    offset = datetime.fromtimestamp(hour * 3600, HELSINKI).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


@cache
def _date_text(epoch_day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=epoch_day)).isoformat()


def rfc3339(ts: int) -> str:
    """The instant as RFC 3339 in Helsinki local time with its offset, e.g. 2021-03-01T09:12:00+02:00."""
    offset = _offset(ts // 3600)
    day, second = divmod(ts + offset, 86_400)
    h, rest = divmod(second, 3600)
    m, s = divmod(rest, 60)
    return f"{_date_text(day)}T{h:02d}:{m:02d}:{s:02d}+{offset // 3600:02d}:{offset % 3600 // 60:02d}"


def office_second(rng: random.Random) -> int:
    """A second of the working day (08:00 ≤ t < 15:40 local) with a lunch dip."""
    hour = rng.choices(_HOURS, cum_weights=_HOUR_CUMULATIVE)[0]
    second = hour * 3600 + rng.randrange(3600)
    return min(second, LAST_START - 1)


def evening_second(rng: random.Random) -> int:
    """A second of the evening, 19:00–22:59 local (off hours)."""
    return 19 * 3600 + rng.randrange(4 * 3600)


def daytime_second(rng: random.Random) -> int:
    """A second of the day, 09:00–17:59 local (off hours on weekends and holidays)."""
    return 9 * 3600 + rng.randrange(9 * 3600)


def days_from(start: date, count: int) -> list[date]:
    """``count`` consecutive dates from ``start``."""
    return [start + timedelta(days=i) for i in range(count)]
