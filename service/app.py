"""The ``lokikirja`` command group, its shared options and the mapping of errors to exit codes.

Commands live in ``service/commands/<concern>.py`` and attach themselves to :data:`main`;
``service/cli.py`` imports them all. Entry points are thin: parse → one call → render.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ledger.errors import InvalidInput, LedgerError
from service.output import FORMATS, emit_csv, stderr

F = TypeVar("F", bound=Callable[..., Any])


# Which module of service/commands defines each command: a command's module is imported only when
# that command runs, so `lokikirja ingest` does not load the HTTP server or the report templates.
COMMAND_MODULES: dict[str, str] = {
    "init": "store", "ingest": "store",
    "findings": "read", "access-log": "read",
    "supervision": "supervise", "monitoring": "supervise",
    "rebuild": "maintenance", "project": "maintenance",
    "dossier": "dossier", "verify-bundle": "dossier", "verify-report": "dossier",
    "checkpoint": "integrity", "proof": "integrity", "verify": "integrity",
    "erase": "privacy", "retention": "privacy", "keys": "privacy",
    "subject-report": "subject",
    "simulate": "simulate", "demo": "demo",
    "serve": "serve", "tokens": "tokens", "status": "status",
    "witness": "witness", "witnesses": "witness",
    "publish-tiles": "publish",
    "backup": "backup", "restore": "backup",
    "cases": "cases",
}


class LokikirjaGroup(click.Group):
    """Loads each command's module on demand, and maps every ``LedgerError`` to its exit code and
    one plain sentence on stderr."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_MODULES) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            try:
                importlib.import_module(f"service.commands.{COMMAND_MODULES[cmd_name]}")
            except ModuleNotFoundError:
                return None
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidInput as e:
            for problem in e.problems:
                click.echo(str(problem), err=True)
            if e.unlisted:
                click.echo(f"… and {e.unlisted} more invalid line(s) not listed", err=True)
            click.echo(f"error: {e}", err=True)
            sys.exit(e.exit_code)
        except LedgerError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted; nothing half-written was kept", err=True)
            sys.exit(130)
        except BrokenPipeError:  # the reader went away (`… | head`): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as e:  # an internal fault: one sentence, the traceback only on request
            if os.environ.get("LOKIKIRJA_DEBUG"):
                traceback.print_exc()
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            click.echo(f"internal error ({type(e).__name__}): {first} "
                       "(set LOKIKIRJA_DEBUG=1 for details)", err=True)
            sys.exit(1)


@click.group(cls=LokikirjaGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                   "max_content_width": 100})
@click.version_option(package_name="lokikirja")
def main() -> None:
    """Lokikirja: the audit and access ledger of the municipal employment experiment.

    Every record view, decision and customer transfer is an immutable fact; the Act's rules judge
    each one as of the moment it happened; a Merkle log with signed checkpoints proves nothing
    was altered since.
    """


def db_option(f: F) -> F:
    """``--db``. Apply it above :func:`keys_option`: a command that needs no key still accepts
    ``--keys`` (hidden, unused), so a script may pass the same ``--db`` and ``--keys`` to every
    command."""
    if not any(p.name == "keys" for p in getattr(f, "__click_params__", [])):
        f = click.option("--keys", metavar="DIR", hidden=True, expose_value=False)(f)
    return click.option(
        "--db", "db", metavar="TARGET", default=None,
        help="SQLite file path or postgresql:// URL (default: $LOKIKIRJA_DB, else ./lokikirja.db).",
    )(f)


def keys_option(f: F) -> F:
    return click.option(
        "--keys", "keys", metavar="DIR", default=None, type=click.Path(file_okay=False),
        help="Key folder (default: $LOKIKIRJA_KEYS, else ./lokikirja-keys/, else the folder init recorded).",
    )(f)


def format_option(*choices: str, default: str = "table") -> Callable[[F], F]:
    """``--format``. A command that prints JSON also prints CSV (CONTRACT §6: every command that
    prints data takes ``table|json|csv``): its JSON document, flattened by :func:`emit_csv`."""
    def deco(f: F) -> F:
        offered = choices or FORMATS
        if "json" in offered and "csv" not in offered:
            offered, f = (*offered, "csv"), _csv_from_json(f)
        return click.option("--format", "fmt", type=click.Choice(offered),
                            default=default, show_default=True, help="Output format.")(f)
    return deco


def _csv_from_json(f: F) -> F:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("fmt") != "csv":
            return f(*args, **kwargs)
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                return f(*args, **{**kwargs, "fmt": "json"})
        finally:  # also when the command exits 1 (e.g. verify found tampering) after printing
            if printed.getvalue().strip():
                emit_csv(json.loads(printed.getvalue()))
    return wrapper  # type: ignore[return-value]


def who_options(f: F) -> F:
    """``--as`` and ``--purpose``: required by every command that shows personal data."""
    f = click.option("--purpose", "purpose", metavar="TEXT", default=None,
                     help="Why you query personal data (recorded in the ledger). Required.")(f)
    f = click.option("--as", "as_user", metavar="u:USER", default=None,
                     help="Who is asking (recorded in the ledger). Required.")(f)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ledger.errors import UsageError
        if not kwargs.get("as_user") or not kwargs.get("purpose"):
            raise UsageError("this command shows personal data: give --as u:USER and --purpose TEXT; "
                             "the query is recorded in the ledger")
        from ledger.identifiers import USER_RE
        if not USER_RE.fullmatch(kwargs["as_user"]):
            raise UsageError("--as must be a user id of the form u:<token>")
        free_text(kwargs["purpose"], "--purpose", "purpose")
        return f(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def trust_options(*, urls: bool = False) -> Callable[[F], F]:
    """``--log-key``, ``--witness-key``, ``--witnesses`` (and ``--witness-url``): a pinned trust
    policy (``replay/trust.py``), passed to the command as ``policy``."""
    def deco(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from replay.trust import TrustPolicy

            kwargs["policy"] = TrustPolicy.from_options(
                kwargs.pop("log_keys"), kwargs.pop("witness_keys"), kwargs.pop("quorum"),
                kwargs.pop("witness_urls", ()))
            return f(*args, **kwargs)

        g: Any = wrapper
        if urls:
            g = click.option("--witness-url", "witness_urls", metavar="URL", multiple=True,
                             help="Ask this witness for the newest checkpoint it cosigned (besides the witnesses "
                                  "the store names); repeatable.")(g)
        g = click.option("--witnesses", "quorum", type=click.IntRange(min=0), default=None, metavar="K",
                         help="Quorum: how many pinned witnesses must have cosigned (default 1 with --witness-key).")(g)
        g = click.option("--witness-key", "witness_keys", metavar="VKEY", multiple=True,
                         help="A witness's verifier key (type 0x04) to trust; repeatable.")(g)
        g = click.option("--log-key", "log_keys", metavar="VKEY", multiple=True, envvar="LOKIKIRJA_LOG_KEY",
                         help="The log's verifier key (name+id+key, type 0x01), obtained out of band; repeatable "
                              "(old and new key across a rotation). The store's own key is then never trusted.")(g)
        return g  # type: ignore[no-any-return]
    return deco


def free_text(value: str, option: str, field: str) -> str:
    """A free-text argument through the one screen of every door (``screen_free_text``: the
    field's length limit, no personal identity code), or a usage error naming the option."""
    from ledger.errors import UsageError
    from ledger.events import TEXT_LIMITS
    from ledger.identifiers import screen_free_text

    try:
        return screen_free_text(value, limit=TEXT_LIMITS[field])
    except ValueError as e:
        raise UsageError(f"{option} {e}") from None


def note(message: str) -> None:
    """A human note on stderr (never on stdout, which carries the data)."""
    stderr.print(message, highlight=False)
