"""The reference data: consistent, with the areas, codes and language facts DOMAIN.md states."""

from __future__ import annotations

from ledger import reference
from ledger.identifiers import ORG_RE, matches


def test_every_area_municipality_is_listed_with_the_areas_te_office() -> None:
    for area in reference.areas():
        assert matches(ORG_RE, area.org) and area.org.startswith("area:")
        for code in area.municipalities:
            assert reference.area_of_municipality(code) == area.org
            assert reference.te_office_of_municipality(code) == area.te_office


def test_domain_table_codes_are_kept() -> None:
    assert reference.area("area:helsinki").municipalities == ("091",)
    assert reference.area("area:vantaa-kerava").municipalities == ("092", "245")
    assert set(reference.area("area:kainuu").municipalities) == {"205", "105", "290", "578", "697", "765", "777"}
    assert reference.area_of_municipality("758") == "area:lappi"


def test_pirkanmaa_is_tampere_and_21_neighbours_and_marked_unverified() -> None:
    pirkanmaa = reference.area("area:pirkanmaa")
    assert pirkanmaa.municipalities[0] == "837"
    assert len(pirkanmaa.municipalities) == 22
    assert not pirkanmaa.verified
    assert all(reference.municipality(c).te_office == "te:pirkanmaa" for c in pirkanmaa.municipalities)


def test_unverified_areas_are_marked() -> None:
    unverified = {a.org for a in reference.areas() if not a.verified}
    assert {"area:lahti", "area:seinajoki-ilmajoki", "area:jamsa-keuruu-saarijarvi", "area:lappi"} <= unverified
    assert "area:helsinki" not in unverified


def test_language_facts() -> None:
    bilingual = {m.name_fi for m in reference.municipalities() if m.bilingual}
    assert {"Helsinki", "Espoo", "Vantaa", "Turku", "Kokkola", "Porvoo", "Raasepori", "Hanko"} <= bilingual
    assert reference.municipality("710").majority_language == "sv"
    assert reference.municipality("758").sami_homeland
    assert reference.area("area:raasepori-hanko").languages[0] == "sv"
    assert "se" in reference.area("area:lappi").languages


def test_there_are_municipalities_outside_the_areas_and_every_te_office_is_named() -> None:
    outside = [m for m in reference.municipalities() if reference.area_of_municipality(m.code) is None]
    assert len(outside) >= 20
    offices = {t.org for t in reference.te_offices()}
    assert len(offices) == 15
    assert {m.te_office for m in reference.municipalities()} <= offices
    assert {a.org for a in reference.authorities()} == {"keha", "avi", "tem"}
