"""Bad contract events: each is refused on one field, at ``ingest`` and ``POST /v1/events``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ledger.identifiers import HETU_IN_TEXT
from tests.factories import business_id, ev, hetu


@dataclass(frozen=True)
class BadEvent:
    """``event()`` is refused on ``field`` with a message containing ``says`` (issue 17, ``item``)."""

    name: str
    item: int
    event: Callable[[], dict[str, Any]]
    field: str
    says: str


def _view(at: str) -> dict[str, Any]:
    return ev("record.viewed", at, "u:hki-1", subject="c:a1", purpose="service_guidance", categories=["identity"])


def _customer(**changes: Any) -> dict[str, Any]:
    data = {"customer": "c:bad-1", "hetu": hetu(date(1990, 5, 17), 202), "org": "te:uusimaa",
            "home_municipality": "091", "birth_date": "1990-05-17", "earnings_related_eligible": True,
            "immigrant_or_foreign_language": False, "language": "fi"}
    return ev("customer.registered", "2022-01-10T10:00:00+02:00", **{**data, **changes})


def _fullwidth(text: str) -> str:
    return text.translate({ord(str(d)): 0xFF10 + d for d in range(10)})


def _arabic_indic(text: str) -> str:
    return text.translate({ord(str(d)): 0x0660 + d for d in range(10)})


def _in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")


GOOD = _view("2022-01-10T10:00:00+02:00")
"""A good event beside the bad ones: it must not be stored either."""

BAD_EVENTS: list[BadEvent] = [
    # 1: valid time far outside reality, or in the future
    BadEvent("view at the end of time", 1, lambda: _view("9999-12-31T23:59:59Z"), "at", "is after 2039-12-31"),
    BadEvent("view at the start of time", 1, lambda: _view("0001-01-01T00:00:00Z"), "at", "is before 1970-01-01"),
    BadEvent("view at year 1 with an offset", 1, lambda: _view("0001-01-01T01:30:00+01:30"), "at",
             "is before 1970-01-01"),
    BadEvent("view beyond year 9999 in UTC", 1, lambda: _view("9999-12-31T23:59:59-01:00"), "at",
             "is after 2039-12-31"),
    BadEvent("transfer at the end of time", 1,
             lambda: ev("customer.transferred", "9999-12-31T12:00:00Z", customer="c:a1", to="area:helsinki",
                        reason="correction", from_="te:uusimaa"), "at", "is after 2039-12-31"),
    BadEvent("view three days in the future", 1, lambda: _view(_in_days(3)), "at",
             "cannot have happened in the future"),
    BadEvent("view before the valid-time range", 1, lambda: _view("1969-12-31T21:59:59Z"), "at",
             "is before 1970-01-01"),
    BadEvent("access right until the end of time", 1,
             lambda: ev("access.granted", "2022-01-10T10:00:00+02:00", "u:keha-1", user="u:hki-1",
                        valid_from="2022-01-10", valid_until="9999-12-31"),
             "data.valid_until", "is not a date between 1800-01-01 and 2199-12-31"),
    BadEvent("customer born in year 9999", 1,
             lambda: _customer(birth_date="9999-12-31"), "data.birth_date", "is not a date between"),
    # 3: codes in non-ASCII digits
    BadEvent("HETU in fullwidth digits", 3, lambda: _customer(hetu=_fullwidth(hetu(date(1990, 5, 17), 202))),
             "data.hetu", "is not a personal identity code"),
    BadEvent("official's HETU in fullwidth digits", 3,
             lambda: ev("user.registered", "2022-01-10T10:00:00+02:00", user="u:fw-1", org="area:helsinki",
                        main_duties_under_act=True, hetu=_fullwidth(hetu(date(1984, 2, 29), 402))),
             "data.hetu", "is not a personal identity code"),
    BadEvent("business id in Arabic-Indic digits", 3,
             lambda: ev("employer.registered", "2022-01-10T10:00:00+02:00",
                        employer=f"e:{_arabic_indic(business_id(1234567))}", name="Oy Ab"),
             "data.employer", "is not an employer id"),
    BadEvent("municipality code in Arabic-Indic digits", 3,
             lambda: ev("organisation.registered", "2022-01-10T10:00:00+02:00", org="area:bad-1",
                        kind="experiment_area", name="Bad", languages=["fi"], te_office="te:uusimaa",
                        municipalities=["\u0660\u0669\u0661"]),
             "data.municipalities.0", "is not a 3-digit municipality code"),
    BadEvent("municipality code in fullwidth digits", 3,
             lambda: ev("area.municipality_joined", "2022-01-10T10:00:00+02:00", org="area:helsinki",
                        municipality="\uff10\uff19\uff11"), "data.municipality", "is not a 3-digit municipality code"),
    BadEvent("valid time in Arabic-Indic digits", 3, lambda: _view(_arabic_indic("2022-01-10") + "T10:00:00+02:00"),
             "at", "is not an RFC 3339 time"),
    BadEvent("access right from a fullwidth date", 3,
             lambda: ev("access.granted", "2022-01-10T10:00:00+02:00", "u:keha-1", user="u:hki-1",
                        valid_from=_fullwidth("2022-01-10")), "data.valid_from", "is not a date of the form"),
    # 4: identity codes in free text
    BadEvent("HETU in a deregistration reason", 4,
             lambda: ev("customer.deregistered", "2022-01-10T10:00:00+02:00", customer="c:a1",
                        reason="asiakas 010190-123A pyysi"), "data.reason", HETU_IN_TEXT),
    BadEvent("valid HETU in a revocation reason", 4,
             lambda: ev("access.revoked", "2022-01-10T10:00:00+02:00", "u:keha-1", user="u:hki-2",
                        reason="pyyntö 270193-2122 koskien"), "data.reason", HETU_IN_TEXT),
    BadEvent("HETU in an employer's name", 4,
             lambda: ev("employer.registered", "2022-01-10T10:00:00+02:00", employer=f"e:{business_id(7654321)}",
                        name=f"Toiminimi {hetu(date(1975, 11, 2), 233)}"), "data.name", HETU_IN_TEXT),
    BadEvent("fullwidth HETU in a customer's name", 4,
             lambda: ev("customer.changed", "2022-01-10T10:00:00+02:00", customer="c:a1",
                        name=_fullwidth(hetu(date(2001, 1, 31), 500))), "data.name", HETU_IN_TEXT),
    # 8: lengths
    BadEvent("name of 301 characters", 8,
             lambda: ev("customer.changed", "2022-01-10T10:00:00+02:00", customer="c:a1", name="Ä" * 301),
             "data.name", "is longer than 300 characters"),
    BadEvent("deregistration reason of 501 characters", 8,
             lambda: ev("customer.deregistered", "2022-01-10T10:00:00+02:00", customer="c:a1", reason="x" * 501),
             "data.reason", "is longer than 500 characters"),
    BadEvent("organisation name of 301 characters", 8,
             lambda: ev("organisation.registered", "2022-01-10T10:00:00+02:00", org="te:long", kind="te_office",
                        name="T" * 301, languages=["fi"]), "data.name", "is longer than 300 characters"),
    BadEvent("area of 101 municipalities", 8,
             lambda: ev("organisation.registered", "2022-01-10T10:00:00+02:00", org="area:many",
                        kind="experiment_area", name="Many", languages=["fi"], te_office="te:uusimaa",
                        municipalities=[f"{n:03d}" for n in range(101)]),
             "data.municipalities", "has more than 100 items"),
    BadEvent("view of 16 categories", 8,
             lambda: ev("record.viewed", "2022-01-10T10:00:00+02:00", "u:hki-1", subject="c:a1",
                        purpose="service_guidance", categories=["identity"] * 16),
             "data.categories", "has more than 15 items"),
    BadEvent("organisation of four languages", 8,
             lambda: ev("organisation.registered", "2022-01-10T10:00:00+02:00", org="te:langs", kind="te_office",
                        name="Langs", languages=["fi", "sv", "se", "fi"]), "data.languages", "has more than 3 items"),
    BadEvent("line of 100 KiB", 8,
             lambda: ev("customer.changed", "2022-01-10T10:00:00+02:00", customer="c:a1", name="n" * 100 * 1024),
             "json", "is longer than 64 KiB"),
]
