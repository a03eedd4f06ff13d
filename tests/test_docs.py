"""The documentation is part of the change: every command has help with an example and is in the
generated reference; every rule has its page; every ADR has its sections; the README's commands exist."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import pytest

from ledger.events import Rule
from service.app import COMMAND_MODULES, main

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def _commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(main, info_name="lokikirja")
    return [(name, main.get_command(ctx, name)) for name in sorted(COMMAND_MODULES)]


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[n for n, _ in _commands()])
def test_every_command_loads_and_has_help_with_an_example(name, command):
    assert command is not None, f"{name} is listed in COMMAND_MODULES but no module defines it"
    text = command.help or ""
    assert text.strip(), f"{name} has no help"
    if not isinstance(command, click.Group):
        assert "Example:" in text, f"{name}'s help has no example"


def test_every_registered_command_is_listed_for_lazy_loading():
    _commands()  # imports every command module, registering everything they define
    assert set(main.commands) <= set(COMMAND_MODULES)


def test_the_cli_reference_is_current():
    from cli_reference import reference

    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference(), \
        "docs/cli.md is stale: run .venv/bin/python scripts/cli_reference.py"


def test_every_length_limit_is_in_the_table_of_docs_input():
    from ledger.events import LIST_LIMITS, TEXT_LIMITS

    table = (ROOT / "docs" / "input.md").read_text(encoding="utf-8")
    for field, limit in {**TEXT_LIMITS, **LIST_LIMITS}.items():
        assert f"| `{field}` | {limit} |" in table, f"docs/input.md lacks the limit of {field}"


def test_every_rule_is_documented_with_its_legal_basis():
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in Rule:
        assert rule.value in rules, f"{rule.value} is missing from docs/rules.md"


def test_every_adr_has_status_context_decision_and_consequences():
    adrs = sorted((ROOT / "docs" / "adr").glob("[0-9][0-9][0-9][0-9]-*.md"))
    assert adrs
    for adr in adrs:
        text = adr.read_text(encoding="utf-8")
        for heading in ("Status", "## Context", "## Decision", "## Consequences"):
            assert heading in text, f"{adr.name} lacks {heading}"


def test_the_readme_names_the_two_commands_and_they_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for script in ("scripts/demo", "scripts/test"):
        assert script in readme and (ROOT / script).exists()
    for command in re.findall(r"^lokikirja ([a-z-]+)", readme, flags=re.M):
        assert command in COMMAND_MODULES, f"README mentions an unknown command {command}"
