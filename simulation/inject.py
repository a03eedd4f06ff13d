"""Injecting violations of every rule of CONTRACT §5 at a configurable rate.

``--violation-rate R`` asks for about R × (events) violations, spread evenly over the 13 rules;
each workday every rule gets a draw with the matching expectation (rounded by chance). On the
first workday after day 0 every rule is injected once, so even a short run shows each rule.
Off-hours views are injected on non-workdays too (daytime), and on workdays in the evening.
Everything injected is written to the truth file by the injectors themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from simulation import inject_access as access
from simulation import inject_cases as cases
from simulation.config import CONTACT_RATE
from simulation.sim import Sim

Injector = Callable[[Sim], bool]

INJECTORS: dict[str, Injector] = {
    "TRANSFER_MISSED": cases.missed_transfer,
    "TRANSFER_INELIGIBLE": cases.ineligible_transfer,
    "ACCESS_WITHOUT_RIGHT": access.without_right,
    "ACCESS_OUTSIDE_OWN_CUSTOMERS": access.snooping,
    "ACCESS_EXCESS_CATEGORIES": access.excess_categories,
    "ACCESS_OWN_RECORD": access.own_record,
    "ACCESS_BULK": access.bulk_browsing,
    "ACCESS_OFF_HOURS": access.off_hours,
    "GRANT_UNAUTHORISED": access.unauthorised_grant,
    "GRANT_NOT_NECESSARY": access.unnecessary_grant,
    "DECISION_WRONG_AUTHORITY": cases.wrong_authority,
    "DECISION_LANGUAGE": cases.wrong_language,
    "REFERENCE_UNKNOWN": cases.unknown_reference,
}
"""One injector per rule (each may also record a second rule its scenario necessarily breaks).

The transfer scenarios come first: they change customers' organisations early in the morning, and
every later scenario of the day must see those changes."""

EVENTS_PER_CONTACT = 1.7
"""About how many events one customer contact writes (views, decisions, presentations)."""


class Injection:
    """Decides how many violations of each rule to inject today, and injects them."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.seeded = False

    def _draw(self, expected: float) -> int:
        return int(expected) + (self.sim.rng.random() < expected - int(expected))

    def today(self) -> None:
        """Inject today's violations (before the day's normal work reserves its officials)."""
        sim = self.sim
        rate = sim.settings.violation_rate
        if rate <= 0:
            return
        per_rule = rate * len(sim.active) * CONTACT_RATE * EVENTS_PER_CONTACT / len(INJECTORS)
        if not sim.workdays[sim.day]:
            for _ in range(self._draw(per_rule * 0.3)):
                access.off_hours(sim)
            return
        if not self.seeded and sim.day > 0:
            self.seeded = True
            for inject in INJECTORS.values():
                any(inject(sim) for _ in range(3))
            return
        for rule, inject in INJECTORS.items():
            n = self._draw(per_rule * 0.7 if rule == "ACCESS_OFF_HOURS" else per_rule)
            for _ in range(n):
                inject(sim)
