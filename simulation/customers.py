"""Customers (työnhakijat): who they are, and the life events that move them between organisations.

A customer is registered by the TE office of their home municipality. When they belong to the
group of an area (home municipality in the area and under 30 / without earnings-related
allowance / immigrant or foreign-language speaker), the TE office transfers them there — on the
first day for the stock, within 1–5 days for later changes, always inside the 7-day rule of §5
(671/2022). Turning 30, moving and changes in benefit entitlement can change what the rules
require; :func:`reconcile` notices and schedules the corrective transfer, :func:`transfers` makes
it. Life events happen 05:00–06:59 local on workdays, so during office hours every customer's
responsible organisation is settled for the day.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import accumulate

from simulation import acts, law
from simulation.config import BENEFIT_CHANGE_RATE, DEREGISTER_RATE, MOVE_RATE, WITHHOLD_SHARE
from simulation.identity import person_name
from simulation.sim import TE, Sim
from simulation.world import NEVER, Customer

_AGES = ((18, 24, 14), (25, 29, 15), (30, 39, 22), (40, 49, 20), (50, 59, 21), (60, 64, 8))
_AGE_CUMULATIVE = tuple(accumulate(w for _, _, w in _AGES))
_DEREGISTRATION = ("employed", "employed", "education", "moved abroad", "other")


def _age_band(sim: Sim) -> tuple[int, int]:
    lo, hi, _ = sim.rng.choices(_AGES, cum_weights=_AGE_CUMULATIVE)[0]
    return lo, hi


def _language(sim: Sim, code: str) -> str:
    m = sim.municipalities[code]
    r = sim.rng.random() * 100
    if r < m.sv_share_pct:
        return "sv"
    if r < m.sv_share_pct + m.se_share_pct:
        return "se"
    if r < m.sv_share_pct + m.se_share_pct + 1.8 * m.foreign_share_pct:
        return "other"
    return "fi"


def make_customer(sim: Sim, home: str, on: date) -> tuple[Customer, str]:
    """A new customer living in ``home`` (not yet registered) and their name."""
    lo, hi = _age_band(sim)
    birth = on - timedelta(days=sim.rng.randint(int(lo * 365.25) + 1, int((hi + 1) * 365.25) - 1))
    lang = _language(sim, home)
    imm = lang == "other" or sim.rng.random() < 0.02
    young = on.year - birth.year < 25
    erl = sim.rng.random() < (0.25 if young else 0.35 if imm else 0.62)
    c = Customer(id="c:" + sim.token("c"), hetu=sim.hetus.hetu(birth), birth=birth, home=home, erl=erl, imm=imm,
                 lang=lang, turns30=law.thirtieth_birthday(birth))
    first = sim.dates[0]
    if first < c.turns30 <= sim.dates[-1]:
        sim.due_birthdays[(c.turns30 - first).days].append(c)
    return c, person_name(sim.rng, lang)


def home_municipality(sim: Sim) -> str:
    """A municipality weighted by its (rough) population."""
    codes, weights = sim.home_weights
    return sim.rng.choices(codes, cum_weights=weights)[0]


def reconcile(sim: Sim, c: Customer, cause: str) -> None:
    """After something changed at ``c`` today: if the responsible organisation is no longer the
    required one, schedule the transfer on one of the next two workdays within six days: a
    transfer between 06:00 and 07:00 six days on ends the episode within the seven days of §5
    whatever the time of the change (over Christmas, when 24–26 December fall on Wednesday to
    Friday, the next workday is six days on)."""
    if c.locked_until >= sim.day or sim.satisfied(c):
        if c.locked_until < sim.day:
            c.pending = -1
        return
    if c.pending >= 0:
        return
    days = sim.next_workdays(6)[:2]
    c.pending = sim.rng.choice(days) if days else NEVER
    c.reason = cause
    if days:
        sim.due_transfers[c.pending].append(c)


def _reason(sim: Sim, c: Customer, to: str) -> str:
    moved = c.reason == "moved"
    if to.startswith("area:"):
        return "moved_in" if moved or (c.resp or "").startswith("area:") else "became_eligible"
    return "moved_out" if moved else "no_longer_eligible"


def transfers(sim: Sim) -> None:
    """Today's scheduled transfers, 06:00–06:59 local."""
    for c in sim.due_transfers.pop(sim.day, []):
        if c.pending != sim.day:
            continue
        c.pending = -1
        if not c.registered or c.locked_until >= sim.day or sim.satisfied(c):
            continue
        required = sim.required(c)
        to = sim.home_te(c) if required == TE else str(required)
        acts.transfer(sim, sim.at(6 * 3600 + sim.rng.randrange(3600)), c, to, _reason(sim, c, to))
    for c, to, reason in sim.due_fixes.pop(sim.day, []):
        if c.registered:
            acts.transfer(sim, sim.at(6 * 3600 + sim.rng.randrange(3600)), c, to, reason)


def register(sim: Sim, ts: int, home: str | None = None) -> Customer:
    """A newly registered jobseeker; eligible ones are transferred soon or lawfully withheld."""
    c, name = make_customer(sim, home or home_municipality(sim), sim.date)
    acts.register_customer(sim, ts, c, sim.te_of[c.home], name)
    if sim.required(c) not in (TE, None) and sim.rng.random() < WITHHOLD_SHARE:
        reason = "linguistic_rights" if c.lang == "sv" else sim.rng.choice(("inappropriate_relationship",
                                                                             "other_justified"))
        acts.withhold(sim, ts + 180, c, reason)
    reconcile(sim, c, "registration")
    return c


def _count(sim: Sim, rate: float) -> int:
    expected = len(sim.active) * rate
    return int(expected) + (sim.rng.random() < expected - int(expected))


def life_events(sim: Sim, new_customers: float) -> None:
    """Today's registrations, moves, benefit changes and deregistrations (05:00–05:59 local)."""
    if not sim.workdays[sim.day]:
        return
    n_new = int(new_customers) + (sim.rng.random() < new_customers - int(new_customers))
    for _ in range(n_new):
        register(sim, sim.at(5 * 3600 + sim.rng.randrange(3600)))
    for _ in range(_count(sim, MOVE_RATE)):
        c = sim.active.choice(sim.rng)
        if c is not None and c.settled(sim.day):
            home = home_municipality(sim)
            if home != c.home:
                acts.change(sim, sim.at(5 * 3600 + sim.rng.randrange(3600)), c, home_municipality=home)
                reconcile(sim, c, "moved")
    for _ in range(_count(sim, BENEFIT_CHANGE_RATE)):
        c = sim.active.choice(sim.rng)
        if c is not None and c.settled(sim.day):
            acts.change(sim, sim.at(5 * 3600 + sim.rng.randrange(3600)), c, earnings_related_eligible=not c.erl)
            reconcile(sim, c, "eligibility")
    for _ in range(_count(sim, DEREGISTER_RATE)):
        c = sim.active.choice(sim.rng)
        if c is not None and c.locked_until < sim.day and c.touched != sim.day:
            acts.deregister(sim, sim.at(5 * 3600 + sim.rng.randrange(3600)), c, sim.rng.choice(_DEREGISTRATION))


def birthdays(sim: Sim) -> None:
    """Customers turning 30 today: under-30 may have been their only criterion."""
    for c in sim.due_birthdays.pop(sim.day, []):
        if c.registered:
            reconcile(sim, c, "eligibility")
