"""Identifier forms of the contract (CONTRACT §1) and the official check characters.

Pure functions, no I/O. Each validator returns the value unchanged or raises ``ValueError``
with one sentence that never repeats the value itself (a HETU is personal data).

Every code is ASCII: digits are ``[0-9]``, never ``\\d`` (which matches any Unicode digit, so a
HETU in fullwidth digits or a municipality code in Arabic-Indic ones would pass).

:func:`screen_free_text` is the one screen of free text (names, reasons, purposes, notes) at
every door: it refuses text longer than its field's limit or holding a personal identity code.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

SLUG = r"[a-z0-9][a-z0-9._-]{0,63}"
_SLUG_RE = re.compile(SLUG)

ORG_RE = re.compile(rf"(area:{SLUG}|te:{SLUG}|keha|avi|tem)")
USER_RE = re.compile(rf"u:{SLUG}")
CUSTOMER_RE = re.compile(rf"c:{SLUG}")
EMPLOYER_RE = re.compile(r"e:([0-9]{7}-[0-9])")
DECISION_RE = re.compile(rf"d:{SLUG}")
VACANCY_RE = re.compile(rf"v:{SLUG}")
COMPLAINT_RE = re.compile(rf"k:{SLUG}")
SYSTEM_ACTOR_RE = re.compile(rf"system:{SLUG}")
MUNICIPALITY_RE = re.compile(r"[0-9]{3}")

USER_PATTERN = rf"^u:{SLUG}$"
FINDING_PATTERN = r"^f:[0-9a-f]{16,64}$"
"""A user id and a finding id as whole-string patterns (pydantic's and FastAPI's ``pattern=``)."""

# HETU: DDMMYY, century sign, individual number ZZZ, check character Q.
# Century signs since 1.1.2023 (Decree 128/2010 as amended): 1800 '+', 1900 '-' 'Y' 'X' 'W' 'V' 'U',
# 2000 'A' 'B' 'C' 'D' 'E' 'F'.
HETU_CENTURY = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}
HETU_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_HETU_RE = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})([-+A-FU-Y])([0-9]{3})([0-9A-Y])")

_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def matches(pattern: re.Pattern[str], value: str) -> bool:
    """True when ``value`` is entirely of the form ``pattern``."""
    return pattern.fullmatch(value) is not None


def hetu_check_char(digits9: str) -> str:
    """The check character of a HETU given its nine digits (DDMMYY + ZZZ)."""
    return HETU_CHECK_CHARS[int(digits9) % 31]


def hetu_birth_date(hetu: str) -> date:
    """The birth date a valid HETU encodes."""
    m = _HETU_RE.fullmatch(hetu)
    if m is None:
        raise ValueError("is not of the form DDMMYYCZZZQ")
    dd, mm, yy, sign = int(m[1]), int(m[2]), int(m[3]), m[4]
    return date(HETU_CENTURY[sign] + yy, mm, dd)


def validate_hetu(hetu: str) -> str:
    """Validate a personal identity code (henkilötunnus), 2023 century signs included."""
    m = _HETU_RE.fullmatch(hetu)
    if m is None:
        raise ValueError("is not a personal identity code of the form DDMMYYCZZZQ")
    try:
        hetu_birth_date(hetu)
    except ValueError:
        raise ValueError("personal identity code names a date that does not exist") from None
    individual = int(m[5])
    if individual < 2:
        raise ValueError("personal identity code has an individual number below 002")
    if hetu_check_char(m[1] + m[2] + m[3] + m[5]) != m[6]:
        raise ValueError("personal identity code has a wrong check character")
    return hetu


def normalise_hetu(hetu: str) -> str:
    """The form a HETU is indexed under: stripped and upper-case."""
    return hetu.strip().upper()


def business_id_check_digit(digits7: str) -> int | None:
    """The check digit of a business id (Y-tunnus), or None when no digit is valid (remainder 1)."""
    remainder = sum(int(d) * w for d, w in zip(digits7, _BUSINESS_ID_WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def validate_business_id(business_id: str) -> str:
    """Validate a business id NNNNNNN-C with its official check digit."""
    if re.fullmatch(r"[0-9]{7}-[0-9]", business_id) is None:
        raise ValueError("is not a business id of the form NNNNNNN-C")
    expected = business_id_check_digit(business_id[:7])
    if expected is None or expected != int(business_id[8]):
        raise ValueError("business id has a wrong check digit")
    return business_id


def org_kind_of(org: str) -> str:
    """The organisation kind an organisation id implies by its prefix."""
    if org.startswith("area:"):
        return "experiment_area"
    if org.startswith("te:"):
        return "te_office"
    return org


# --------------------------------------------------------------------------- free text

# A HETU inside free text: the pattern with a century sign, on a word boundary, in any case.
_HETU_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})([-+A-FU-Ya-fu-y])[0-9]{3}[0-9A-Ya-y](?![0-9A-Za-z])")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
HETU_IN_TEXT = ("contains what looks like a personal identity code (HETU); free text is stored in clear and sealed "
                "for good, so name the person by their customer id or a case number instead")


def _as_ascii(text: str) -> str:
    """``text`` with every Unicode decimal digit, compatibility form (fullwidth letters) and dash
    written the ASCII way, so the screen sees a HETU however it was typed."""
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return "".join(str(unicodedata.decimal(ch)) if not ch.isascii() and unicodedata.decimal(ch, None) is not None
                   else ch for ch in folded)


def contains_hetu(text: str) -> bool:
    """True when ``text`` holds a personal identity code: six digits that are a real date in the
    century its sign names (``+`` 1800s; ``-`` ``U``–``Y`` 1900s; ``A``–``F`` 2000s), then three
    digits and a check character. The check character itself is not required to be right: a HETU
    with a typo in it still names the person (docs/privacy.md)."""
    if not text.isascii():
        text = _as_ascii(text)
    for m in _HETU_IN_TEXT.finditer(text):
        digits, sign = m[1], m[2].upper()
        try:
            date(HETU_CENTURY[sign] + int(digits[4:]), int(digits[2:4]), int(digits[:2]))
        except ValueError:
            continue
        return True
    return False


def screen_free_text(text: str, *, limit: int) -> str:
    """The one screen of free text at every door: ``text`` unchanged, or ``ValueError`` when it is
    longer than ``limit`` characters or holds a personal identity code (the message never repeats
    the text)."""
    if len(text) > limit:
        raise ValueError(f"is longer than {limit} characters, the most this field may hold (docs/input.md)")
    if contains_hetu(text):
        raise ValueError(HETU_IN_TEXT)
    return text
