"""The html reports' one jinja2 environment, and writing a report to a file or stdout."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import click
from jinja2 import Environment, PackageLoader, select_autoescape

from ledger.errors import UsageError
from ledger.identifiers import validate_hetu
from ledger.private_files import write_private


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("service", "templates"), autoescape=select_autoescape(["html", "j2"]))


def render(template: str, **context: Any) -> str:
    """Render ``service/templates/<template>`` (autoescaped)."""
    return _environment().get_template(template).render(**context)


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
