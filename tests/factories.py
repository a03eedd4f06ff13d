"""Builders of contract events for tests: valid ids, HETUs and business ids, JSON Lines files."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from ledger.identifiers import business_id_check_digit, hetu_check_char

_NS = uuid.UUID("6f1c9a1e-6c2b-4f7e-9a51-2f8f3c1d0b7a")


def event_id(name: str) -> str:
    """A deterministic event id for a readable name (tests can refer to events by name)."""
    return str(uuid.uuid5(_NS, name))


def hetu(born: date, individual: int = 123) -> str:
    """A valid HETU for a birth date (2023 century signs: '-' 1900s, 'A' 2000s, '+' 1800s)."""
    sign = {18: "+", 19: "-", 20: "A"}[born.year // 100]
    digits = f"{born:%d%m}{born.year % 100:02d}"
    return f"{digits}{sign}{individual:03d}{hetu_check_char(digits + f'{individual:03d}')}"


def business_id(n: int) -> str:
    """The n-th valid business id (skipping numbers whose check digit would be 1)."""
    while True:
        digits = f"{n:07d}"
        check = business_id_check_digit(digits)
        if check is not None:
            return f"{digits}-{check}"
        n += 1


def ev(type_: str, at: str, actor: str = "system:ura", *, key: str | None = None, **data: Any) -> dict[str, Any]:
    """One contract event; ``from_`` is written as ``from``; ``key`` names it for a stable id."""
    if "from_" in data:
        data["from"] = data.pop("from_")
    return {"id": event_id(key) if key else str(uuid.uuid4()), "type": type_, "at": at,
            "actor": actor, "data": data}


def write_jsonl(path: Path, events: Iterable[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    return path
