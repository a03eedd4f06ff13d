"""The one screen of free text (issue 17, items 4 and 8): :func:`ledger.identifiers.screen_free_text`.

It refuses text holding a personal identity code — six digits that are a real date in the century
the sign names, three digits and a check character (the check character itself may be wrong: a
typo does not make a HETU anonymous) — however its digits and dashes are written, and text longer
than its field's limit. It lets through what merely resembles one."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.identifiers import HETU_IN_TEXT, contains_hetu, screen_free_text
from tests.factories import hetu

VALID = hetu(date(1993, 1, 27), 212)  # 270193-2122, the example

HOLDS_A_HETU = [
    f"pyyntö {VALID} koskien",
    "asiakas 010190-123A pyysi",  # a wrong check character (M is right): still a person's code
    f"{VALID}",
    f"({VALID})",
    f"hetu:{VALID}.",
    VALID.lower(),
    "asiakas 010105A123B",  # the 2000s sign A
    "070780Y9990",  # the 2023 century signs (Y: 1900s)
    "syntynyt 290200A202K",  # 29.2.2000, a leap day
    "hakija 010150+123A",  # the 1800s sign
    "\uff12\uff17\uff10\uff11\uff19\uff13\uff0d\uff12\uff11\uff12\uff12",  # fullwidth digits and dash
    "\u0662\u0667\u0660\u0661\u0669\u0663-\u0662\u0661\u0662\u0662",  # Arabic-Indic digits
    "270193\u20102122",  # a Unicode hyphen
]
MERELY_RESEMBLES = [
    "request 2026/14",
    "appeal 2026/88",
    "320190-123A",  # no 32nd day
    "290201A123B",  # 29.2.2001 does not exist
    "011390-123A",  # no 13th month
    "010190123A",  # no century sign
    "010190-12A",  # too short
    "x010190-123A",  # part of a longer word
    "010190-123AB",
    "tel. 040-1234567",
    "31.12.2022 klo 12",
    "Dnro 123/01.01/2022",
    "",
]


@pytest.mark.parametrize("text", HOLDS_A_HETU)
def test_text_holding_a_personal_identity_code_is_refused(text: str) -> None:
    assert contains_hetu(text)
    with pytest.raises(ValueError, match=r"personal identity code \(HETU\)") as refused:
        screen_free_text(text, limit=500)
    assert str(refused.value) == HETU_IN_TEXT and VALID not in str(refused.value)


@pytest.mark.parametrize("text", MERELY_RESEMBLES)
def test_text_that_merely_resembles_one_passes(text: str) -> None:
    assert not contains_hetu(text)
    assert screen_free_text(text, limit=500) == text


def test_the_limit_counts_characters_and_is_inclusive() -> None:
    assert screen_free_text("Ä" * 300, limit=300) == "Ä" * 300
    with pytest.raises(ValueError, match="is longer than 300 characters"):
        screen_free_text("Ä" * 301, limit=300)

