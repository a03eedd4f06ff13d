"""``tokens add|list|revoke``: bearer tokens of the HTTP API, stored hashed (``service/http/tokens.py``)."""

from __future__ import annotations

import click

from service.app import format_option, keys_option, main, note
from service.http.tokens import ROLES, TokenFile, resolve_tokens_path
from service.output import emit_json, emit_rows, stdout


def tokens_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--tokens", "tokens", metavar="FILE", default=None, type=click.Path(dir_okay=False),
        help="Tokens file (default: $LOKIKIRJA_TOKENS, else lokikirja-tokens.json beside the key folder).",
    )(f)


@main.group()
def tokens() -> None:
    """Bearer tokens of `lokikirja serve`: each for one user (u:…) with one role.

    Roles: ingest (post facts), dpo (an organisation's data-protection officer), avi (the
    supervisor: everything, read-only), area-user (its area's current customers' access history),
    appeals (an appeal body: the named customers of one case, read-only).
    """


@tokens.command("add")
@click.option("--user", required=True, metavar="u:USER", help="Whose token it is (recorded with every query).")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the token may do.")
@click.option("--org", metavar="ORG", default=None, help="The organisation (required for dpo and area-user).")
@click.option("--customer", "customers", metavar="c:CUSTOMER", multiple=True,
              help="appeals: a customer of the case (repeat for each); the token reads no one else.")
@click.option("--case", metavar="TEXT", default=None, help="appeals: the case the token is given for.")
@tokens_option
@keys_option
@format_option("table", "json")
def add(user: str, role: str, org: str | None, customers: tuple[str, ...], case: str | None, tokens: str | None,
        keys: str | None, fmt: str) -> None:
    """Make a token and print it once; the file keeps only its SHA-256 (mode 0600).

    An appeals token reads only the customers named with --customer, for the --case given:
    their dossiers, evidence bundles and access history, read-only, every read recorded.

    Example: lokikirja tokens add --user u:dpo-hki --role dpo --org area:helsinki

    Example: lokikirja tokens add --user u:appeals-3 --role appeals --case "2026/88" --customer c:7f3a
    """
    store = TokenFile(resolve_tokens_path(tokens, keys))
    entry, token = store.add(user, role, org, customers=customers, case=case)
    if fmt == "json":
        emit_json({**entry.public(), "token": token})
    else:
        click.echo(token)
    note(f"token {entry.id} for {user} ({role}) added to {store.path}; it is shown only now")


@tokens.command("list")
@tokens_option
@keys_option
@format_option()
def list_tokens(tokens: str | None, keys: str | None, fmt: str) -> None:
    """Every token made: id, user, role, organisation, created, revoked (never the token).

    Example: lokikirja tokens list --format json
    """
    store = TokenFile(resolve_tokens_path(tokens, keys))
    rows = [e.public() for e in store.entries()]
    emit_rows(rows, ["id", "user", "role", "org", "case", "customers", "created", "revoked"], fmt,
              title=f"Tokens in {store.path}")
    if fmt == "table" and not rows:
        stdout.print("No tokens yet: add one with `lokikirja tokens add`.")


@tokens.command("revoke")
@click.argument("token_id", metavar="TOKEN_ID")
@tokens_option
@keys_option
def revoke(token_id: str, tokens: str | None, keys: str | None) -> None:
    """Revoke a token by its id (see `tokens list`); a running server refuses it at once.

    Example: lokikirja tokens revoke 3f9a0c12
    """
    entry = TokenFile(resolve_tokens_path(tokens, keys)).revoke(token_id)
    note(f"token {entry.id} of {entry.user} ({entry.role}) revoked at {entry.revoked}")
