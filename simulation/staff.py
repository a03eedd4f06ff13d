"""Officials (virkailijat): hiring, access rights from KEHA, renewals, leaving, and daily work slots.

Every official is registered by the customer information system and gets a personal access right
from a KEHA user on the day they start (DOMAIN.md: "a personal access right granted by KEHA on
application"). A quarter of the rights end on a date; most of those are renewed a few days
before, the rest end and the official leaves. Now and then a right is revoked after work (the
official left) and a replacement is hired a week or two later. An official works only on days
their right is in force, at most :data:`~simulation.config.DAILY_CAP` customers a day.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from simulation import acts
from simulation.config import CUSTOMERS_PER_OFFICIAL, DAILY_CAP, EXPIRING_SHARE, LEAVE_RATE, RENEW_SHARE
from simulation.sim import Sim
from simulation.world import NEVER, Official

_LEAVING_REASONS = ("employment ended", "moved to other duties", "long leave", "retired")


def keha_user(sim: Sim) -> str:
    """A KEHA user, who grants and revokes access rights."""
    return sim.rng.choice(sim.keha)


def official_hetu(sim: Sim) -> str:
    """A HETU for an official born 1960–1998, unique among everyone in the run."""
    return sim.hetus.hetu(date(1960, 1, 1) + timedelta(days=sim.rng.randrange(14_000)))


def _validity(sim: Sim, o: Official, start: int) -> date | None:
    """Decide how long a right granted on day ``start`` lasts; schedule its renewal or the leaving."""
    if sim.rng.random() >= EXPIRING_SHARE:
        return None
    length = sim.rng.randint(30, 365)
    end = start + length
    if end < len(sim.dates) - 1:
        if sim.rng.random() < RENEW_SHARE:
            days = [d for d in range(max(start + 1, end - 10), end - 1) if sim.is_workday(d)]
            sim.due_staff[days[-1] if days else end - 1].append(("renew", o))
        else:
            o.last = end
            sim.due_staff[end + 1].append(("gone", o))
    return sim.dates[start] + timedelta(days=length)


def hire(sim: Sim, org: str, ts: int, grant_ts: int) -> Official:
    """Register a new official of ``org`` at ``ts`` and grant their right at ``grant_ts`` (today)."""
    o = Official(id=acts.new_user_id(sim, org), org=org, first=sim.day)
    acts.register_user(sim, ts, o.id, org, hetu=official_hetu(sim))
    until = _validity(sim, o, sim.day)
    acts.grant(sim, grant_ts, o.id, by=keha_user(sim), valid_from=sim.date, valid_until=until)
    sim.staff[org].append(o)
    return o


def staff_up(sim: Sim, customers: dict[str, int], ts: int) -> None:
    """Day 0: KEHA users, officials for every area and TE office, and a few users whose main
    duties are elsewhere (registered, never granted a right)."""
    for i in range(3 + sum(customers.values()) // 20_000):
        user = acts.new_user_id(sim, "keha")
        acts.register_user(sim, ts + i, user, "keha", hetu=official_hetu(sim))
        sim.keha.append(user)
    orgs = [*sim.areas, *sim.te_offices]
    for k, org in enumerate(orgs):
        n = max(2, math.ceil(customers.get(org, 0) / CUSTOMERS_PER_OFFICIAL))
        for i in range(n):
            hire(sim, org, ts + 60 + 100 * k + i, ts + 1500 + 100 * k + i)
        for i in range(1 + n // 15):
            acts.register_user(sim, ts + 60 + 100 * k + n + i, acts.new_user_id(sim, org), org, duties=False,
                               hetu=official_hetu(sim))


def morning(sim: Sim) -> None:
    """Today's hires, renewals and departures, 07:00–07:45 local (before anyone views anything)."""
    jobs = sim.due_staff.pop(sim.day, [])
    for kind, o in jobs:
        if kind == "gone":
            _gone(sim, o)
    if not sim.workdays[sim.day]:
        if jobs and sim.day + 1 < len(sim.dates):
            sim.due_staff[sim.day + 1].extend(j for j in jobs if j[0] != "gone")
        return
    for i, (kind, o) in enumerate(jobs):
        ts = sim.at(7 * 3600 + 60 * i % 2400)
        if kind == "hire":
            hire(sim, o.org, ts, ts + 240)
        elif kind == "renew" and o.last == NEVER and o in sim.staff[o.org]:
            until = _validity(sim, o, sim.day)
            acts.grant(sim, ts, o.id, by=keha_user(sim), valid_from=sim.date, valid_until=until)


def _gone(sim: Sim, o: Official) -> None:
    if o not in sim.staff[o.org]:
        return
    sim.staff[o.org].remove(o)
    sim.former.append(o)
    back = sim.day + sim.rng.randint(3, 10)
    if back < len(sim.dates):
        sim.due_staff[back].append(("hire", o))


def departures(sim: Sim) -> None:
    """Officials who leave today: their right is revoked by KEHA after work, 16:30–17:29."""
    if not sim.workdays[sim.day]:
        return
    for org in [*sim.areas, *sim.te_offices]:
        officials = sim.staff[org]
        expected = len(officials) * LEAVE_RATE
        n = int(expected) + (sim.rng.random() < expected - int(expected))
        for _ in range(n):
            o = sim.rng.choice(officials)
            if o.last != NEVER or len(officials) <= 2:
                continue
            o.last = sim.day
            sim.due_staff[sim.day + 1].append(("gone", o))
            acts.revoke(sim, sim.at(16 * 3600 + 1800 + sim.rng.randrange(3600)), o.id, by=keha_user(sim),
                        reason=sim.rng.choice(_LEAVING_REASONS))


def pick(sim: Sim, org: str | None) -> Official | None:
    """An official of ``org`` working today with room for one more customer, or ``None``."""
    officials = sim.staff.get(org or "")
    if not officials:
        return None
    for _ in range(8):
        o = sim.rng.choice(officials)
        if not o.works(sim.day) or o.busy == sim.day:
            continue
        if o.load_day != sim.day:
            o.load_day, o.load = sim.day, 0
        if o.load < DAILY_CAP:
            o.load += 1
            return o
    return None


def reserve(sim: Sim, org: str | None) -> Official | None:
    """An official of ``org`` set aside today for an injected scenario (no normal work today)."""
    o = pick(sim, org)
    if o is not None:
        o.busy = sim.day
    return o
