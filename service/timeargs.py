"""``--since``/``--until``/``--at`` arguments: a date (Europe/Helsinki local day) or an RFC 3339 time.

Either must lie within the times the ledger answers for (``ledger/validtime``: 1800-01-01 to
2199-12-31); anything else is a usage error (exit 2) in one sentence, never an overflow.
"""

from __future__ import annotations

from datetime import datetime

from ledger.errors import UsageError
from ledger.validtime import parse_time
from projections.queries import Window
from projections.schema import micros


def parse_instant(value: str, option: str, *, end_of_day: bool = False) -> datetime:
    """A date means that local day in Helsinki (its start, or with ``end_of_day`` its last
    microsecond); a time needs an offset."""
    try:
        return parse_time(value, end_of_day=end_of_day)
    except ValueError as e:
        raise UsageError(f"{option} {e}") from None


def window(since: str | None, until: str | None) -> Window:
    start = micros(parse_instant(since, "--since")) if since else None
    end = micros(parse_instant(until, "--until", end_of_day=True)) if until else None
    if start is not None and end is not None and end < start:
        raise UsageError("--until is before --since")
    return Window(start, end)
