"""Builders of facts for the policy tests: readable times, deterministic ids, a base world."""

from __future__ import annotations

import uuid
from datetime import datetime
from itertools import count
from typing import Any

from policies.facts import Fact
from policies.world import InMemoryWorld

_NS = uuid.UUID("0b5f6f7e-54a4-4a77-8a1c-3c1f1b9a7e21")
_SEQ = count()


def at(text: str) -> datetime:
    """An aware time: ``"2022-03-14 09:12"`` is Helsinki local time unless an offset is given."""
    t = datetime.fromisoformat(text.replace(" ", "T"))
    if t.tzinfo is None:
        from policies.localtime import HELSINKI

        t = t.replace(tzinfo=HELSINKI)
    return t


def fid(name: str | None = None) -> str:
    """A deterministic event id for a name, or a fresh one."""
    return str(uuid.uuid5(_NS, name if name is not None else f"auto-{next(_SEQ)}"))


def fact(type_: str, when: str | datetime, actor: str = "system:ura", *, id: str | None = None,
         hetu_index: str | None = None, **data: Any) -> Fact:
    """A fact; ``from_`` is written as ``from``; a ``hetu_index`` goes on the fact."""
    if "from_" in data:
        data["from"] = data.pop("from_")
    return Fact(id=id or fid(), type=type_, at=when if isinstance(when, datetime) else at(when), actor=actor,
                data=data, hetu_index=hetu_index)


START = "2021-03-01 00:00"


def base_facts() -> list[Fact]:
    """Two areas, two TE offices, KEHA; an area user, a TE user and a KEHA user with rights."""
    return [
        fact("organisation.registered", START, org="keha", kind="keha", name="KEHA", languages=["fi", "sv"]),
        fact("organisation.registered", START, org="te:uusimaa", kind="te_office", name="Uusimaa TE",
             languages=["fi", "sv"]),
        fact("organisation.registered", START, org="te:pirkanmaa", kind="te_office", name="Pirkanmaa TE",
             languages=["fi"]),
        fact("organisation.registered", START, org="area:helsinki", kind="experiment_area", name="Helsinki",
             languages=["fi", "sv"], te_office="te:uusimaa", municipalities=["091"]),
        fact("organisation.registered", START, org="area:vantaa-kerava", kind="experiment_area",
             name="Vantaa-Kerava", languages=["fi", "sv"], te_office="te:uusimaa", municipalities=["092", "245"]),
        fact("user.registered", START, user="u:keha-1", org="keha", main_duties_under_act=True),
        fact("user.registered", START, user="u:hki-1", org="area:helsinki", main_duties_under_act=True,
             hetu_index="idx-official-1"),
        fact("user.registered", START, user="u:te-1", org="te:uusimaa", main_duties_under_act=True),
        fact("user.registered", START, user="u:vk-1", org="area:vantaa-kerava", main_duties_under_act=True),
        *(fact("access.granted", START, "u:keha-1", user=u, valid_from="2021-03-01")
          for u in ("u:keha-1", "u:hki-1", "u:te-1", "u:vk-1")),
    ]


def customer_registered(customer: str, when: str, *, org: str = "te:uusimaa", home: str = "091",
                        born: str = "1960-05-05", earnings: bool = True, immigrant: bool = False,
                        language: str = "fi", hetu_index: str | None = None, id: str | None = None) -> Fact:
    """A ``customer.registered`` fact; by default a customer outside the group (over 30, eligible)."""
    return fact("customer.registered", when, id=id, hetu_index=hetu_index or f"idx-{customer}", customer=customer,
                org=org, home_municipality=home, birth_date=born, earnings_related_eligible=earnings,
                immigrant_or_foreign_language=immigrant, language=language)


def world(*facts: Fact, base: bool = True) -> InMemoryWorld:
    """An in-memory world of the base facts and ``facts``."""
    return InMemoryWorld([*(base_facts() if base else []), *facts])
