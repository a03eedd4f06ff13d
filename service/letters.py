"""The Art. 15 letter's sender details and reference: the controller and its data-protection
officer, read from a small TOML file, and a human reference number for each request.

The file is named by ``--controller FILE`` (``subject-report``, ``serve``), else
``$LOKIKIRJA_CONTROLLER_FILE``; without one the letter has no contact block (docs/api.md,
"Downloads")::

    [controller]
    name = "Helsingin kaupunki, työllisyyspalvelut"
    address = "PL 1, 00099 Helsingin kaupunki"
    email = "tyollisyys@hel.fi"
    phone = "09 310 1691"

    [dpo]
    name = "Tietosuojavastaava"
    email = "tietosuoja@hel.fi"

Each section takes ``name`` (required), ``address``, ``email``, ``phone`` and ``web``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from ledger.errors import UsageError
from ledger.records import StoredFact

ENV = "LOKIKIRJA_CONTROLLER_FILE"
FIELDS = ("name", "address", "email", "phone", "web")
SECTIONS = ("controller", "dpo")
HELSINKI = ZoneInfo("Europe/Helsinki")

controller_option = click.option(
    "--controller", "controller", type=click.Path(dir_okay=False, path_type=Path), envvar=ENV, default=None,
    help="A TOML file with the controller's and the DPO's contact details for the Art. 15 letter "
         f"(default env {ENV}).")


@dataclass(frozen=True)
class Contacts:
    """The controller's and its data-protection officer's contact details, field → text."""

    controller: dict[str, str]
    dpo: dict[str, str]


def load_contacts(path: Path | None) -> Contacts | None:
    """The contacts of the TOML file at ``path`` (None: no file given); a usage error names what
    is wrong with it."""
    if path is None:
        path = Path(os.environ[ENV]) if os.environ.get(ENV) else None
    if path is None:
        return None
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"cannot read the controller file {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: {e}") from None
    unknown = set(doc) - set(SECTIONS)
    if unknown:
        raise UsageError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}; give [controller] and [dpo]")
    return Contacts(**{name: _section(path, name, doc.get(name)) for name in SECTIONS})


def _section(path: Path, name: str, section: object) -> dict[str, str]:
    if not isinstance(section, dict) or not isinstance(section.get("name"), str) or not section["name"].strip():
        raise UsageError(f"{path}: [{name}] needs a name")
    unknown = set(section) - set(FIELDS)
    if unknown or not all(isinstance(v, str) for v in section.values()):
        raise UsageError(f"{path}: [{name}] takes the texts {', '.join(FIELDS)}")
    return {k: section[k].strip() for k in FIELDS if k in section and section[k].strip()}


def reference_number(query: StoredFact) -> str:
    """``LKK-2026-000123``: the year (Helsinki) the request was recorded and the log position of
    its ``ledger.queried`` fact — unique in the ledger, and found again from the letter."""
    if query.position is None:
        raise ValueError("a reference is made from a recorded query, which has a log position")
    return f"LKK-{query.recorded_at.astimezone(HELSINKI).year}-{query.position:06d}"
