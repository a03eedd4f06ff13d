"""Write docs/cli.md from the commands' own --help (run: .venv/bin/python scripts/cli_reference.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from service.app import COMMAND_MODULES, main


def _help(path: list[str], command: click.Command) -> str:
    # A parent context carries the group's settings (``-h``/``--help``), whatever ran before.
    root = click.Context(main, info_name="lokikirja", terminal_width=100, **main.context_settings)
    command._help_option = None  # click caches the help option of whichever context came first
    with click.Context(command, info_name=" ".join(path), parent=root, terminal_width=100) as ctx:
        return command.get_help(ctx)


def reference() -> str:
    out = ["# Command line reference", "",
           "Generated from each command's `--help` by `scripts/cli_reference.py`; `tests/test_docs.py` checks it",
           "is current. The binding interface is CONTRACT §6; where it is silent these pages say what Lokikirja does.",
           "What every door accepts (valid time, dates, lengths of fields, free text) is in docs/input.md.",
           ""]
    ctx = click.Context(main, info_name="lokikirja")
    for name in sorted(COMMAND_MODULES):
        command = main.get_command(ctx, name)
        if command is None:
            continue
        out += [f"## `lokikirja {name}`", "", "```", _help([name], command).rstrip(), "```", ""]
        if isinstance(command, click.Group):
            for sub in sorted(command.commands):
                out += [f"### `lokikirja {name} {sub}`", "", "```",
                        _help([name, sub], command.commands[sub]).rstrip(), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
    target.write_text(reference(), encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
