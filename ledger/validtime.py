"""Valid time at the ledger's edge: the range of ``at`` a fact may have, and the times it computes with.

A fact's ``at`` is when it happened in the source system (CONTRACT §1). A single fact dated
9999-12-31 or 0001-01-01 is not a fact of the experiment: it moves the horizon (CONTRACT §2) and
with it every open ``TRANSFER_MISSED`` episode, and it sits at the edge of what the date arithmetic
can represent. So ingest (every door: the CLI and ``POST /v1/events``) refuses a fact whose ``at``

- lies outside the **valid-time range**, by default 1970-01-01 to 2039-12-31 (Helsinki dates,
  both whole days included): the experiment (1.3.2021–31.12.2024) with a wide margin for the
  organisations, officials and customer histories that began long before it (a source system may
  date an organisation's registration decades back) and the late or corrective facts that follow
  it; or
- lies more than :data:`DEFAULT_MAX_DAYS_AHEAD` day after the moment the ledger records it: a fact
  cannot have happened in the future (a margin for clocks that disagree).

Both are configurable (``LOKIKIRJA_VALID_FROM``, ``LOKIKIRJA_VALID_UNTIL``: a date or an RFC 3339
time; ``LOKIKIRJA_MAX_DAYS_AHEAD``: whole days), within the **supported times**
1800-01-01T00:00:00Z – 2200-01-01T00:00:00Z, which are also the times a query may name (``--since``,
``--until``, ``--at`` and their HTTP parameters). docs/input.md has the table.

Pure apart from :meth:`ValidTime.from_env`, which reads the environment once per caller.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from ledger.errors import UsageError

HELSINKI = ZoneInfo("Europe/Helsinki")

SUPPORTED_FROM = datetime(1800, 1, 1, tzinfo=UTC)
"""The first time Lokikirja computes with (inclusive)."""
SUPPORTED_UNTIL = datetime(2200, 1, 1, tzinfo=UTC)
"""The end of the times Lokikirja computes with (exclusive)."""
SUPPORTED_TEXT = "1800-01-01 and 2199-12-31"

DEFAULT_VALID_FROM = "1970-01-01"
DEFAULT_VALID_UNTIL = "2039-12-31"
DEFAULT_MAX_DAYS_AHEAD = 1

ENV_FROM, ENV_UNTIL, ENV_AHEAD = "LOKIKIRJA_VALID_FROM", "LOKIKIRJA_VALID_UNTIL", "LOKIKIRJA_MAX_DAYS_AHEAD"


def supported(t: datetime) -> bool:
    """True when the aware time ``t`` lies within the supported times (comparing never overflows)."""
    return SUPPORTED_FROM <= t < SUPPORTED_UNTIL


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_time(value: str, *, end_of_day: bool = False) -> datetime:
    """A date ``YYYY-MM-DD`` (that Helsinki day's start, or with ``end_of_day`` its last microsecond)
    or an RFC 3339 time with an offset, within the supported times. Raises ``ValueError`` with a
    clause that completes "``--since`` …" (it never repeats the value)."""
    text = value.strip()
    if not text.isascii():
        raise ValueError("must be written in ASCII digits: a date YYYY-MM-DD or an RFC 3339 time with an offset")
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            if not date(1800, 1, 1) <= day <= date(2199, 12, 31):
                raise ValueError("unsupported")
            if end_of_day:
                parsed = datetime.combine(day + timedelta(days=1), time(), HELSINKI) - timedelta(microseconds=1)
            else:
                parsed = datetime.combine(day, time(), HELSINKI)
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as e:
        if str(e) == "unsupported":
            raise ValueError(f"must lie between {SUPPORTED_TEXT}, the times the ledger answers for") from None
        raise ValueError("must be a date YYYY-MM-DD or an RFC 3339 time with an offset") from None
    if parsed.tzinfo is None:
        raise ValueError("needs an offset, e.g. 2022-03-14T09:00:00+02:00")
    if not supported(parsed):
        raise ValueError(f"must lie between {SUPPORTED_TEXT}, the times the ledger answers for")
    return parsed


def _shown(t: datetime) -> str:
    """A bound as configured: a Helsinki date when it is a whole day's start or end, else RFC 3339."""
    local = t.astimezone(HELSINKI)
    if local.time() in (time(), time(23, 59, 59, 999999)):
        return f"{local.date()} (Helsinki)"
    return t.isoformat()


@dataclass(frozen=True)
class ValidTime:
    """The valid times ingest accepts: ``earliest`` ≤ ``at`` ≤ ``latest``, and ``at`` at most
    ``max_ahead`` after the recording time."""

    earliest: datetime
    latest: datetime
    max_ahead: timedelta

    @classmethod
    def default(cls) -> ValidTime:
        return cls.from_env({})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ValidTime:
        """The range configured by ``LOKIKIRJA_VALID_FROM``/``_UNTIL``/``LOKIKIRJA_MAX_DAYS_AHEAD``,
        each defaulting to the documented value; a bad setting is a ``UsageError`` (exit 2)."""
        env = os.environ if environ is None else environ
        return _from_settings(env.get(ENV_FROM) or DEFAULT_VALID_FROM, env.get(ENV_UNTIL) or DEFAULT_VALID_UNTIL,
                              env.get(ENV_AHEAD) or str(DEFAULT_MAX_DAYS_AHEAD))

    def problem(self, at: datetime, recorded_at: datetime) -> str | None:
        """Why a fact with valid time ``at``, recorded at ``recorded_at``, is refused; ``None`` if it
        is not. The clause completes "``at`` …"."""
        if at < self.earliest:
            return (f"is before {_shown(self.earliest)}, the start of the valid-time range this ledger accepts "
                    f"({ENV_FROM}; docs/input.md)")
        if at > self.latest:
            return (f"is after {_shown(self.latest)}, the end of the valid-time range this ledger accepts "
                    f"({ENV_UNTIL}; docs/input.md)")
        if at - recorded_at > self.max_ahead:
            days = self.max_ahead.days
            return (f"is more than {days} day{'' if days == 1 else 's'} after the ledger recorded it: a fact "
                    f"cannot have happened in the future ({ENV_AHEAD}; docs/input.md)")
        return None


def parse_moment(value: str) -> datetime:
    """A moment as people give one: a date (the end of that Helsinki day), a local date and time
    ``YYYY-MM-DDTHH:MM[:SS]`` (Helsinki time; what a datetime-local field sends) or an RFC 3339
    time with an offset. Raises ``ValueError`` as :func:`parse_time` does."""
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?", text):
        try:
            text = datetime.fromisoformat(text).replace(tzinfo=HELSINKI).isoformat()
        except ValueError:
            raise ValueError("must be a date YYYY-MM-DD, a date and time, or an RFC 3339 time") from None
    return parse_time(text, end_of_day=True)


@lru_cache(maxsize=8)
def _from_settings(valid_from: str, valid_until: str, ahead: str) -> ValidTime:
    """:meth:`ValidTime.from_env` of the three settings' texts, remembered: every ingest asks (a
    gateway, once a fact), and parsing them was a twentieth of appending one fact."""
    bounds = []
    for name, text, end in ((ENV_FROM, valid_from, False), (ENV_UNTIL, valid_until, True)):
        try:
            bounds.append(parse_time(text, end_of_day=end))
        except ValueError as e:
            raise UsageError(f"{name} {e}") from None
    if not (ahead.isascii() and ahead.isdigit()) or int(ahead) > 36_500:
        raise UsageError(f"{ENV_AHEAD} must be a whole number of days from 0 to 36500")
    if bounds[1] < bounds[0]:
        raise UsageError(f"{ENV_UNTIL} is before {ENV_FROM}")
    return ValidTime(bounds[0], bounds[1], timedelta(days=int(ahead)))
