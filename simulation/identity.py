"""Synthetic identities: opaque ids, HETUs, business ids and names — unique by construction.

Nothing here is a real person's or company's data: HETUs and business ids are generated with the
official check characters (``ledger.identifiers``) from counters, so no two simulated people share
a HETU unless the simulator means them to (the ``ACCESS_OWN_RECORD`` injection), and no two
employers share a business id.
"""

from __future__ import annotations

import random
from datetime import date

from ledger.identifiers import business_id_check_digit, hetu_check_char

_MULT = 0x9E3779B97F4A7C15  # odd, so index -> index * _MULT mod 2**40 is a bijection
_SPACE = 1 << 40


def opaque(index: int, salt: int) -> str:
    """A 10-hex-digit token, distinct for distinct ``index`` (< 2**40) under one ``salt``."""
    return f"{(index * _MULT + salt) % _SPACE:010x}"


class HetuAllocator:
    """Hands out HETUs (henkilötunnus) that are unique within one simulation."""

    def __init__(self) -> None:
        self._used: dict[int, int] = {}

    def hetu(self, birth: date) -> str:
        """A valid, unused HETU for someone born on ``birth`` (a later day if that one is full)."""
        day = birth
        while self._used.get(day.toordinal(), 0) >= 897:
            day = date.fromordinal(day.toordinal() + 1)
        n = self._used.get(day.toordinal(), 0)
        self._used[day.toordinal()] = n + 1
        first = 2 + (day.toordinal() * 7919) % 500
        individual = 2 + (first - 2 + n) % 898
        digits = f"{day.day:02d}{day.month:02d}{day.year % 100:02d}"
        sign = "-" if day.year < 2000 else "A"
        return f"{digits}{sign}{individual:03d}{hetu_check_char(digits + f'{individual:03d}')}"


class BusinessIds:
    """Consecutive valid business ids (Y-tunnus) from a seeded starting point."""

    def __init__(self, rng: random.Random) -> None:
        self._next = 2_000_000 + rng.randrange(6_000_000)

    def next(self) -> str:
        """The next valid business id ``NNNNNNN-C``."""
        while True:
            digits = f"{self._next:07d}"
            self._next += 1
            check = business_id_check_digit(digits)
            if check is not None:
                return f"{digits}-{check}"


_FIRST = {
    "fi": ("Aino", "Eino", "Helmi", "Juhani", "Laura", "Mikko", "Sanna", "Timo", "Elina", "Jari", "Katja",
           "Ville", "Minna", "Antti", "Riikka", "Pekka", "Noora", "Janne", "Tiina", "Matti"),
    "sv": ("Anna", "Erik", "Sofia", "Johan", "Maria", "Anders", "Linnea", "Mikael", "Ida", "Henrik", "Elin",
           "Fredrik"),
    "se": ("Ánde", "Máret", "Biret", "Niillas", "Inga", "Jovnna"),
    "other": ("Ahmed", "Olga", "Mohamed", "Fatima", "Dmitri", "Anastasia", "Ali", "Leyla", "Tran", "Amina",
              "Sergei", "Hodan", "Mehmet", "Priya", "Juan", "Ewa"),
}
_LAST = {
    "fi": ("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
           "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi"),
    "sv": ("Lindqvist", "Karlsson", "Johansson", "Nyberg", "Holmström", "Lindholm", "Eriksson", "Sundström"),
    "se": ("Aikio", "Guttorm", "Näkkäläjärvi", "Valkeapää", "Magga", "Sara"),
    "other": ("Hassan", "Ivanova", "Ali", "Nguyen", "Mohamud", "Yilmaz", "Smirnov", "Abdullahi", "Kowalska",
              "Garcia", "Petrov", "Omar"),
}
_TRADES = ("Rakennus", "Kuljetus", "Siivous", "Ravintola", "Hoiva", "Metalli", "IT-palvelut", "Kiinteistöhuolto",
           "Kauppa", "Logistiikka", "Sähkö", "Konepaja", "Puutarha", "Kahvila")
_FORMS = ("Oy", "Oy", "Oy", "Ab", "Tmi", "Ky")


def person_name(rng: random.Random, language: str) -> str:
    """A plausible full name for someone whose language is ``language``."""
    return f"{rng.choice(_FIRST[language])} {rng.choice(_LAST[language])}"


def company_name(rng: random.Random) -> str:
    """A plausible small-company name."""
    return f"{rng.choice(_TRADES)} {rng.choice(_LAST['fi'])} {rng.choice(_FORMS)}"
