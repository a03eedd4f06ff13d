"""What a simulation is asked for (:class:`Settings`) and the model's tuning constants.

The constants are rough, documented guesses (docs/simulation.md), chosen so that
``--customers 1500 --days 60`` gives about 20,000 events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

EXPERIMENT_START = date(2021, 3, 1)
"""Act 1269/2020 entered into force and every area started (DOMAIN.md)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """One simulation: how many customers, how many days from ``start``, the seed, the violation rate.

    ``violation_rate`` is the share of events that are injected violations (about; 0 = none).
    """

    customers: int
    days: int
    seed: int
    start: date = EXPERIMENT_START
    violation_rate: float = 0.01

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ValueError("customers must be at least 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if not 0.0 <= self.violation_rate <= 0.5:
            raise ValueError("violation rate must be between 0 and 0.5")


STOCK_SHARE = 0.8
"""Share of ``customers`` already registered when the run starts; the rest register during it."""

CONTACT_RATE = 0.175
"""Probability a registered customer is dealt with on a given workday."""
DEREGISTER_RATE = 0.0025
"""Per workday: share of registered customers who stop job search (found work, studies, …)."""
MOVE_RATE = 0.0008
"""Per workday: share of registered customers whose home municipality changes."""
BENEFIT_CHANGE_RATE = 0.0008
"""Per workday: share whose entitlement to earnings-related allowance changes."""
WITHHOLD_SHARE = 0.015
"""Share of newly eligible customers the TE office lawfully keeps (customer.transfer_withheld)."""

CUSTOMERS_PER_OFFICIAL = 35
"""Officials per organisation: one per this many customers, at least two."""
DAILY_CAP = 40
"""At most this many customers per official per day: far from the bulk threshold of 50 per hour."""
LEAVE_RATE = 1 / 500
"""Per workday: chance an official's access right is revoked (left the job)."""
EXPIRING_SHARE = 0.25
"""Share of access rights granted with an end date (the rest are open-ended)."""
RENEW_SHARE = 0.8
"""Share of expiring rights renewed before they end (the others leave on expiry)."""

VACANCY_RATE = 0.004
"""Per day: vacancies published per registered customer."""
COMPLAINT_RATE = 0.0002
"""Per day: complaints filed per registered customer."""
EMPLOYERS_PER_CUSTOMER = 0.05
"""Private employers registered at the start, per customer."""
