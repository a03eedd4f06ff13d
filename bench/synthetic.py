"""Synthetic contract events for benchmarks: valid, varied, deterministic for a seed.

Shaped like the experiment's traffic: mostly record views, then decisions, with customers and
users registered first. For realism use ``lokikirja simulate``; this generator is for raw speed
runs where only the shape of the rows matters.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ledger.identifiers import hetu_check_char

_PURPOSES = ["service_guidance", "pay_subsidy", "start_up_grant", "travel_compensation"]
_CATEGORIES = ["identity", "contact", "jobseeker_status", "employment_history", "service_plan"]


def _hetu(rng: random.Random) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(16000))
    digits = f"{born:%d%m}{born.year % 100:02d}"
    individual = f"{rng.randrange(2, 900):03d}"
    return f"{digits}-{individual}{hetu_check_char(digits + individual)}"


def events(n: int, *, seed: int = 1, customers: int | None = None) -> Iterator[dict[str, object]]:
    """``n`` contract events in time order."""
    rng = random.Random(seed)
    customers = customers or max(10, n // 40)
    users = max(5, customers // 100)
    start = datetime(2022, 1, 3, 7, 0, tzinfo=UTC)

    def eid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def at(i: int) -> str:
        return (start + timedelta(seconds=i * 7)).isoformat()

    produced = 0
    for u in range(users):
        if produced >= n:
            return
        yield {"id": eid(), "type": "user.registered", "at": at(produced), "actor": "system:ura",
               "data": {"user": f"u:{u}", "org": f"area:a{u % 20}", "main_duties_under_act": True}}
        produced += 1
    for c in range(customers):
        if produced >= n:
            return
        yield {"id": eid(), "type": "customer.registered", "at": at(produced), "actor": "system:ura",
               "data": {"customer": f"c:{c}", "hetu": _hetu(rng), "name": "Etunimi Sukunimi",
                        "org": "te:uusimaa", "home_municipality": "091", "birth_date": "1990-05-17",
                        "earnings_related_eligible": bool(c % 2), "immigrant_or_foreign_language": False,
                        "language": "fi"}}
        produced += 1
    while produced < n:
        yield {"id": eid(), "type": "record.viewed", "at": at(produced), "actor": f"u:{rng.randrange(users)}",
               "data": {"subject": f"c:{rng.randrange(customers)}", "purpose": rng.choice(_PURPOSES),
                        "categories": rng.sample(_CATEGORIES, 2)}}
        produced += 1


def write(path: Path, n: int, *, seed: int = 1) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for e in events(n, seed=seed):
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    return path
