"""Injected violations of the access rules (CONTRACT §5), each breaking exactly the rules it records.

Each injector returns ``True`` when it injected one scenario. An official used by an injector is
*reserved* for the day (no normal work), so their views cannot add up to incidental bulk viewing;
new users created here (own-record, grant scenarios) never do anything else.
"""

from __future__ import annotations

from datetime import timedelta

from simulation import acts, law, staff
from simulation.clock import daytime_second, evening_second, office_second
from simulation.sim import Sim
from simulation.world import NEVER, Customer, Official

WITHOUT_RIGHT, OUTSIDE, EXCESS = "ACCESS_WITHOUT_RIGHT", "ACCESS_OUTSIDE_OWN_CUSTOMERS", "ACCESS_EXCESS_CATEGORIES"
OWN_RECORD, BULK, OFF_HOURS = "ACCESS_OWN_RECORD", "ACCESS_BULK", "ACCESS_OFF_HOURS"
UNAUTHORISED, NOT_NECESSARY = "GRANT_UNAUTHORISED", "GRANT_NOT_NECESSARY"
UNKNOWN = "REFERENCE_UNKNOWN"
_TRIES = 12
_FORMER_CAP = 10
_CUSTOMER_PURPOSES = tuple(p for p in law.NEEDED if p not in ("vacancy_handling", "employer_service"))


def _customer_with_official(sim: Sim) -> tuple[Customer, Official] | None:
    """A registered customer and a reserved official of their responsible organisation."""
    for _ in range(_TRIES):
        c = sim.active.choice(sim.rng)
        o = staff.reserve(sim, c.resp) if c is not None else None
        if c is not None and o is not None:
            return c, o
    return None


def snooping(sim: Sim) -> bool:
    """An area official looks up a customer of another organisation — preferably a neighbour's."""
    for _ in range(_TRIES):
        c = sim.active.choice(sim.rng)
        if c is None:
            return False
        others = [a for a in sim.areas if a != c.resp and sim.staff.get(a)]
        near = [a for a in others if sim.areas[a].te_office == sim.te_of[c.home]]
        o = staff.reserve(sim, sim.rng.choice(near or others)) if others else None
        if o is not None:
            ts = sim.at(office_second(sim.rng))
            sim.out.violation(ts, acts.view(sim, ts, o.id, c.id, "service_guidance"), OUTSIDE)
            return True
    return False


def excess_categories(sim: Sim) -> bool:
    """A view of an own customer that takes categories its purpose does not need (e.g. health)."""
    found = _customer_with_official(sim)
    if found is None:
        return False
    c, o = found
    purpose = sim.rng.choice(_CUSTOMER_PURPOSES)
    spare = [x for x in law.CUSTOMER_CATEGORIES if x not in law.NEEDED[purpose]]
    extra = sim.rng.sample(spare, sim.rng.randint(1, min(len(spare), 2)))
    cats = law.in_contract_order({*acts.lawful_categories(sim, purpose), *extra})
    ts = sim.at(office_second(sim.rng))
    sim.out.violation(ts, acts.view(sim, ts, o.id, c.id, purpose, cats), EXCESS)
    return True


def own_record(sim: Sim) -> bool:
    """A newly started official, who is also a jobseeker, opens their own customer record."""
    c = sim.active.choice(sim.rng)
    if c is None or c.resp is None:
        return False
    user = acts.new_user_id(sim, c.resp)
    ts = sim.at(7 * 3600 + 46 * 60 + sim.rng.randrange(300))
    acts.register_user(sim, ts, user, c.resp, hetu=c.hetu)
    acts.grant(sim, ts + 120, user, by=staff.keha_user(sim), valid_from=sim.date,
               valid_until=sim.date + timedelta(days=90))
    ts = sim.at(office_second(sim.rng))
    sim.out.violation(ts, acts.view(sim, ts, user, c.id, "service_guidance"), OWN_RECORD)
    return True


def bulk_browsing(sim: Sim) -> bool:
    """A TE-office official browses 50–56 different customers within the hour."""
    if len(sim.active) < 60:
        return False
    o = None
    for _ in range(_TRIES):
        o = o or staff.reserve(sim, sim.rng.choice(sim.te_offices))
    if o is None:
        return False
    browsed = sim.rng.sample(sim.active.items, sim.rng.randint(50, 56))
    ts = sim.at(sim.rng.randint(9 * 3600, 14 * 3600))
    for i, c in enumerate(browsed):
        event = acts.view(sim, ts, o.id, c.id, "service_guidance")
        if i == 49:
            sim.out.violation(ts, event, BULK)
        ts += sim.rng.randint(15, 60)
    return True


def off_hours(sim: Sim) -> bool:
    """A lawful-looking view in the evening, or on a weekend or public holiday."""
    found = _customer_with_official(sim)
    if found is None:
        return False
    c, o = found
    if o.last == sim.day:  # the right may be revoked this afternoon
        return False
    second = evening_second(sim.rng) if sim.workdays[sim.day] else daytime_second(sim.rng)
    ts = sim.at(second)
    sim.out.violation(ts, acts.view(sim, ts, o.id, c.id, "service_guidance"), OFF_HOURS)
    return True


def former_official(sim: Sim) -> Official | None:
    """An official whose right has ended (at most :data:`_FORMER_CAP` uses a day, far from bulk
    viewing); when there is none to use, one whose right KEHA revokes this morning."""
    if sim.former:
        used = sim.rng.choice(sim.former)
        if used.load_day != sim.day:
            used.load_day, used.load = sim.day, 0
        if used.load < _FORMER_CAP:
            used.load += 1
            return used
    o = staff.reserve(sim, sim.rng.choice([*sim.areas, *sim.te_offices]))
    if o is None or o.last != NEVER:
        return None
    acts.revoke(sim, sim.at(7 * 3600 + 50 * 60 + sim.rng.randrange(300)), o.id, by=staff.keha_user(sim),
                reason="access right no longer needed")
    o.last = sim.day - 1
    sim.staff[o.org].remove(o)
    sim.former.append(o)
    return o


def without_right(sim: Sim) -> bool:
    """A former official still views, or decides on, a customer of their former organisation."""
    for _ in range(_TRIES):
        o = former_official(sim)
        c = sim.by_org[o.org].choice(sim.rng) if o is not None else None
        if o is None or c is None:
            continue
        ts = sim.at(office_second(sim.rng))
        if sim.rng.random() < 0.7:
            event = acts.view(sim, ts, o.id, c.id, "service_guidance")
        else:  # a kind the former organisation is competent for (no pay subsidy: no employer needed)
            kinds = law.area_kinds(sim.date) if o.org.startswith("area:") else law.KINDS
            kind = sim.rng.choice(sorted(kinds - {"pay_subsidy"}))
            event = acts.decide(sim, ts, o.id, c.id, kind, language=law.decision_language(c.lang, sim.languages[o.org]))
        sim.out.violation(ts, event, WITHOUT_RIGHT)
        return True
    return False


def _new_user(sim: Sim, *, duties: bool) -> tuple[str, str, int]:
    org = sim.rng.choice([*sim.areas, *sim.te_offices])
    user = acts.new_user_id(sim, org)
    ts = sim.at(7 * 3600 + 46 * 60 + sim.rng.randrange(300))
    acts.register_user(sim, ts, user, org, duties=duties, hetu=staff.official_hetu(sim))
    return org, user, ts + 120


def unauthorised_grant(sim: Sim) -> bool:
    """A colleague (or the source system) grants a new official's right instead of KEHA."""
    org, user, ts = _new_user(sim, duties=True)
    colleagues = sim.staff.get(org)
    by = sim.rng.choice(colleagues).id if colleagues and sim.rng.random() < 0.85 else acts.URA
    sim.out.violation(ts, acts.grant(sim, ts, user, by=by, valid_from=sim.date), UNAUTHORISED)
    return True


def unnecessary_grant(sim: Sim) -> bool:
    """KEHA grants a right to a user whose main duties are not the Act's tasks."""
    _, user, ts = _new_user(sim, duties=False)
    event = acts.grant(sim, ts, user, by=staff.keha_user(sim), valid_from=sim.date,
                       valid_until=sim.date + timedelta(days=365))
    sim.out.violation(ts, event, NOT_NECESSARY)
    return True
