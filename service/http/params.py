"""Request parameters, validated at the edge: anything malformed is a 422 before any work is done.

Free text (a purpose, a review note) must be plain text: not blank, no control characters and
valid Unicode — it is stored in the ledger and sealed, so it must encode the same everywhere.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Literal

import orjson
from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ledger.events import TEXT_LIMITS, Rule, Severity
from ledger.identifiers import SLUG, USER_PATTERN, screen_free_text, validate_hetu
from ledger.validtime import parse_moment, parse_time
from projections.queries import FindingKey, Window
from projections.schema import micros
from replay.bounded import Bounds

SUBJECT_PATTERN = rf"^(c:{SLUG}|e:[0-9]{{7}}-[0-9])$"
CUSTOMER_PATTERN = rf"^c:{SLUG}$"
ORG_PATTERN = rf"^(area:{SLUG}|te:{SLUG}|keha|avi|tem)$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,600}$"
MAX_PAGE = 10_000
MONTH_PATTERN = r"^(19|20)[0-9][0-9]-(0[1-9]|1[0-2])$"
HETU_PATTERN = r"^[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y]$"
MAX_PURPOSE = TEXT_LIMITS["purpose"]
MAX_NOTE = TEXT_LIMITS["note"]


class BadParameter(Exception):
    """A parameter that passed its pattern but not its meaning (e.g. ``until`` before ``since``): 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def plain_text(value: str) -> str:
    """Reject blank text, control characters (tab and newlines allowed) and lone surrogates."""
    if not value.strip():
        raise ValueError("must not be blank")
    for ch in value:
        code = ord(ch)
        if (code < 32 and ch not in "\t\n\r") or code == 127 or 0xD800 <= code <= 0xDFFF:
            raise ValueError("must be plain text without control characters")
    return value


def screened_text(value: str, field: str) -> str:
    """``value`` through :func:`plain_text` and the one screen of every door (no HETU, the limit)."""
    return screen_free_text(plain_text(value), limit=TEXT_LIMITS[field])


def _screened(field: str) -> AfterValidator:
    """Plain text through the one screen of every door (``screen_free_text``: no HETU, the limit)."""
    limit = TEXT_LIMITS[field]
    return AfterValidator(lambda value: screen_free_text(plain_text(value), limit=limit))


def _hetu(value: str | None) -> str | None:
    if value is not None:
        validate_hetu(value)  # its ValueError never repeats the HETU
    return value


Since = Annotated[str | None, Query(description="From this date (Helsinki) or RFC 3339 time, inclusive.")]
Until = Annotated[str | None, Query(description="Up to this date (the whole day, Helsinki) or RFC 3339 time.")]
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="Only this month, YYYY-MM.")]


def instant(value: str, field: str, *, end_of_day: bool = False) -> datetime:
    """A ``since``/``until``/``at`` value as a time within the supported times (422 when it is not one)."""
    try:
        return parse_time(value, end_of_day=end_of_day)
    except ValueError as e:
        raise BadParameter(field, str(e)) from None


def window(since: str | None, until: str | None) -> Window:
    """The valid-time window of ``since``/``until`` (both inclusive, either open)."""
    start = micros(instant(since, "since")) if since else None
    end = micros(instant(until, "until", end_of_day=True)) if until else None
    if start is not None and end is not None and end < start:
        raise BadParameter("until", "is before since")
    return Window(start, end)


class FindingFilters(BaseModel):
    """The filters of ``lokikirja findings``; every one optional, all must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: Rule | None = None
    severity: Severity | None = None
    review: Annotated[Literal["unreviewed", "justified", "violation"] | None, Field(description=(
        "not reviewed yet, or the verdict of the finding's latest review"))] = None
    org: Annotated[str | None, Field(pattern=ORG_PATTERN, description="area:…, te:…, keha, avi, tem")] = None
    user: Annotated[str | None, Field(pattern=USER_PATTERN, description="u:…")] = None
    subject: Annotated[str | None, Field(pattern=SUBJECT_PATTERN, description="c:… or e:…")] = None
    since: Annotated[str | None, Field(description="a date (Helsinki) or an RFC 3339 time, inclusive")] = None
    until: Annotated[str | None, Field(description="a date (the whole day) or an RFC 3339 time, inclusive")] = None
    limit: Annotated[int | None, Field(ge=1, le=MAX_PAGE, description=(
        "at most this many findings; when there are more, the `Link` header (rel=\"next\") gives the next page. "
        "Without it every finding is answered, streamed"))] = None
    after: Annotated[str | None, Field(pattern=CURSOR_PATTERN, description=(
        "where the previous page ended: the cursor of a `Link: …; rel=\"next\"` header"))] = None

    def window(self) -> Window:
        return window(self.since, self.until)

    def after_key(self) -> FindingKey | None:
        """The sort key ``after`` stands for (422 when it is not a cursor this server gave)."""
        if self.after is None:
            return None
        try:
            at, event, rule, finding = orjson.loads(base64.urlsafe_b64decode(self.after + "=" * (-len(self.after) % 4)))
            if isinstance(at, int) and all(isinstance(x, str) for x in (event, rule, finding)):
                return at, event, rule, finding
        except (ValueError, TypeError, orjson.JSONDecodeError):
            pass
        raise BadParameter("after", "is not a cursor from a Link header of this API")


def cursor(key: FindingKey) -> str:
    """The ``after`` value that continues after the finding with sort key ``key``."""
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).decode().rstrip("=")


class AccessQuery(BaseModel):
    """Whose access history to read: exactly one of ``subject``, ``hetu`` or ``user``, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    subject: Annotated[str | None, Field(pattern=SUBJECT_PATTERN)] = None
    hetu: Annotated[str | None, Field(pattern=HETU_PATTERN), AfterValidator(_hetu)] = None
    user: Annotated[str | None, Field(pattern=USER_PATTERN)] = None
    since: str | None = None
    until: str | None = None
    purpose: Annotated[str, Field(min_length=1, max_length=MAX_PURPOSE), _screened("purpose")]

    def target(self) -> str:
        """Which one was given (raises :class:`BadParameter` unless exactly one)."""
        given = [name for name in ("subject", "hetu", "user") if getattr(self, name) is not None]
        if len(given) != 1:
            raise BadParameter("subject", "give exactly one of subject, hetu or user")
        return given[0]


class ReviewIn(BaseModel):
    """A DPO's or AVI's verdict on a finding."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    verdict: Literal["justified", "violation"]
    note: Annotated[str, Field(min_length=1, max_length=MAX_NOTE), _screened("note")]


class DossierQuery(BaseModel):
    """A dispute replay of one customer (``lokikirja dossier``): as of ``at``, as known at ``known_at``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    at: Annotated[str | None, Field(description="As of this date (the end of that day, Helsinki) or RFC 3339 "
                                                "time; default: the latest fact's time")] = None
    known_at: Annotated[int | None, Field(ge=1, le=2**62, description="As known when the log held this many "
                                                                      "positions")] = None
    known_at_time: Annotated[str | None, Field(description=(
        "As known at this date and time: what the ledger had recorded by then (a date: the end of that day, "
        "Helsinki; YYYY-MM-DDTHH:MM: Helsinki time; or RFC 3339). Not with known_at."))] = None
    purpose: Annotated[str, Field(min_length=1, max_length=MAX_PURPOSE), _screened("purpose")]
    format: Annotated[Literal["json", "bundle"], Field(description="json: the dossier; bundle: the portable "
                                                       "evidence file `lokikirja verify-bundle` checks")] = "json"

    def bounds(self) -> Bounds:
        at = micros(instant(self.at, "at", end_of_day=True)) if self.at else None
        if self.known_at is not None and self.known_at_time is not None:
            raise BadParameter("known_at_time", "give known_at (a log position) or known_at_time, not both")
        return Bounds(at=at, position=self.known_at)

    def known_when(self) -> datetime | None:
        """``known_at_time`` as an instant (a time without an offset is Helsinki time)."""
        if self.known_at_time is None:
            return None
        try:
            return parse_moment(self.known_at_time)
        except ValueError as e:
            raise BadParameter("known_at_time", str(e)) from None
