"""The simulator's acts: each writes one contract event and updates the simulated state.

Every act takes the instant ``ts`` it happens at; none checks lawfulness — the callers
(normal work, or an injector that means to break a rule) decide what is done.
"""

from __future__ import annotations

from datetime import date
from itertools import combinations
from typing import Any

from simulation import law
from simulation.sim import Sim
from simulation.world import Customer, Employer

URA = "system:ura"
"""The customer information system's automatic acts (registrations, batch transfers)."""


def user_slug(org: str) -> str:
    """The user-id stem of an organisation: ``area:helsinki`` → ``helsinki``, ``te:lappi`` → ``te-lappi``."""
    return org.removeprefix("area:").replace(":", "-")


def new_user_id(sim: Sim, org: str) -> str:
    """A fresh user id of ``org``, e.g. ``u:helsinki-0042``."""
    sim.serials["u:" + org] += 1
    return f"u:{user_slug(org)}-{sim.serials['u:' + org]:04d}"


def register_user(sim: Sim, ts: int, user: str, org: str, *, duties: bool = True, hetu: str | None = None) -> str:
    """``user.registered``: ``user`` works for ``org``."""
    data: dict[str, Any] = {"user": user, "org": org, "main_duties_under_act": duties}
    if hetu is not None:
        data["hetu"] = hetu
    return sim.out.emit("user.registered", ts, URA, data)


def grant(sim: Sim, ts: int, user: str, *, by: str, valid_from: date, valid_until: date | None = None) -> str:
    """``access.granted`` by ``by`` to ``user``."""
    data: dict[str, Any] = {"user": user, "valid_from": valid_from.isoformat()}
    if valid_until is not None:
        data["valid_until"] = valid_until.isoformat()
    return sim.out.emit("access.granted", ts, by, data)


def revoke(sim: Sim, ts: int, user: str, *, by: str, reason: str) -> str:
    """``access.revoked`` by ``by``."""
    return sim.out.emit("access.revoked", ts, by, {"user": user, "reason": reason})


def set_responsible(sim: Sim, c: Customer, org: str | None) -> None:
    """Move ``c`` between the per-organisation pools."""
    if c.resp is not None:
        sim.by_org[c.resp].remove(c)
    c.resp = org
    if org is not None:
        sim.by_org[org].add(c)


def register_customer(sim: Sim, ts: int, c: Customer, org: str, name: str) -> str:
    """``customer.registered`` by TE office ``org``."""
    c.registered, c.withheld, c.touched = True, False, sim.day
    set_responsible(sim, c, org)
    sim.active.add(c)
    return sim.out.emit("customer.registered", ts, URA, {
        "customer": c.id, "hetu": c.hetu, "name": name, "org": org, "home_municipality": c.home,
        "birth_date": c.birth.isoformat(), "earnings_related_eligible": c.erl,
        "immigrant_or_foreign_language": c.imm, "language": c.lang})


def transfer(sim: Sim, ts: int, c: Customer, to: str, reason: str) -> str:
    """``customer.transferred`` from the current responsible organisation to ``to``."""
    data = {"customer": c.id, "from": c.resp, "to": to, "reason": reason}
    c.withheld, c.touched = False, sim.day
    set_responsible(sim, c, to)
    return sim.out.emit("customer.transferred", ts, URA, data)


def change(sim: Sim, ts: int, c: Customer, **fields: Any) -> str:
    """``customer.changed`` with the given attributes (``home_municipality``, ``earnings_related_eligible``…)."""
    c.withheld, c.touched = False, sim.day
    c.home = fields.get("home_municipality", c.home)
    c.erl = fields.get("earnings_related_eligible", c.erl)
    c.imm = fields.get("immigrant_or_foreign_language", c.imm)
    return sim.out.emit("customer.changed", ts, URA, {"customer": c.id, **fields})


def withhold(sim: Sim, ts: int, c: Customer, reason: str) -> str:
    """``customer.transfer_withheld``: the TE office lawfully keeps ``c``."""
    c.withheld, c.touched = True, sim.day
    return sim.out.emit("customer.transfer_withheld", ts, URA, {"customer": c.id, "reason": reason})


def deregister(sim: Sim, ts: int, c: Customer, reason: str) -> str:
    """``customer.deregistered``: the customership ends."""
    c.registered, c.withheld, c.pending, c.touched = False, False, -1, sim.day
    set_responsible(sim, c, None)
    sim.active.remove(c)
    return sim.out.emit("customer.deregistered", ts, URA, {"customer": c.id, "reason": reason})


def _parts(needed: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Every part of ``needed`` with at least two categories, in contract order."""
    return tuple(part for k in range(2, len(needed) + 1) for part in combinations(needed, k))


_PARTS = {purpose: _parts(needed) for purpose, needed in law.NEEDED.items()}


def lawful_categories(sim: Sim, purpose: str) -> list[str]:
    """The categories ``purpose`` needs, or a random part of them (never anything more)."""
    if sim.rng.random() < 0.55:
        return list(law.NEEDED[purpose])
    parts = _PARTS[purpose]
    return list(parts[sim.rng.randrange(len(parts))])


def view(sim: Sim, ts: int, actor: str, subject: str, purpose: str, categories: list[str] | None = None) -> str:
    """``record.viewed`` of a customer (``c:…``) or employer (``e:…``) record."""
    cats = categories if categories is not None else lawful_categories(sim, purpose)
    return sim.out.emit("record.viewed", ts, actor, {"subject": subject, "purpose": purpose, "categories": cats})


def outcome_of(sim: Sim, kind: str) -> str:
    """A plausible outcome for a decision of ``kind``."""
    if kind == "self_study_support_end":
        return "ended"
    if kind.startswith("statement_"):
        return "issued"
    return "granted" if sim.rng.random() < 0.8 else "denied"


def decide(sim: Sim, ts: int, actor: str, customer: str, kind: str, *, language: str,
           employer: Employer | None = None) -> str:
    """``decision.made`` of ``kind`` on ``customer``; a pay subsidy names its ``employer``."""
    data: dict[str, Any] = {"decision": "d:" + sim.token("d"), "kind": kind, "customer": customer}
    if employer is not None:
        data["employer"] = employer.id
    data["outcome"] = outcome_of(sim, kind)
    data["language"] = language
    return sim.out.emit("decision.made", ts, actor, data)


def present(sim: Sim, ts: int, actor: str, customer: str, employer: str, vacancy: str | None = None) -> str:
    """``jobseeker.presented``: the customer is presented to an employer (for a vacancy)."""
    data = {"customer": customer, "employer": employer}
    if vacancy is not None:
        data["vacancy"] = vacancy
    return sim.out.emit("jobseeker.presented", ts, actor, data)
