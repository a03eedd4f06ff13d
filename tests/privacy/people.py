"""A customer-heavy scenario with real-looking HETUs and names, for the raw-bytes tests.

``people(n)`` gives contract events: three organisations, officials (some with their own HETU,
one of whom views her own record), ``n`` customers with a HETU and a name (half later change
their name), one view of each customer in office hours and a few decisions. ``needles`` are every
HETU and name in it — none of which may ever appear in clear in the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tests.factories import ev, hetu

FIRST = ["Aino", "Eino", "Helmi", "Väinö", "Siiri", "Onni", "Kerttu", "Toivo", "Elli", "Lyyti", "Sulo", "Impi"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laaksonen", "Heikkinen", "Koskinen",
        "Järvinen", "Lehtonen", "Saarinen", "Öhmanová"]
START = "2021-03-01T06:00:00+02:00"
OWN_RECORD_CUSTOMER = "c:p0007"


@dataclass
class People:
    events: list[dict[str, Any]] = field(default_factory=list)
    hetus: dict[str, str] = field(default_factory=dict)       # customer or user → HETU
    names: set[str] = field(default_factory=set)

    @property
    def needles(self) -> list[str]:
        """Every HETU and every full name, and every surname on its own."""
        return sorted(set(self.hetus.values()) | self.names | set(LAST))


def _office_time(i: int) -> str:
    """A weekday instant in office hours (+02:00, March 2021), one per ``i``."""
    day = date(2021, 3, 1) + timedelta(days=(i // 40) % 28)
    while day.weekday() >= 5:
        day += timedelta(days=2)
    t = datetime(day.year, day.month, day.day, 9) + timedelta(minutes=(i % 40) * 12)
    return t.strftime("%Y-%m-%dT%H:%M:00+02:00")


def people(n: int = 1000, officials: int = 5) -> People:
    """The scenario; customer ``i`` is ``c:p{i:04d}``."""
    out = People()
    add = out.events.append
    for org, kind, extra in [("area:helsinki", "experiment_area", {"te_office": "te:uusimaa",
                                                                   "municipalities": ["091"]}),
                             ("te:uusimaa", "te_office", {}), ("keha", "keha", {})]:
        add(ev("organisation.registered", START, org=org, kind=kind, name=org.split(":")[-1].title(),
               languages=["fi", "sv"], **extra))
    add(ev("user.registered", START, user="u:keha-1", org="keha", main_duties_under_act=True))
    for i in range(n):
        customer = f"c:p{i:04d}"
        born = date(1960, 1, 1) + timedelta(days=(i * 37) % 20000)
        out.hetus[customer] = hetu(born, 2 + i % 897)
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
        out.names.add(name)
        add(ev("customer.registered", START, customer=customer, hetu=out.hetus[customer], name=name,
               org="te:uusimaa", home_municipality="091", birth_date=born.isoformat(),
               earnings_related_eligible=False, immigrant_or_foreign_language=False, language="sv" if i % 3 else "fi"))
        if i % 2:
            renamed = f"{FIRST[(i + 5) % len(FIRST)]} {LAST[(i + 7) % len(LAST)]}"
            out.names.add(renamed)
            add(ev("customer.changed", "2021-03-02T08:00:00+02:00", customer=customer, name=renamed))
    for k in range(officials):
        user = f"u:o-{k}"
        own = out.hetus.get(OWN_RECORD_CUSTOMER) if k == 0 else None
        own = own or hetu(date(1970 + k, 5, 5), 500 + k)
        out.hetus[user] = own
        add(ev("user.registered", START, user=user, org="te:uusimaa", main_duties_under_act=True, hetu=own))
        add(ev("access.granted", START, "u:keha-1", user=user, valid_from="2021-03-01"))
    for i in range(n):
        user = "u:o-0" if f"c:p{i:04d}" == OWN_RECORD_CUSTOMER else f"u:o-{1 + i % (officials - 1)}"
        add(ev("record.viewed", _office_time(i), user, subject=f"c:p{i:04d}", purpose="service_guidance",
               categories=["identity", "service_plan"]))
    for i in range(0, n, 97):
        add(ev("decision.made", _office_time(i + 1), "u:o-1", decision=f"d:p{i}", kind="statement_unemployment",
               customer=f"c:p{i:04d}", outcome="issued", language="fi"))
    return out
