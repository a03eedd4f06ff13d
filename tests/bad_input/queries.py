"""Bad query arguments: each is refused, before anything is recorded, at the CLI (exit 2, one
sentence naming the option) and over HTTP (422 naming the field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.identifiers import HETU_IN_TEXT
from tests.factories import business_id, hetu


@dataclass(frozen=True)
class BadQuery:
    """``lokikirja *cli`` exits 2 with a sentence starting ``error: {option}`` and containing
    ``says``; ``http`` (method, path, request keywords) answers 422 naming ``http_field``, with a
    message containing ``http_says`` when given."""

    name: str
    item: int
    cli: tuple[str, ...]
    option: str
    says: str
    http: tuple[str, str, dict[str, Any]] | None = None
    http_field: str = ""
    http_says: str = ""
    who: str = "avi"


WHO = ("--as", "u:dpo-1", "--purpose", "request 2026/14")
FULLWIDTH_HETU = hetu(date(1990, 5, 17), 202).translate({ord(str(d)): 0xFF10 + d for d in range(10)})
ARABIC_INDIC_BUSINESS_ID = business_id(1234567).translate({ord(str(d)): 0x0660 + d for d in range(10)})
OUTSIDE = "must lie between 1800-01-01 and 2199-12-31"

BAD_QUERIES: list[BadQuery] = [
    # 2: query times far outside reality
    BadQuery("access log until the end of time", 2, ("access-log", "--user", "u:hki-1", "--until", "9999-12-31", *WHO),
             "--until", OUTSIDE,
             ("GET", "/v1/access-log", {"params": {"user": "u:hki-1", "until": "9999-12-31", "purpose": "audit 1"}}),
             "until", OUTSIDE),
    BadQuery("access log since the start of time", 2,
             ("access-log", "--subject", "c:a1", "--since", "0001-01-01", *WHO), "--since", OUTSIDE,
             ("POST", "/v1/access-log", {"json": {"subject": "c:a1", "since": "0001-01-01", "purpose": "audit 1"}}),
             "since", OUTSIDE),
    BadQuery("supervision since the start of time", 2, ("supervision", "--since", "0001-01-01"), "--since", OUTSIDE,
             ("GET", "/v1/supervision", {"params": {"since": "0001-01-01"}}), "since", OUTSIDE),
    BadQuery("supervision until the end of time", 2, ("supervision", "--until", "9999-12-31T23:59:59Z"), "--until",
             OUTSIDE, ("GET", "/v1/supervision", {"params": {"until": "9999-12-31T23:59:59Z"}}), "until", OUTSIDE),
    BadQuery("findings since year 1", 2, ("findings", "--since", "0001-01-01T00:00:00Z"), "--since", OUTSIDE,
             ("GET", "/v1/findings", {"params": {"since": "0001-01-01T00:00:00Z"}}), "since", OUTSIDE),
    BadQuery("findings until the end of time", 2, ("findings", "--until", "9999-12-31"), "--until", OUTSIDE,
             ("GET", "/v1/findings", {"params": {"until": "9999-12-31", "limit": 5}}), "until", OUTSIDE),
    BadQuery("dossier at the end of time", 2, ("dossier", "c:a1", "--at", "9999-12-31T23:59:59Z", *WHO), "--at",
             OUTSIDE, ("GET", "/v1/dossier/c:a1", {"params": {"at": "9999-12-31T23:59:59Z", "purpose": "appeal 1"}}),
             "at", OUTSIDE),
    BadQuery("dossier on the last day", 2, ("dossier", "c:a1", "--at", "9999-12-31", *WHO), "--at", OUTSIDE,
             ("GET", "/v1/dossier/c:a1", {"params": {"at": "9999-12-31", "purpose": "appeal 1"}}), "at", OUTSIDE),
    BadQuery("subject report since year 1", 2,
             ("subject-report", "--subject", "c:a1", "--since", "0001-01-01", *WHO), "--since", OUTSIDE),
    # 3: codes in non-ASCII digits
    BadQuery("access log of a HETU in fullwidth digits", 3, ("access-log", "--hetu", FULLWIDTH_HETU, *WHO), "--hetu",
             "is not a personal identity code",
             ("POST", "/v1/access-log", {"json": {"hetu": FULLWIDTH_HETU, "purpose": "audit 1"}}), "hetu"),
    BadQuery("subject report of a HETU in fullwidth digits", 3,
             ("subject-report", "--hetu", FULLWIDTH_HETU, *WHO), "--hetu", "is not a personal identity code"),
    BadQuery("access log of an employer in Arabic-Indic digits", 3,
             ("access-log", "--subject", "e:" + ARABIC_INDIC_BUSINESS_ID, *WHO), "--subject", "is not",
             ("GET", "/v1/access-log", {"params": {"subject": "e:" + ARABIC_INDIC_BUSINESS_ID, "purpose": "audit 1"}}),
             "query.subject"),
    # 4: identity codes in free text
    BadQuery("access log for a purpose naming a HETU", 4,
             ("access-log", "--subject", "c:a1", "--as", "u:dpo-1", "--purpose", "pyyntö 270193-2122 koskien"),
             "--purpose", HETU_IN_TEXT,
             ("GET", "/v1/access-log", {"params": {"subject": "c:a1", "purpose": "pyyntö 270193-2122 koskien"}}),
             "query.purpose", HETU_IN_TEXT),
    BadQuery("access log by POST for a purpose naming a HETU", 4,
             ("access-log", "--user", "u:hki-1", "--as", "u:dpo-1", "--purpose", "asiakas 010190-123A pyysi"),
             "--purpose", HETU_IN_TEXT,
             ("POST", "/v1/access-log", {"json": {"user": "u:hki-1", "purpose": "asiakas 010190-123A pyysi"}}),
             "purpose", HETU_IN_TEXT),
    BadQuery("dossier for a purpose naming a HETU", 4,
             ("dossier", "c:a1", "--as", "u:dpo-1", "--purpose", "valitus, hakija 010190-123A"), "--purpose",
             HETU_IN_TEXT, ("GET", "/v1/dossier/c:a1", {"params": {"purpose": "valitus, hakija 010190-123A"}}),
             "query.purpose", HETU_IN_TEXT),
    BadQuery("subject report for a purpose naming a HETU", 4,
             ("subject-report", "--subject", "c:a1", "--as", "u:dpo-1", "--purpose", "pyyntö 270193-2122"),
             "--purpose", HETU_IN_TEXT),
    BadQuery("erasure for a reason naming a HETU", 4,
             ("erase", "c:a1", "--as", "u:dpo-1", "--reason", "pyyntö 270193-2122 (GDPR 17)"), "--reason",
             HETU_IN_TEXT),
    BadQuery("review with a note naming a HETU", 4, ("access-log", "--subject", "c:a1", "--as", "u:dpo-1",
                                                      "--purpose", "huom. 270193-2122"), "--purpose", HETU_IN_TEXT,
             ("POST", "/v1/findings/f:0123456789abcdef/review",
              {"json": {"verdict": "justified", "note": "asiakas 270193-2122 suostui"}}), "note", HETU_IN_TEXT),
    # 8: lengths
    BadQuery("access log for a purpose of 501 characters", 8,
             ("access-log", "--subject", "c:a1", "--as", "u:dpo-1", "--purpose", "p" * 501), "--purpose",
             "is longer than 500 characters",
             ("POST", "/v1/access-log", {"json": {"subject": "c:a1", "purpose": "p" * 501}}), "purpose"),
    BadQuery("erasure for a reason of 501 characters", 8,
             ("erase", "c:a1", "--as", "u:dpo-1", "--reason", "r" * 501), "--reason", "is longer than 500 characters"),
    BadQuery("review with a note of 2001 characters", 8,
             ("dossier", "c:a1", "--as", "u:dpo-1", "--purpose", "q" * 501), "--purpose",
             "is longer than 500 characters",
             ("POST", "/v1/findings/f:0123456789abcdef/review", {"json": {"verdict": "violation", "note": "n" * 2001}}),
             "note"),
    BadQuery("monitoring of year 9999", 2, ("monitoring", "--month", "9999-12"), "--month", "from 1900-01 to 2099-12",
             ("GET", "/v1/monitoring", {"params": {"month": "9999-12"}}), "query.month"),
]
