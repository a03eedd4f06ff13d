"""Synthetic contract events for benchmarks: valid, deterministic for a seed, and mostly lawful.

Shaped like the experiment's traffic: organisations, officials with access rights and customers
transferred to their area come first, then record views by the customer's own area in office
hours (about 90 % of the volume), decisions and a few violations, so the read model does the
work it does in production. ``lokikirja simulate`` is the realistic model; this generator is for
raw speed runs where only the shape and mix of the rows matter.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ledger.identifiers import hetu_check_char

AREAS = [("area:helsinki", "091"), ("area:espoo", "049"), ("area:vantaa-kerava", "092"), ("area:turku", "853"),
         ("area:oulu", "564"), ("area:tampere", "837")]
_PURPOSE = ("service_guidance", ["identity", "contact", "service_plan"])
_KINDS = ["start_up_grant", "travel_compensation", "expense_allowance", "statement_service_participation"]
_NAMES = ["Aino Virtanen", "Matti Korhonen", "Liisa Nieminen", "Juha Mäkinen", "Anna Hämäläinen"]


def _hetu(rng: random.Random, born: date) -> str:
    digits = f"{born:%d%m}{born.year % 100:02d}"
    individual = f"{rng.randrange(2, 900):03d}"
    sign = "A" if born.year >= 2000 else "-"
    return f"{digits}{sign}{individual}{hetu_check_char(digits + individual)}"


class _Clock:
    """Office-hour instants (Mon–Fri 08:00–16:00 Helsinki, +02:00), advancing monotonically."""

    def __init__(self, start: datetime) -> None:
        self.t = start

    def tick(self, seconds: float) -> str:
        self.t += timedelta(seconds=seconds)
        local = self.t.astimezone(UTC) + timedelta(hours=2)
        if local.hour >= 16 or local.weekday() >= 5:
            days = 1 if local.weekday() < 4 else 7 - local.weekday()
            nxt = (local + timedelta(days=days)).replace(hour=8, minute=0, second=0)
            self.t = nxt - timedelta(hours=2)
        return (self.t.astimezone(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")


def events(n: int, *, seed: int = 1, customers: int | None = None) -> Iterator[dict[str, Any]]:
    """``n`` contract events in time order (the set-up facts count towards ``n``)."""
    rng = random.Random(seed)
    customers = customers or max(20, n // 30)
    users = max(len(AREAS), customers // 200)

    def eid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def e(type_: str, at: str, actor: str, **data: Any) -> dict[str, Any]:
        return {"id": eid(), "type": type_, "at": at, "actor": actor, "data": data}

    setup = "2021-03-01T06:00:00+02:00"
    head: list[dict[str, Any]] = [e("organisation.registered", setup, "system:ura", org="te:uusimaa", kind="te_office",
                                    name="TE-toimisto", languages=["fi", "sv"]),
                                  e("organisation.registered", setup, "system:ura", org="keha", kind="keha",
                                    name="KEHA", languages=["fi", "sv"]),
                                  e("user.registered", setup, "system:ura", user="u:keha-0", org="keha",
                                    main_duties_under_act=True)]
    head += [e("organisation.registered", setup, "system:ura", org=a, kind="experiment_area", name=a[5:],
               languages=["fi"], te_office="te:uusimaa", municipalities=[m]) for a, m in AREAS]
    for u in range(users):
        head.append(e("user.registered", setup, "system:ura", user=f"u:{u}", org=AREAS[u % len(AREAS)][0],
                      main_duties_under_act=True))
        head.append(e("access.granted", setup, "u:keha-0", user=f"u:{u}", valid_from="2021-03-01"))
    yield from head[:n]
    produced = len(head[:n])
    clock = _Clock(datetime(2021, 3, 1, 6, 0, tzinfo=UTC))
    for c in range(customers):
        if produced + 2 > n:
            return
        area, municipality = AREAS[c % len(AREAS)]
        born = date(1975, 1, 1) + timedelta(days=rng.randrange(12000))
        at = clock.tick(1)
        yield e("customer.registered", at, "system:ura", customer=f"c:{c}", hetu=_hetu(rng, born),
                name=rng.choice(_NAMES), org="te:uusimaa", home_municipality=municipality,
                birth_date=born.isoformat(), earnings_related_eligible=False, immigrant_or_foreign_language=False,
                language="fi")
        yield e("customer.transferred", clock.tick(1), "system:ura", customer=f"c:{c}", **{"from": "te:uusimaa"},
                to=area, reason="experiment_start")
        produced += 2
    while produced < n:
        c = rng.randrange(customers)
        area_index = c % len(AREAS)
        user = f"u:{area_index + len(AREAS) * rng.randrange(max(1, users // len(AREAS)))}"
        at = clock.tick(rng.uniform(5, 60))
        if rng.random() < 0.08:
            yield e("decision.made", at, user, decision=f"d:{produced}", kind=rng.choice(_KINDS), customer=f"c:{c}",
                    outcome="granted", language="fi")
        else:
            purpose, categories = _PURPOSE
            extra = ["health"] if rng.random() < 0.005 else []
            yield e("record.viewed", at, user, subject=f"c:{c}", purpose=purpose,
                    categories=rng.sample(categories, 2) + extra)
        produced += 1


def write(path: Path, n: int, *, seed: int = 1) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for ev in events(n, seed=seed):
            f.write(json.dumps(ev, ensure_ascii=False) + "\n")
    return path
