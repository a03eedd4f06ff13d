"""``--since``/``--until``/``--at`` arguments: a date (Europe/Helsinki local day) or an RFC 3339 time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ledger.errors import UsageError
from policies.localtime import HELSINKI
from projections.queries import Window
from projections.schema import micros


def parse_instant(value: str, option: str, *, end_of_day: bool = False) -> datetime:
    """A date means that local day in Helsinki (its start, or with ``end_of_day`` its last
    microsecond); a time needs an offset."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            if end_of_day:
                return datetime.combine(day + timedelta(days=1), time(), HELSINKI) - timedelta(microseconds=1)
            return datetime.combine(day, time(), HELSINKI)
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise UsageError(f"{option} must be a date YYYY-MM-DD or an RFC 3339 time with an offset") from None
    if parsed.tzinfo is None:
        raise UsageError(f"{option} needs an offset, e.g. 2022-03-14T09:00:00+02:00")
    return parsed


def window(since: str | None, until: str | None) -> Window:
    start = micros(parse_instant(since, "--since")) if since else None
    end = micros(parse_instant(until, "--until", end_of_day=True)) if until else None
    if start is not None and end is not None and end < start:
        raise UsageError("--until is before --since")
    return Window(start, end)
