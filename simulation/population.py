"""Day 0 of the run (the experiment's start): organisations, officials, employers, the customer stock.

Times, local: organisations from 00:00, users from 00:01, KEHA's grants from 00:26, employers
from 01:00, then the stock of customers 01:30–04:30, each registered by their TE office and — when
in an area's group — transferred to the area a minute later (reason ``experiment_start``) or,
rarely, lawfully withheld. The stock is written as it is generated (flushing every few thousand
customers), so even a very large stock is never held as events in memory.
"""

from __future__ import annotations

from collections import Counter

from ledger import reference
from simulation import acts, staff
from simulation.config import EMPLOYERS_PER_CUSTOMER, STOCK_SHARE, WITHHOLD_SHARE
from simulation.customers import home_municipality, make_customer
from simulation.identity import company_name, person_name
from simulation.sim import Sim
from simulation.world import Customer, Employer

_CHUNK = 2000


def organisations(sim: Sim, ts: int) -> None:
    """``organisation.registered`` for KEHA, AVI, TEM, every TE office and every area."""
    i = 0
    for a in reference.authorities():
        sim.out.emit("organisation.registered", ts + i, acts.URA,
                     {"org": a.org, "kind": a.kind, "name": a.name, "languages": list(a.languages)})
        i += 1
    for t in reference.te_offices():
        sim.out.emit("organisation.registered", ts + i, acts.URA,
                     {"org": t.org, "kind": "te_office", "name": t.name, "languages": list(t.languages)})
        i += 1
    for area in reference.areas():
        sim.out.emit("organisation.registered", ts + i, acts.URA, {
            "org": area.org, "kind": "experiment_area", "name": area.name, "languages": list(area.languages),
            "te_office": area.te_office, "municipalities": list(area.municipalities)})
        i += 1


def employers(sim: Sim, ts: int) -> None:
    """Private employers, and every listed municipality as an employer (pay-subsidy exception)."""
    n = max(20, round(sim.settings.customers * EMPLOYERS_PER_CUSTOMER))
    for i in range(n):
        e = Employer("e:" + sim.business_ids.next())
        sim.out.emit("employer.registered", ts + i, acts.URA, {"employer": e.id, "name": company_name(sim.rng)})
        sim.employers.append(e)
    for i, m in enumerate(reference.municipalities()):
        e = Employer("e:" + sim.business_ids.next(), m.code)
        sim.out.emit("employer.registered", ts + n + i, acts.URA,
                     {"employer": e.id, "name": f"{m.name_fi} (kunta)", "municipality": m.code})
        sim.municipal[m.code].append(e)


def _plan(sim: Sim) -> tuple[list[tuple[Customer, str]], Counter[str]]:
    """The stock: each customer and where they will be at the start ("te:…", "area:…", or
    "withheld"); and how many customers each organisation will have."""
    n = max(1, round(sim.settings.customers * STOCK_SHARE))
    stock: list[tuple[Customer, str]] = []
    counts: Counter[str] = Counter()
    for _ in range(n):
        c, _name = make_customer(sim, home_municipality(sim), sim.date)
        plan = sim.group_area(c) or sim.te_of[c.home]
        if plan.startswith("area:") and sim.rng.random() < WITHHOLD_SHARE:
            plan = "withheld"
        stock.append((c, plan))
        counts[sim.te_of[c.home] if plan == "withheld" else plan] += 1
    return stock, counts


def stock(sim: Sim, plan: list[tuple[Customer, str]], start: int, span: int) -> None:
    """Register the stock between ``start`` and ``start + span``, writing as it goes."""
    for i, (c, where) in enumerate(plan):
        ts = start + i * span // len(plan)
        if i % _CHUNK == 0:
            sim.out.flush(ts)
        acts.register_customer(sim, ts, c, sim.te_of[c.home], person_name(sim.rng, c.lang))
        if where == "withheld":
            acts.withhold(sim, ts + 60, c, "linguistic_rights" if c.lang == "sv" else "other_justified")
        elif where.startswith("area:"):
            acts.transfer(sim, ts + 60, c, where, "experiment_start")


def setup(sim: Sim) -> None:
    """Everything of day 0 before 05:00 local."""
    plan, counts = _plan(sim)
    organisations(sim, sim.at(0))
    staff.staff_up(sim, counts, sim.at(60))
    employers(sim, sim.at(3600))
    stock(sim, plan, sim.at(5400), 3 * 3600)
