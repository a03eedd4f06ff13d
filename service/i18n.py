"""The languages of the web UI and the html reports: Finnish (the default), Swedish and English.

Texts are gettext messages (Babel): the English text is the message id, and
``service/locale/<lang>/LC_MESSAGES/messages.po`` holds the Finnish and Swedish translations.
The ``.po`` files are the only copy kept: they are compiled in memory the first time a language
is asked for (:func:`translations`), so a clean clone with ``pip install -e .`` needs no build
step and no binary ``.mo`` file is committed. English needs no catalogue.

Times shown to people are Europe/Helsinki wall-clock times in the language's own form
(``14.3.2022 klo 9.12``, ``14.3.2022 kl. 9.12``, ``2022-03-14 09:12``), written by Babel's
``format_datetime`` (:func:`when`); the exact RFC 3339 value stays in the element's ``datetime``
and ``title`` for inspectors. docs/architecture.md: "Languages".
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import BaseLoader, Environment, select_autoescape
from markupsafe import Markup

from policies.localtime import wall_clock
from service import labels

LANGUAGES = ("fi", "sv", "en")
DEFAULT = "fi"
NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}
COOKIE = "lokikirja_lang"
LOCALE_DIR = Path(__file__).parent / "locale"

DATETIME_PATTERNS = {"fi": "d.M.yyyy 'klo' H.mm", "sv": "d.M.yyyy 'kl.' H.mm", "en": "yyyy-MM-dd HH:mm"}
DATE_PATTERNS = {"fi": "d.M.yyyy", "sv": "d.M.yyyy", "en": "yyyy-MM-dd"}


def catalogue_path(lang: str) -> Path:
    """The ``.po`` file of a translated language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (English: the message ids themselves)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no such language {lang!r}: one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    with catalogue_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled)


def negotiate(asked: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language of one request: ``?lang=``, else the language cookie, else the best of the
    browser's ``Accept-Language`` that we have, else Finnish."""
    for chosen in (asked, cookie):
        if chosen in LANGUAGES:
            return chosen
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, i, primary))
    return min(ranked)[2] if ranked else DEFAULT


def _instant(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if len(value) == 10:
        return parsed.date()
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def when_text(value: Any, lang: str) -> str:
    """A time (aware ``datetime`` or RFC 3339 text) as Helsinki wall-clock time in ``lang``'s form;
    a date alone as a date; anything unparseable as given."""
    t = _instant(value)
    if t is None:
        return "" if value is None else str(value)
    if not isinstance(t, datetime):
        return format_date(t, DATE_PATTERNS[lang], locale=lang)
    return format_datetime(wall_clock(t), DATETIME_PATTERNS[lang], locale=lang)


def month_text(month: str, lang: str, *, long: bool = False) -> str:
    """A ``YYYY-MM`` month in ``lang``: its short name (``maalis``, ``mars``, ``Mar``) or, ``long``,
    its name and year (``maaliskuu 2021``) — Babel's stand-alone forms."""
    first = date(int(month[:4]), int(month[5:7]), 1)
    return format_date(first, "LLLL yyyy" if long else "LLL", locale=lang)


def when(value: Any, lang: str) -> Markup:
    """:func:`when_text` in a ``<time>`` element that keeps the exact value for inspectors."""
    if value is None or value == "":
        return Markup("—")
    exact = value.isoformat() if isinstance(value, datetime | date) else str(value)
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(exact, when_text(value, lang))


def environment(loader: BaseLoader, lang: str, **globals_: Any) -> Environment:
    """A jinja2 environment (autoescaped) speaking ``lang``: ``_()``/``{% trans %}`` from its
    catalogue, ``lang`` and the filters ``when`` (a time), ``month`` (a ``YYYY-MM``), ``label`` (a
    code's human label) and ``coded`` (the label with the raw code in small print for inspectors)."""
    env = Environment(loader=loader, autoescape=select_autoescape(["html", "j2"]), extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    gettext_: Callable[[str], str] = translations(lang).gettext

    def label(code: Any, table: str) -> str:
        return labels.label(table, code, gettext_)

    def coded(code: Any, table: str) -> Markup:
        if not code:
            return Markup("")
        return Markup('<span class="label" title="{0}">{1}</span> <small class="code">{0}</small>').format(
            code, label(code, table))

    env.filters.update(when=lambda v: when(v, lang), label=label, coded=coded,
                       month=lambda m, long=False: month_text(m, lang, long=long))
    env.globals.update(lang=lang, languages=[(code, NAMES[code]) for code in LANGUAGES], **globals_)
    return env
