"""The Finnish and Swedish catalogues keep up with the code: every text the templates and
``service/`` mark for translation has a non-empty, non-fuzzy translation with the same
placeholders, and every contract code has a human label (docs/architecture.md, "Languages")."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from ledger.events import Rule
from service import i18n, labels

ROOT = Path(__file__).resolve().parents[1]
METHODS = [("service/**.py", "python"), ("service/templates/**.j2", "jinja2")]
OPTIONS = {"service/templates/**.j2": {"trimmed": "true"}}


def _extracted() -> Catalog:
    found = Catalog()
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, OPTIONS, keywords={**DEFAULT_KEYWORDS, "N_": None}):
        found.add(message, locations=[(filename, lineno)])
    return found


def test_the_extraction_finds_the_templates_and_the_labels():
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _extracted() if m.id}
    assert {"Risk ranking of the experiment areas", "Dispute dossier", labels.RULES["ACCESS_BULK"]} <= ids


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_text_has_a_translation_with_the_same_placeholders(lang: str):
    with i18n.catalogue_path(lang).open("rb") as po:
        catalogue = read_po(po, locale=lang)
    untranslated = []
    for message in _extracted():
        if not message.id:
            continue
        found = catalogue.get(message.id)
        strings = () if found is None else found.string if isinstance(found.string, tuple) else (found.string,)
        if found is None or found.fuzzy or not strings or not all(strings):
            where = ", ".join(f"{f}:{n}" for f, n in message.locations)
            untranslated.append(f"{message.id!r} ({where})")
    assert not untranslated, f"untranslated in {lang} (run scripts/i18n-extract, then translate):\n" + "\n".join(
        untranslated)
    problems = [f"{m.id!r}: {errors}" for m, errors in catalogue.check()]
    assert not problems, "\n".join(problems)


def test_every_rule_and_contract_code_has_a_label():
    assert set(labels.RULES) == {r.value for r in Rule}
    assert set(labels.PURPOSES) >= {"service_guidance", "employer_service", "vacancy_handling"}
    for lang in i18n.LANGUAGES:
        gettext = i18n.translations(lang).gettext
        for table in labels.TABLES.values():
            assert all(gettext(message) for message in table.values())


@pytest.mark.parametrize(("lang", "shown"), [("fi", "14.3.2022 klo 9.12"), ("sv", "14.3.2022 kl. 9.12"),
                                             ("en", "2022-03-14 09:12")])
def test_times_are_shown_in_helsinki_in_each_languages_form(lang: str, shown: str):
    assert i18n.when_text("2022-03-14T07:12:00+00:00", lang) == shown
    assert i18n.when_text("2022-03-14T09:12:00+02:00", lang) == shown
    assert "white-space" not in i18n.when("2022-03-14T09:12:00+02:00", lang)  # styled by the page
    assert 'datetime="2022-03-14T09:12:00+02:00"' in i18n.when("2022-03-14T09:12:00+02:00", lang)
