"""``checkpoint``, ``proof inclusion`` / ``proof consistency`` and ``verify`` (CONTRACT §6–7)."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import click

from ledger.checkpoints import consistency_proof, inclusion_proof, public_key, sign_checkpoint
from ledger.errors import IntegrityFailure, UsageError
from ledger.store import Ledger
from replay.verify import verify as verify_log
from service.app import db_option, format_option, keys_option, main, note
from service.output import emit_json, progress_bar, stdout


def _fields(doc: dict[str, Any], fmt: str) -> None:
    """One document: JSON as it is, or ``field  value`` lines (hashes never cut; lists one item a line)."""
    if fmt == "json":
        emit_json(doc)
        return
    width = max(len(k) for k in doc)
    for name, value in doc.items():
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items or ["(none)"]):
            stdout.print(f"{name if i == 0 else '':<{width}}  {item}", highlight=False, soft_wrap=True)


@main.command()
@click.option("--public-key", "show_key", is_flag=True,
              help="Print the base64 Ed25519 key that verifies checkpoints instead (no private key needed).")
@db_option
@keys_option
@format_option("table", "json")
def checkpoint(show_key: bool, db: str | None, keys: str | None, fmt: str) -> None:
    """Seal everything appended so far and print the signed checkpoint of the Merkle tree.

    A new checkpoint is signed only when the log has grown since the latest one; otherwise the
    latest, which is still the checkpoint of the current tree, is printed. The signature is
    Ed25519 over the canonical bytes in docs/integrity.md.

    Example: lokikirja checkpoint --format json; lokikirja checkpoint --public-key
    """
    if show_key:
        with Ledger.open(db, keys, need_keys=False) as ledger:
            key_id, key = public_key(ledger)
        encoded = base64.b64encode(key).decode()
        if fmt == "json":
            emit_json({"key_id": key_id, "public_key": encoded})
        else:
            stdout.print(encoded, highlight=False)
        return
    from service.pipeline import seal_new_facts

    with Ledger.open(db, keys) as ledger:
        seal_new_facts(ledger)
        doc = sign_checkpoint(ledger)
    _fields(doc, fmt)


@main.group()
def proof() -> None:
    """RFC 6962 proofs that any independent verifier can check (docs/integrity.md)."""


def _event_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise UsageError(f"{text!r} is not an event id (a UUID)") from None


@proof.command("inclusion")
@click.argument("event_id", metavar="EVENT_ID")
@click.option("--tree-size", type=click.IntRange(min=1), default=None,
              help="Prove against this tree size (default: the latest checkpoint's).")
@db_option
@format_option("table", "json")
def inclusion(event_id: str, tree_size: int | None, db: str | None, fmt: str) -> None:
    """Prove that an event is in the log: its leaf, the audit path and the root it leads to.

    Without --tree-size the proof is made against the latest checkpoint, so its root_hash is the
    signed one (`lokikirja checkpoint`).

    Example: lokikirja proof inclusion 9d2c0b8e-4f0c-4c52-a3f4-0f6b1e7d9a10 --format json
    """
    with Ledger.open(db, need_keys=False) as ledger:
        doc = inclusion_proof(ledger, _event_id(event_id), tree_size)
    _fields(doc, fmt)


@proof.command("consistency")
@click.argument("old_size", type=click.IntRange(min=1), metavar="OLD_SIZE")
@click.argument("new_size", type=click.IntRange(min=1), metavar="NEW_SIZE")
@db_option
@format_option("table", "json")
def consistency(old_size: int, new_size: int, db: str | None, fmt: str) -> None:
    """Prove that the log of OLD_SIZE events is a prefix of the log of NEW_SIZE events.

    Example: lokikirja proof consistency 1000 2500 --format json
    """
    with Ledger.open(db, need_keys=False) as ledger:
        doc = consistency_proof(ledger, old_size, new_size)
    _fields(doc, fmt)


@main.command()
@db_option
@format_option("table", "json")
def verify(db: str | None, fmt: str) -> None:
    """Recompute every event's leaf and the root of every signed checkpoint; exit 1 on tampering.

    Names the first bad position, its event and what happened (altered, deleted, moved,
    reordered, inserted, replaced, truncated, forged checkpoint). Needs no private key: the
    public key comes from the store. Events appended after the latest checkpoint are reported
    as not yet covered and do not fail the check.

    Example: lokikirja verify --format json
    """
    with Ledger.open(db, need_keys=False) as ledger, progress_bar("verify", ledger.max_position()) as advance:
        report = verify_log(ledger, advance)
    if fmt == "json":
        emit_json(report.to_json())
    else:
        verdict = "OK" if report.ok else "TAMPERING FOUND"
        stdout.print(f"{verdict}: {report.events} events, {report.checkpoints} checkpoint(s) verified", highlight=False)
        if report.first_bad is not None:
            bad = report.first_bad
            stdout.print(f"first bad position: {bad.position}  event: {bad.event or '-'}", highlight=False)
            stdout.print(bad.reason, highlight=False)
    if report.ok and report.uncovered:
        note(f"{report.uncovered} event(s) appended after the latest checkpoint are not yet covered by a signature; "
             "run `lokikirja checkpoint`")
    if not report.ok and report.first_bad is not None:
        bad = report.first_bad
        where = f"position {bad.position}" if bad.position is not None else "the end of the log"
        raise IntegrityFailure(f"the log was tampered with at {where}: {bad.reason}")
