"""The simulation's shared context: settings, randomness, reference data, registries, schedules.

One :class:`Sim` is threaded through the modules that act on it (``acts``, ``staff``,
``customers``, ``services``, ``inject_*``). Its day cursor (:attr:`Sim.day`, :attr:`Sim.date`)
moves forward only.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict, deque
from datetime import date

from ledger import reference
from simulation.clock import days_from, is_workday, wall
from simulation.config import Settings
from simulation.emit import Emitter
from simulation.identity import BusinessIds, HetuAllocator, opaque
from simulation.world import Customer, Employer, Official, Pool

TE = "te"
"""What the rules require of a customer outside the group: any TE office."""


class Sim:
    """Everything the generators share."""

    def __init__(self, settings: Settings, emitter: Emitter) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.salt = self.rng.getrandbits(40)
        self.out = emitter
        self.dates = days_from(settings.start, settings.days)
        self.workdays = [is_workday(d) for d in self.dates]
        self.day = 0
        self.date = settings.start
        self.hetus = HetuAllocator()
        self.business_ids = BusinessIds(self.rng)
        self.serials: Counter[str] = Counter()
        self._load_reference()
        self.active: Pool[Customer] = Pool()
        self.by_org: dict[str, Pool[Customer]] = defaultdict(Pool)
        self.staff: dict[str, list[Official]] = defaultdict(list)
        self.former: list[Official] = []
        self.keha: list[str] = []
        self.employers: list[Employer] = []
        self.municipal: dict[str, list[Employer]] = defaultdict(list)
        """Employers that are a municipality, by municipality code."""
        self.vacancies: deque[tuple[str, str]] = deque(maxlen=500)
        self.due_transfers: dict[int, list[Customer]] = defaultdict(list)
        self.due_birthdays: dict[int, list[Customer]] = defaultdict(list)
        self.due_staff: dict[int, list[tuple[str, Official]]] = defaultdict(list)
        self.due_fixes: dict[int, list[tuple[Customer, str, str]]] = defaultdict(list)

    def _load_reference(self) -> None:
        self.areas = {a.org: a for a in reference.areas()}
        self.area_munis = {a.org: frozenset(a.municipalities) for a in reference.areas()}
        self.area_of = {code: a.org for a in reference.areas() for code in a.municipalities}
        self.municipalities = {m.code: m for m in reference.municipalities()}
        self.te_of = {m.code: m.te_office for m in reference.municipalities()}
        self.languages = {a.org: a.languages for a in reference.areas()}
        self.languages.update({t.org: t.languages for t in reference.te_offices()})
        self.te_offices = [t.org for t in reference.te_offices()]
        codes = sorted(self.municipalities)
        cumulative: list[int] = []
        total = 0
        for code in codes:
            total += self.municipalities[code].population_k
            cumulative.append(total)
        self.home_weights = (codes, cumulative)

    # ------------------------------------------------------------------ time
    def set_day(self, index: int) -> None:
        """Move the day cursor to day ``index`` of the run."""
        self.day, self.date = index, self.dates[index]

    def at(self, seconds: int, day: int | None = None) -> int:
        """The instant ``seconds`` after local midnight of today (or of day index ``day``)."""
        return wall(self.date if day is None else self.dates[day], seconds)

    def is_workday(self, day: int) -> bool:
        """True when day index ``day`` is in the run and a workday."""
        return 0 <= day < len(self.dates) and self.workdays[day]

    def next_workdays(self, within: int) -> list[int]:
        """Workday indices in the run among the next ``within`` days (tomorrow onwards)."""
        return [d for d in range(self.day + 1, self.day + within + 1) if self.is_workday(d)]

    @property
    def days_left(self) -> int:
        """Days of the run after today."""
        return len(self.dates) - 1 - self.day

    # ------------------------------------------------------------------ ids
    def token(self, kind: str) -> str:
        """A fresh opaque token for ``kind`` (c, d, v, k, …), unique in this run."""
        self.serials[kind] += 1
        return opaque(self.serials[kind], self.salt ^ (hash_kind(kind)))

    # ------------------------------------------------------------------ customers' organisations
    def required(self, c: Customer, day: date | None = None) -> str | None:
        """The organisation the rules require for ``c`` on local date ``day`` (default today):
        the current one while withheld, else the home municipality's area when a criterion holds,
        else :data:`TE`; ``None`` when not registered."""
        if not c.registered:
            return None
        if c.withheld:
            return c.resp
        return self.group_area(c, day) or TE

    def group_area(self, c: Customer, day: date | None = None) -> str | None:
        """The area whose customer group ``c`` belongs to on local date ``day`` (default today):
        home municipality in the area and under 30, without earnings-related allowance, or an
        immigrant or foreign-language speaker (DOMAIN.md); ``None`` when in no area's group."""
        area = self.area_of.get(c.home)
        if area is not None and (c.imm or not c.erl or (day or self.date) < c.turns30):
            return area
        return None

    def satisfied(self, c: Customer, day: date | None = None) -> bool:
        """True when ``c``'s responsible organisation is the one the rules require."""
        required = self.required(c, day)
        if required is None:
            return True
        return (c.resp or "").startswith("te:") if required == TE else c.resp == required

    def home_te(self, c: Customer) -> str:
        """The TE office of ``c``'s home municipality."""
        return self.te_of[c.home]


def hash_kind(kind: str) -> int:
    """A stable small integer for a token kind (``hash`` of a str varies between processes)."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(kind)) << 20
