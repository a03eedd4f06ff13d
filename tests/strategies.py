"""Hypothesis strategies for valid contract events (CONTRACT §1)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from ledger.events import Category, DecisionKind, Language, Outcome, Purpose, TransferReason
from tests.factories import business_id, hetu

tokens = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True)
customers = tokens.filter(lambda t: not re.fullmatch(r"\d{6}[-+a-fu-y]\d{3}[0-9a-y]", t)).map(
    lambda t: f"c:{t}")  # never shaped like a HETU (CONTRACT §1)
users = tokens.map(lambda t: f"u:{t}")
areas = tokens.map(lambda t: f"area:{t}")
te_offices = tokens.map(lambda t: f"te:{t}")
orgs = st.one_of(areas, te_offices, st.sampled_from(["keha", "avi", "tem"]))
municipalities = st.integers(0, 999).map(lambda n: f"{n:03d}")
employers = st.integers(0, 9_999_990).map(lambda n: f"e:{business_id(n)}")
birth_dates = st.dates(date(1900, 1, 1), date(2010, 12, 31))
hetus = st.builds(hetu, birth_dates, st.integers(2, 899))
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
names = names.filter(str.strip)

offsets = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=3)),
                           timezone(timedelta(hours=-5, minutes=-30))])
instants = st.builds(
    lambda base, secs, tz: (base + timedelta(seconds=secs)).astimezone(tz).isoformat(),
    st.just(datetime(2021, 1, 1, tzinfo=UTC)), st.integers(0, 4 * 365 * 86400), offsets,
)
actors = st.one_of(users, tokens.map(lambda t: f"system:{t}"))


def _envelope(type_: str, data: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda i, at, actor, d: {"id": str(i), "type": type_, "at": at, "actor": actor, "data": d},
                     st.uuids(version=4), instants, actors, data)


def _dict(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(fields)


def _values(enum: type) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in enum])


def _optional(key: str, value: Any) -> dict[str, Any]:
    return {} if value is None else {key: value}


def _customer_registered(c, h, n, o, m, b, erl, imm, lang) -> dict[str, Any]:
    return {"customer": c, "hetu": h, **_optional("name", n), "org": o, "home_municipality": m,
            "birth_date": b.isoformat(), "earnings_related_eligible": erl,
            "immigrant_or_foreign_language": imm, "language": lang}


def _decision(d, k, c, e, o, lang) -> dict[str, Any]:
    return {"decision": d, "kind": k, "customer": c, "employer": e, "outcome": o, "language": lang}


def _grant(u, f, days) -> dict[str, Any]:
    until = None if days is None else (f + timedelta(days=days)).isoformat()
    return {"user": u, "valid_from": f.isoformat(), **_optional("valid_until", until)}


categories = st.lists(_values(Category), min_size=1, max_size=5)
events = st.one_of(
    _envelope("record.viewed", _dict(subject=customers | employers, purpose=_values(Purpose), categories=categories)),
    _envelope("customer.registered", st.builds(
        _customer_registered, customers, hetus, st.none() | names, te_offices, municipalities, birth_dates,
        st.booleans(), st.booleans(), _values(Language))),
    _envelope("user.registered", st.builds(
        lambda u, o, m, h: {"user": u, "org": o, "main_duties_under_act": m, **_optional("hetu", h)},
        users, orgs, st.booleans(), st.none() | hetus)),
    _envelope("customer.transferred", _dict(customer=customers, to=areas, reason=_values(TransferReason),
                                            **{"from": te_offices})),
    _envelope("decision.made", st.builds(
        _decision, tokens.map(lambda t: f"d:{t}"), _values(DecisionKind), customers, employers,
        _values(Outcome), _values(Language))),
    _envelope("access.granted", st.builds(
        _grant, users, st.dates(date(2020, 1, 1), date(2025, 1, 1)), st.none() | st.integers(0, 900))),
    _envelope("customer.changed", st.builds(
        lambda c, m, n: {"customer": c, **_optional("home_municipality", m), **_optional("name", n)},
        customers, st.none() | municipalities, st.none() | names)),
)

unique_event_lists = st.lists(events, min_size=1, max_size=40, unique_by=lambda e: e["id"])
