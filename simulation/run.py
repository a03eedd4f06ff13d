"""Running a simulation: day by day, writing events and truth as it goes.

:func:`simulate` is the one entry point (the ``lokikirja simulate`` command is a thin shell over
it). Each day is generated in the order its parts depend on each other — departures decided,
life events and transfers, injected violations (which reserve their officials), normal work —
and written in time order at the day's end; memory holds the world's state and one day of events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from simulation import customers, population, services, staff
from simulation.clock import midnight, rfc3339
from simulation.config import STOCK_SHARE, Settings
from simulation.emit import Emitter
from simulation.inject import Injection
from simulation.sim import Sim


@dataclass(frozen=True, slots=True)
class Summary:
    """What a run wrote: events by type, injected violations by rule, and the time span."""

    events: int
    violations: int
    by_type: dict[str, int]
    by_rule: dict[str, int]
    first: str
    horizon: str


def simulate(settings: Settings, out: IO[bytes], truth: IO[bytes] | None = None,
             on_day: Callable[[int], None] | None = None) -> Summary:
    """Write the simulated experiment to ``out`` (JSON Lines, sorted by ``at``) and each injected
    violation to ``truth`` (``{"event", "rule"}`` lines); the same settings give the same bytes.
    ``on_day(1)`` is called as each day is done (a progress bar)."""
    emitter = Emitter(out, truth, seed=settings.seed)
    sim = Sim(settings, emitter)
    injection = Injection(sim)
    population.setup(sim)
    later = settings.customers - max(1, round(settings.customers * STOCK_SHARE))
    per_workday = max(0, later) / max(1, sum(sim.workdays[1:]))
    for day in range(settings.days):
        sim.set_day(day)
        _one_day(sim, injection, per_workday if day > 0 else 0.0)
        if day + 1 < settings.days:
            emitter.flush(midnight(sim.dates[day + 1]))
        if on_day is not None:
            on_day(1)
    emitter.close()
    counts: Counter[str] = emitter.counts
    return Summary(events=sum(counts.values()), violations=sum(emitter.rules.values()),
                   by_type=dict(sorted(counts.items())), by_rule=dict(sorted(emitter.rules.items())),
                   first=rfc3339(midnight(settings.start)), horizon=rfc3339(emitter.horizon))


def _one_day(sim: Sim, injection: Injection, new_customers: float) -> None:
    customers.birthdays(sim)
    staff.morning(sim)
    customers.life_events(sim, new_customers)
    customers.transfers(sim)
    staff.departures(sim)
    injection.today()
    if sim.workdays[sim.day]:
        services.workday(sim)
    services.every_day(sim)
