"""Reference data of the experiment: areas, TE offices, authorities and municipalities.

Read-only, typed access to the files beside this module (their sources are named in
``README.md``). The data are loaded once, checked for consistency (every area municipality is
listed, its TE office is the area's, every TE office named exists) and cached.

>>> from ledger import reference
>>> reference.area("area:helsinki").municipalities
('091',)
>>> reference.area_of_municipality("837")
'area:pirkanmaa'
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "Area", "Authority", "Municipality", "TeOffice", "area", "area_of_municipality", "areas", "authorities",
    "municipalities", "municipality", "te_office", "te_office_of_municipality", "te_offices",
]


@dataclass(frozen=True, slots=True)
class Area:
    """An experiment area (kokeilualue) as it started on 1.3.2021."""

    org: str
    name: str
    te_office: str
    municipalities: tuple[str, ...]
    languages: tuple[str, ...]
    verified: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class TeOffice:
    """A TE office (TE-toimisto)."""

    org: str
    name: str
    regions: str
    languages: tuple[str, ...]
    name_sv: str = ""


@dataclass(frozen=True, slots=True)
class Authority:
    """KEHA, AVI or TEM: ``org`` is also the organisation kind."""

    org: str
    kind: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Municipality:
    """A municipality (kunta) with its TE office, language status and rough simulation weights.

    ``population_k`` and the ``*_share_pct`` fields are rounded approximations for weighting a
    simulation only (see README.md).
    """

    code: str
    name_fi: str
    name_sv: str
    te_office: str
    bilingual: bool
    majority_language: str
    sami_homeland: bool
    population_k: int
    sv_share_pct: float
    foreign_share_pct: float
    se_share_pct: float


def _text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _json(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(_text(name))
    return data


def _municipality(row: dict[str, str]) -> Municipality:
    return Municipality(
        code=row["code"], name_fi=row["name_fi"], name_sv=row["name_sv"], te_office=row["te_office"],
        bilingual=row["bilingual"] == "yes", majority_language=row["majority_language"],
        sami_homeland=row["sami_homeland"] == "yes", population_k=int(row["population_k"]),
        sv_share_pct=float(row["sv_share_pct"]), foreign_share_pct=float(row["foreign_share_pct"]),
        se_share_pct=float(row["se_share_pct"]),
    )


@dataclass(frozen=True, slots=True)
class _Data:
    areas: tuple[Area, ...]
    te_offices: tuple[TeOffice, ...]
    authorities: tuple[Authority, ...]
    municipalities: tuple[Municipality, ...]
    area_of: dict[str, str]


def _check(data: _Data) -> None:
    """Raise ``ValueError`` when the files contradict each other."""
    offices = {t.org for t in data.te_offices}
    codes = {m.code: m for m in data.municipalities}
    if len(codes) != len(data.municipalities):
        raise ValueError("municipalities.csv lists a code twice")
    for a in data.areas:
        if a.te_office not in offices:
            raise ValueError(f"{a.org} names unknown TE office {a.te_office}")
        for code in a.municipalities:
            if code not in codes:
                raise ValueError(f"{a.org} names municipality {code} missing from municipalities.csv")
            if codes[code].te_office != a.te_office:
                raise ValueError(f"municipality {code} has a TE office other than its area's")
    for m in data.municipalities:
        if m.te_office not in offices:
            raise ValueError(f"municipality {m.code} names unknown TE office {m.te_office}")


@cache
def _data() -> _Data:
    areas = tuple(
        Area(org=a["org"], name=a["name"], te_office=a["te_office"], municipalities=tuple(a["municipalities"]),
             languages=tuple(a["languages"]), verified=bool(a["verified"]), note=a.get("note", ""))
        for a in _json("areas.json"))
    offices = tuple(
        TeOffice(org=t["org"], name=t["name"], regions=t["regions"], languages=tuple(t["languages"]),
                 name_sv=t.get("name_sv", ""))
        for t in _json("te_offices.json"))
    authorities_ = tuple(
        Authority(org=a["org"], kind=a["kind"], name=a["name"], languages=tuple(a["languages"]))
        for a in _json("authorities.json"))
    rows = csv.DictReader(_text("municipalities.csv").splitlines())
    munis = tuple(_municipality(r) for r in rows)
    area_of: dict[str, str] = {}
    for a in areas:
        for code in a.municipalities:
            if code in area_of:
                raise ValueError(f"municipality {code} is in two areas")
            area_of[code] = a.org
    data = _Data(areas, offices, authorities_, munis, area_of)
    _check(data)
    return data


def areas() -> tuple[Area, ...]:
    """Every experiment area, in DOMAIN.md's order."""
    return _data().areas


def area(org: str) -> Area:
    """The area with id ``org``; ``KeyError`` if none."""
    for a in _data().areas:
        if a.org == org:
            return a
    raise KeyError(org)


def te_offices() -> tuple[TeOffice, ...]:
    """Every TE office."""
    return _data().te_offices


def te_office(org: str) -> TeOffice:
    """The TE office with id ``org``; ``KeyError`` if none."""
    for t in _data().te_offices:
        if t.org == org:
            return t
    raise KeyError(org)


def authorities() -> tuple[Authority, ...]:
    """KEHA, AVI and TEM."""
    return _data().authorities


def municipalities() -> tuple[Municipality, ...]:
    """Every listed municipality, by code."""
    return _data().municipalities


def municipality(code: str) -> Municipality:
    """The municipality with ``code``; ``KeyError`` if not listed."""
    for m in _data().municipalities:
        if m.code == code:
            return m
    raise KeyError(code)


def area_of_municipality(code: str) -> str | None:
    """The experiment area the municipality belonged to at the start, or ``None``."""
    return _data().area_of.get(code)


def te_office_of_municipality(code: str) -> str:
    """The TE office serving the municipality; ``KeyError`` if not listed."""
    return municipality(code).te_office
