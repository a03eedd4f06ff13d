"""Organisations over time: kinds, TE offices, and which municipalities each area has at t.

Built from ``organisation.registered`` and ``area.municipality_joined``/``left`` facts (CONTRACT §1).
Area membership changes over time (DOMAIN.md: 118 municipalities at the start, later 125), so every
question is asked *at* an instant. The state at t is the fold, in (at, event_id) order, of the facts
with ``at`` ≤ t (CONTRACT §2): a registration sets the area's municipalities, a join adds one, a
leave removes one. Before any of its facts an area has no municipalities.

If two areas claim the same municipality at once (inconsistent source data), the municipality's
area is the one with the smallest id — deterministic, and the overlap is visible in the dossier.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ledger.events import OrgKind
from ledger.identifiers import ORG_RE, matches, org_kind_of
from policies.facts import Row


@dataclass(frozen=True, slots=True)
class OrgRegistration:
    """An ``organisation.registered`` fact."""

    at: datetime
    event_id: str
    org: str
    kind: OrgKind
    te_office: str | None = None
    languages: tuple[str, ...] = ()
    municipalities: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """An ``area.municipality_joined`` (``joined``) or ``area.municipality_left`` fact."""

    at: datetime
    event_id: str
    org: str
    municipality: str
    joined: bool


_Step = tuple[datetime, str, "str | None"]  # (at, event_id, the municipality's area after it)


class OrgHistory:
    """Every organisation's facts, indexed for "as of t" questions. Immutable once built."""

    __slots__ = ("_areas", "_munis", "_regs")

    def __init__(self, registrations: Iterable[OrgRegistration] = (),
                 changes: Iterable[MembershipChange] = ()) -> None:
        facts: list[OrgRegistration | MembershipChange] = [*registrations, *changes]
        facts.sort(key=lambda f: (f.at, f.event_id))
        regs: dict[str, list[OrgRegistration]] = {}
        for f in facts:
            if isinstance(f, OrgRegistration):
                regs.setdefault(f.org, []).append(f)
        self._regs = {org: tuple(rs) for org, rs in regs.items()}
        self._areas: dict[str, tuple[list[datetime], list[frozenset[str]]]] = {}
        self._munis: dict[str, tuple[list[datetime], list[_Step]]] = {}
        self._fold(facts)

    def _fold(self, facts: list[OrgRegistration | MembershipChange]) -> None:
        state: dict[str, frozenset[str]] = {}
        owner: dict[str, str | None] = {}  # each municipality's area after the facts so far
        for f in facts:
            if isinstance(f, OrgRegistration):
                if f.kind is not OrgKind.EXPERIMENT_AREA:
                    continue
                before = state.get(f.org, frozenset())
                state[f.org] = f.municipalities
                touched = before | f.municipalities
            else:
                before = state.get(f.org, frozenset())
                state[f.org] = before | {f.municipality} if f.joined else before - {f.municipality}
                touched = frozenset({f.municipality})
            ats, sets = self._areas.setdefault(f.org, ([], []))
            ats.append(f.at)
            sets.append(state[f.org])
            for m in sorted(touched):
                area = min((a for a, ms in state.items() if m in ms), default=None)
                if owner.get(m) != area:
                    owner[m] = area
                    self._step(m, (f.at, f.event_id, area))

    def _step(self, municipality: str, step: _Step) -> None:
        """Record a change of the municipality's area; changes at one instant collapse into one."""
        ats, steps = self._munis.setdefault(municipality, ([], []))
        if steps and steps[-1][0] == step[0]:
            ats.pop()
            steps.pop()
            if (steps[-1][2] if steps else None) == step[2]:
                return
        ats.append(step[0])
        steps.append(step)

    @classmethod
    def from_facts(cls, rows: Iterable[Row]) -> OrgHistory:
        """From history rows ``(at, event_id, type, payload)``; other types are ignored."""
        regs: list[OrgRegistration] = []
        changes: list[MembershipChange] = []
        for at, event_id, type_, d in rows:
            if type_ == "organisation.registered":
                regs.append(OrgRegistration(at=at, event_id=event_id, org=d["org"], kind=OrgKind(d["kind"]),
                                            te_office=d.get("te_office"), languages=tuple(d.get("languages") or ()),
                                            municipalities=frozenset(d.get("municipalities") or ())))
            elif type_ in ("area.municipality_joined", "area.municipality_left"):
                changes.append(MembershipChange(at=at, event_id=event_id, org=d["org"], municipality=d["municipality"],
                                                joined=type_ == "area.municipality_joined"))
        return cls(regs, changes)

    # ------------------------------------------------------------------ organisations
    def is_registered(self, org: str) -> bool:
        """True when some ``organisation.registered`` fact registers ``org``."""
        return org in self._regs

    def kind(self, org: str | None) -> OrgKind | None:
        """The organisation's kind: as registered, else as its id's prefix implies (CONTRACT §1)."""
        if org is None:
            return None
        regs = self._regs.get(org)
        if regs:
            return regs[-1].kind
        return OrgKind(org_kind_of(org)) if matches(ORG_RE, org) else None

    def is_area(self, org: str | None) -> bool:
        """True when ``org`` is an experiment area (kokeilualue)."""
        return self.kind(org) is OrgKind.EXPERIMENT_AREA

    def is_te_office(self, org: str | None) -> bool:
        """True when ``org`` is a TE office (TE-toimisto); any TE office counts as "a TE office"."""
        return self.kind(org) is OrgKind.TE_OFFICE

    def te_office_of(self, area: str) -> str | None:
        """The TE office the area works with, from its latest registration; ``None`` if unknown."""
        regs = self._regs.get(area)
        return regs[-1].te_office if regs else None

    def languages_of(self, org: str) -> tuple[str, ...]:
        """The languages the organisation serves in, from its latest registration."""
        regs = self._regs.get(org)
        return regs[-1].languages if regs else ()

    def organisations(self) -> tuple[str, ...]:
        """Every registered organisation id, sorted."""
        return tuple(sorted(self._regs))

    # ------------------------------------------------------------------ municipalities
    def municipalities_at(self, area: str, t: datetime) -> frozenset[str]:
        """The municipality codes of ``area`` at ``t`` (facts with at ≤ t)."""
        found = self._areas.get(area)
        if found is None:
            return frozenset()
        i = bisect_right(found[0], t)
        return found[1][i - 1] if i else frozenset()

    def area_of_municipality_at(self, municipality: str, t: datetime) -> str | None:
        """The experiment area whose municipality ``municipality`` is at ``t``, or ``None``."""
        found = self._munis.get(municipality)
        if found is None:
            return None
        i = bisect_right(found[0], t)
        return found[1][i - 1][2] if i else None

    def municipality_steps(self, municipality: str) -> tuple[_Step, ...]:
        """Every change of the municipality's area: ``(at, event_id, area or None)``, in order."""
        found = self._munis.get(municipality)
        return tuple(found[1]) if found else ()
