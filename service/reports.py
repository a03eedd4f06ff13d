"""The html reports' jinja2 environments (one per language), and writing a report to a file or stdout."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import click
from jinja2 import Environment, PackageLoader

from ledger.errors import UsageError
from ledger.identifiers import validate_hetu
from ledger.private_files import write_private
from service import i18n

lang_option = click.option(
    "--lang", "lang", type=click.Choice(i18n.LANGUAGES), default=i18n.DEFAULT, show_default=True,
    help="Language of the html report: fi, sv or en.")


@cache
def _environment(lang: str) -> Environment:
    return i18n.environment(PackageLoader("service", "templates"), lang)


def render(template: str, *, lang: str = i18n.DEFAULT, **context: Any) -> str:
    """Render ``service/templates/<template>`` in ``lang`` (autoescaped)."""
    return _environment(lang).get_template(template).render(lang=lang, **context)


def write_html(html: str, out: Path | None, what: str) -> None:
    """Write ``html`` to ``out`` (0600: reports and letters hold personal data), or to stdout when
    no file is given."""
    if out is None:
        click.echo(html)
        return
    write_private(out, html)
    click.echo(f"wrote the {what} to {out}", err=True)


def checked_hetu(hetu: str | None) -> str | None:
    """A ``--hetu`` argument validated (its check character included), or a usage error that
    never repeats the value."""
    if hetu is None:
        return None
    try:
        return validate_hetu(hetu.strip().upper())
    except ValueError as e:
        raise UsageError(f"--hetu {e}") from None
