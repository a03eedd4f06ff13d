"""Injected violations in decisions, transfers and references (CONTRACT §4–§5).

Transfer scenarios *lock* their customer (no normal life events) until the scenario's own closing
transfer, so the episode they create is exactly the one recorded: an ineligible transfer is
corrected within 1–4 workdays (no missed transfer follows), a missed transfer is made 9–12 days
late (a closed episode of more than 7 days).
"""

from __future__ import annotations

from collections.abc import Callable

from simulation import acts, law, services, staff
from simulation.clock import office_second
from simulation.customers import make_customer
from simulation.sim import Sim
from simulation.world import Customer, Employer

WRONG_AUTHORITY, LANGUAGE = "DECISION_WRONG_AUTHORITY", "DECISION_LANGUAGE"
INELIGIBLE, MISSED, UNKNOWN = "TRANSFER_INELIGIBLE", "TRANSFER_MISSED", "REFERENCE_UNKNOWN"
WITHOUT_RIGHT = "ACCESS_WITHOUT_RIGHT"
_TRIES = 30
_UNREGISTERED_ORGS = ("area:kuopio", "area:vaasa", "area:pori", "te:ahvenanmaa", "area:joensuu")


def _find(sim: Sim, wanted: Callable[[Customer], bool]) -> Customer | None:
    """A random settled customer for whom ``wanted(c)`` holds, or ``None``."""
    for _ in range(_TRIES):
        c = sim.active.choice(sim.rng)
        if c is not None and c.settled(sim.day) and wanted(c):
            return c
    return None


def _decide(sim: Sim, org: str, c: Customer, kind: str, *, language: str | None = None,
            employer: Employer | None = None, rule: str) -> bool:
    o = staff.reserve(sim, org)
    if o is None:
        return False
    ts = sim.at(office_second(sim.rng))
    lang = language or law.decision_language(c.lang, sim.languages[org])
    sim.out.violation(ts, acts.decide(sim, ts, o.id, c.id, kind, language=lang, employer=employer), rule)
    return True


def wrong_authority(sim: Sim) -> bool:
    """The wrong organisation decides: an area on a TE-office task or on a TE customer, a TE office
    on an area task, or an area on a pay subsidy where the employer is its own municipality."""
    c = sim.active.choice(sim.rng)
    if c is None or c.resp is None:
        return False
    if c.resp.startswith("te:"):
        area = sim.area_of.get(c.home) or sim.rng.choice(sorted(sim.areas))
        kinds = [k for k in services.KINDS if k != "pay_subsidy"]
        return _decide(sim, area, c, sim.rng.choice(kinds), rule=WRONG_AUTHORITY)
    area, variant = c.resp, sim.rng.randrange(3)
    if variant == 0:
        kinds = sorted(law.KINDS - law.area_kinds(sim.date))
        return _decide(sim, area, c, sim.rng.choice(kinds), rule=WRONG_AUTHORITY)
    if variant == 1:
        kinds = sorted(law.area_kinds(sim.date) - {"pay_subsidy"})
        return _decide(sim, sim.areas[area].te_office, c, sim.rng.choice(kinds), rule=WRONG_AUTHORITY)
    own = [e for m in sorted(sim.area_munis[area]) for e in sim.municipal.get(m, ())]
    return _decide(sim, area, c, "pay_subsidy", employer=sim.rng.choice(own), rule=WRONG_AUTHORITY)


def wrong_language(sim: Sim) -> bool:
    """The competent organisation decides in Finnish for a Swedish speaker, or vice versa."""
    for _ in range(_TRIES):
        c = sim.active.choice(sim.rng)
        if c is not None and c.lang in ("fi", "sv"):
            kind = sim.rng.choice(services.KINDS)
            employer = services.pay_subsidy_employer(sim, c) if kind == "pay_subsidy" else None
            org = services.competent_org(sim, c, kind, employer)
            other = "fi" if c.lang == "sv" else "sv"
            return _decide(sim, org, c, kind, language=other, employer=employer, rule=LANGUAGE)
    return False


def _close_later(sim: Sim, c: Customer, to: str, reason: str, *, earliest: int, latest: int) -> bool:
    days = [d for d in range(sim.day + earliest, sim.day + latest + 1) if sim.is_workday(d)]
    if not days:
        return False
    day = sim.rng.choice(days[:2])
    sim.due_fixes[day].append((c, to, reason))
    c.locked_until = day
    return True


def ineligible_transfer(sim: Sim) -> bool:
    """A TE office transfers someone outside the area's group (or from outside the area); the
    area corrects it back within 1–4 workdays."""
    def outside_group(c: Customer) -> bool:
        return (c.resp or "").startswith("te:") and sim.group_area(c) is None
    c = _find(sim, outside_group)
    if c is None or not _close_later(sim, c, sim.home_te(c), "correction", earliest=1, latest=4):
        return False
    area = sim.area_of.get(c.home) or sim.rng.choice(sorted(sim.areas))
    ts = sim.at(6 * 3600 + sim.rng.randrange(3600))
    sim.out.violation(ts, acts.transfer(sim, ts, c, area, "became_eligible"), INELIGIBLE)
    return True


def missed_transfer(sim: Sim) -> bool:
    """Nobody transfers a customer for 9–12 days after they registered or moved into (or out of)
    an area; the episode's finding is on the registration or the change."""
    if sim.days_left < 13:
        return False
    variant = sim.rng.randrange(3)
    ts = sim.at(5 * 3600 + sim.rng.randrange(3600))
    if variant == 0:
        return _missed_registration(sim, ts)
    if variant == 1:
        c = _find(sim, lambda c: (c.resp or "").startswith("te:") and sim.area_of.get(c.home) is None
                  and (c.imm or not c.erl))
        homes = sorted(sim.area_of)
    else:
        c = _find(sim, lambda c: (c.resp or "").startswith("area:"))
        homes = sorted(code for code in sim.te_of if code not in sim.area_of)
    if c is None:
        return False
    home = sim.rng.choice(homes)
    to = sim.area_of.get(home) or sim.te_of[home]
    if not _close_later(sim, c, to, "moved_in" if to.startswith("area:") else "moved_out", earliest=9, latest=12):
        return False
    sim.out.violation(ts, acts.change(sim, ts, c, home_municipality=home), MISSED)
    return True


def _missed_registration(sim: Sim, ts: int) -> bool:
    home = sim.rng.choice(sorted(sim.area_of))
    c, name = make_customer(sim, home, sim.date)
    c.erl = False  # in the group whatever their age: turning 30 cannot end the episode early
    if not _close_later(sim, c, sim.area_of[home], "became_eligible", earliest=9, latest=12):
        return False
    event = acts.register_customer(sim, ts, c, sim.te_of[home], name)
    sim.out.violation(ts, event, MISSED)
    return True


def unknown_reference(sim: Sim) -> bool:
    """An event naming a customer, employer, organisation or user that no event registers."""
    variant = sim.rng.randrange(6)
    ts = sim.at(office_second(sim.rng))
    if variant == 3:
        event = sim.out.emit("vacancy.published", ts, services.JOB_MARKET,
                             {"vacancy": "v:" + sim.token("v"), "employer": "e:" + sim.business_ids.next()})
    elif variant == 4:
        event = sim.out.emit("complaint.filed", ts, services.COMPLAINTS, {
            "complaint": "k:" + sim.token("k"), "org": sim.rng.choice(_UNREGISTERED_ORGS), "topic": "other"})
    elif variant == 5:
        c = sim.active.choice(sim.rng)
        if c is None:
            return False
        sim.serials["u:ext"] += 1
        event = acts.view(sim, ts, f"u:ext-{sim.serials['u:ext']:04d}", c.id, "service_guidance")
        sim.out.violation(ts, event, WITHOUT_RIGHT)
    else:
        o = staff.reserve(sim, sim.rng.choice(sim.te_offices))
        named = None if o is None else _unknown_by_official(sim, ts, o.id, variant)
        if named is None:
            return False
        event = named
    sim.out.violation(ts, event, UNKNOWN)
    return True


def _unknown_by_official(sim: Sim, ts: int, user: str, variant: int) -> str | None:
    if variant == 0:
        return acts.view(sim, ts, user, "c:" + sim.token("c"), "service_guidance")
    if variant == 1:
        kind = sim.rng.choice([k for k in services.KINDS if k != "pay_subsidy"])
        return acts.decide(sim, ts, user, "c:" + sim.token("c"), kind, language="fi")
    c = sim.active.choice(sim.rng)
    return None if c is None else acts.present(sim, ts, user, c.id, "e:" + sim.business_ids.next())
