"""Every code is ASCII (issue 17, item 3): ``\\d`` matched any Unicode digit, so a HETU in fullwidth
digits, a business id in Arabic-Indic ones or a municipality code ``٠٩١`` was stored — and an
official registered with a fullwidth HETU escaped ACCESS_OWN_RECORD on their own record.

Each non-ASCII decimal digit (Unicode category Nd) is put in place of an ASCII digit of a valid
code; the event model must refuse every one of them."""

from __future__ import annotations

import json
import sys
import unicodedata
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from ledger.events import parse_event
from ledger.identifiers import validate_business_id, validate_hetu
from tests.factories import business_id, ev, hetu

NON_ASCII_DIGITS = [ch for ch in map(chr, range(sys.maxunicode + 1))
                    if unicodedata.category(ch) == "Nd" and not ch.isascii()]
FAMILIES = [ch for ch in NON_ASCII_DIGITS if unicodedata.decimal(ch) == 0]
"""The zero of each family of ten digits (Arabic-Indic, Devanagari, fullwidth, mathematical…)."""

HETU = hetu(date(1990, 5, 17), 202)
BUSINESS_ID = business_id(1234567)


def in_family(text: str, zero: str) -> str:
    """``text`` with every ASCII digit written in the family whose zero is ``zero``."""
    return text.translate({ord(str(d)): chr(ord(zero) + d) for d in range(10)})


def with_digit(text: str, position: int, digit: str) -> str:
    """``text`` with its ``position``-th character replaced by ``digit`` (of the same value)."""
    assert text[position] == str(unicodedata.decimal(digit))
    return text[:position] + digit + text[position + 1:]


def _customer(**changes: Any) -> dict[str, Any]:
    data = {"customer": "c:u1", "hetu": HETU, "org": "te:uusimaa", "home_municipality": "091",
            "birth_date": "1990-05-17", "earnings_related_eligible": True, "immigrant_or_foreign_language": False,
            "language": "fi"}
    return ev("customer.registered", "2022-01-10T10:00:00+02:00", **{**data, **changes})


def _events_with(digit: str) -> dict[str, dict[str, Any]]:
    """One event per code, each with ``digit`` in place of the ASCII digit of the same value."""
    value = str(unicodedata.decimal(digit))
    h = HETU.index(value) if value in HETU[:10] else None
    b = BUSINESS_ID.index(value) if value in BUSINESS_ID else None
    out = {
        "data.home_municipality": _customer(home_municipality=with_digit(f"0{value}1", 1, digit)),
        "data.birth_date": _customer(birth_date=with_digit(f"199{value}-05-17", 3, digit)),
        "at": _customer() | {"at": with_digit(f"202{value}-01-10T10:00:00+02:00", 3, digit)},
    }
    if h is not None:
        out["data.hetu"] = _customer(hetu=with_digit(HETU, h, digit))
    if b is not None:
        out["data.employer"] = ev("employer.registered", "2022-01-10T10:00:00+02:00",
                                  employer=f"e:{with_digit(BUSINESS_ID, b, digit)}", name="Oy Ab")
    return out


@pytest.mark.parametrize("zero", FAMILIES, ids=[unicodedata.name(z).rsplit(" ", 1)[0] for z in FAMILIES])
def test_a_code_written_in_another_family_of_digits_is_refused(zero: str) -> None:
    for digit in NON_ASCII_DIGITS[NON_ASCII_DIGITS.index(zero):NON_ASCII_DIGITS.index(zero) + 10]:
        for field, event in _events_with(digit).items():
            with pytest.raises(ValidationError) as refused:
                parse_event(json.dumps(event, ensure_ascii=False))
            where = {".".join(str(p) for p in e["loc"][1:]) for e in refused.value.errors()}
            assert where == {field}, (unicodedata.name(digit), field, refused.value.errors())


@pytest.mark.parametrize("zero", FAMILIES[:1] + FAMILIES[-1:])
def test_the_validators_themselves_take_only_ascii_digits(zero: str) -> None:
    for validate, code in ((validate_hetu, HETU), (validate_business_id, BUSINESS_ID)):
        validate(code)
        with pytest.raises(ValueError):
            validate(in_family(code, zero))


def test_every_non_ascii_decimal_digit_is_tried() -> None:
    assert len(NON_ASCII_DIGITS) == 10 * len(FAMILIES) and len(FAMILIES) > 60
    assert all(unicodedata.decimal(NON_ASCII_DIGITS[NON_ASCII_DIGITS.index(z) + d]) == d
               for z in FAMILIES for d in range(10))
