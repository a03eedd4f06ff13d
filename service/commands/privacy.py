"""``erase``, ``retention`` and ``keys rotate``: crypto-shredding and key care (docs/privacy.md)."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import click

from ledger.erasure import ErasureRun, check_request, erase_customers
from ledger.errors import KeyMismatch, UsageError
from ledger.identifiers import USER_RE
from ledger.keys import resolve_keys_dir
from ledger.privacy import finish_rotation, rotate_master_key
from ledger.store import Ledger
from policies.localtime import HELSINKI, local_midnight
from projections import subject as subject_queries
from projections.schema import micros
from service.app import db_option, format_option, keys_option, main, note
from service.output import emit_json, emit_rows, stdout
from service.pipeline import after_append, catch_up_projections

RETENTION_YEARS = 5
RETENTION_ACTOR = "system:retention"


def _check_user(as_user: str) -> None:
    if USER_RE.fullmatch(as_user) is None:
        raise UsageError("--as must be a user id of the form u:<token>")


def _scrub_note(run: ErasureRun) -> None:
    if not run.scrubbed:
        note("the database could not yet drop every deleted byte (another reader holds the write-ahead log); "
             "it is cleaned at the next checkpoint — see docs/privacy.md")


@main.command()
@click.argument("customer", metavar="c:CUSTOMER")
@click.option("--reason", metavar="TEXT", help="Why (recorded in the ledger; no HETU or name). Required.")
@click.option("--as", "as_user", metavar="u:USER", help="Who erases (recorded in the ledger). Required.")
@db_option
@keys_option
@format_option("table", "json")
def erase(customer: str, reason: str | None, as_user: str | None, db: str | None, keys: str | None,
          fmt: str) -> None:
    """Crypto-shred a customer: append subject.erased and delete the customer's data key.

    The HETU and name become unreadable everywhere ([erased]); views, decisions and findings stay,
    pseudonymous; the log is untouched and still verifies. Erasing again changes nothing (exit 0).

    json: {"customer","status":"erased"|"already_erased","event","position"}.

    Example: lokikirja erase c:7f3a --reason "request 2026/31, Art. 17" --as u:dpo-1 --format json
    """
    if not as_user:
        raise UsageError("give --as u:USER: who erases the customer's personal data (it is recorded)")
    _check_user(as_user)
    check_request([customer], reason=reason or "", actor=as_user)
    with Ledger.open(db, keys) as ledger:
        run = erase_customers(ledger, [customer], reason=reason or "", actor=as_user)
        if run.erased:
            after_append(ledger, run.erased)
        result = run.erasures[0]
        if result.position is not None:  # one numbering in every output: the log position (leaf index)
            from dataclasses import replace

            from ledger.checkpoints import log_positions

            result = replace(result, position=log_positions(ledger, [result.position]).get(result.position))
    if fmt == "json":
        emit_json(result.to_json())
    elif result.status == "erased":
        stdout.print(f"Erased {customer}: its data key is destroyed (event {result.event}, position "
                     f"{result.position}).", highlight=False)
    else:
        stdout.print(f"{customer} was already erased; nothing changed.", highlight=False)
    _scrub_note(run)


def retention_cutoff(years: int, today: date) -> datetime:
    """The start (Helsinki local midnight) of the day ``years`` years before ``today``."""
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one
        day = today.replace(year=today.year - years, day=28)
    return local_midnight(day)


@main.command()
@click.option("--older-than", "years", type=click.IntRange(min=1), default=RETENTION_YEARS, show_default=True,
              metavar="YEARS", help="Erase customers whose latest event is older than this many years.")
@click.option("--dry-run", "mode", flag_value="dry-run", help="Only list the customers that would be erased.")
@click.option("--apply", "mode", flag_value="apply", help="Erase them (one subject.erased each).")
@click.option("--as", "as_user", metavar="u:USER", default=None,
              help=f"Who applies it (recorded; default {RETENTION_ACTOR}).")
@db_option
@keys_option
@format_option()
def retention(years: int, mode: str | None, as_user: str | None, db: str | None, keys: str | None,
              fmt: str) -> None:
    """Storage limitation: erase customers with no event for more than YEARS years, counted back
    from today (Helsinki). docs/privacy.md says why 5 years.

    json: {"mode","older_than_years","cutoff","customers":[{"customer","last_event"}],"erased"}.

    Example: lokikirja retention --older-than 5 --dry-run --format json
    """
    if mode is None:
        raise UsageError("give --dry-run to list the customers, or --apply to erase them")
    if as_user is not None:
        _check_user(as_user)
    actor = as_user or RETENTION_ACTOR
    reason = f"retention: no event for more than {years} years (docs/privacy.md)"
    check_request([], reason=reason, actor=actor)
    cutoff = retention_cutoff(years, datetime.now(HELSINKI).date())
    with Ledger.open(db, keys, need_keys=mode == "apply") as ledger:
        catch_up_projections(ledger)
        with ledger.db.read() as cur:
            rows = subject_queries.last_seen_before(ledger.db, cur, micros(cutoff))
        erased = 0
        if mode == "apply" and rows:
            run = erase_customers(ledger, [r["customer"] for r in rows], reason=reason, actor=actor)
            erased = run.erased
            after_append(ledger, erased)
            _scrub_note(run)
    doc = {"mode": mode, "older_than_years": years, "cutoff": cutoff.isoformat(), "customers": rows,
           "erased": erased}
    title = f"{len(rows)} customer(s) with no event since {cutoff.date().isoformat()}"
    emit_rows(rows, ["customer", "last_event"], fmt, title=title, doc=doc)
    if fmt == "table" and mode == "apply":
        note(f"erased {erased} customer(s)")


@main.group()
def keys() -> None:
    """The ledger's keys (docs/privacy.md)."""


def _folder(keys_dir: str | None, meta: dict[str, str]) -> Path:
    """The key folder as ``Ledger.open`` finds it."""
    folder = resolve_keys_dir(keys_dir)
    if not (keys_dir or os.environ.get("LOKIKIRJA_KEYS")) and not folder.exists() and meta.get("keys_dir"):
        return Path(meta["keys_dir"])
    return folder


@keys.command("rotate")
@db_option
@keys_option
@format_option("table", "json")
def rotate(db: str | None, keys: str | None, fmt: str) -> None:
    """Generate a new master key, re-wrap every data key under it in one transaction, record its id
    and replace master.key (the old key is removed). The log is not touched. Processes that keep
    the ledger open (serve, project --follow) must be restarted afterwards.

    json: {"master_key_id","previous_master_key_id","rewrapped"}.

    Example: lokikirja keys rotate --keys ./ledger-keys --format json
    """
    with Ledger.open(db, need_keys=False) as ledger:
        meta = ledger.meta()
    finished = finish_rotation(_folder(keys, meta), meta["master_key_id"])
    if finished == "completed":
        note("completed a rotation that had stopped after its commit; rotating once more")
    try:
        with Ledger.open(db, keys) as ledger:
            doc = rotate_master_key(ledger)
    except KeyMismatch as e:
        raise KeyMismatch(f"{e}; nothing was rotated") from None
    if fmt == "json":
        emit_json(doc)
    else:
        stdout.print(f"Re-wrapped {doc['rewrapped']} data key(s) under master key {doc['master_key_id']}; "
                     f"the old master key {doc['previous_master_key_id']} is removed.", highlight=False)


@keys.command("verifier")
@db_option
@format_option("table", "json")
def verifier(db: str | None, fmt: str) -> None:
    """Print the log's verifier key: name+hexid+base64(0x01 ‖ public key), the name being the
    log's origin (c2sp.org/signed-note). Hand it to verifiers and witnesses out of band; they pin
    it (--log-key, `lokikirja witness add-log`). No private key needed.

    json: {"origin","vkey","key_id","public_key"}.

    Example: lokikirja keys verifier > log.vkey
    """
    import base64

    from ledger.checkpoints import log_verifier

    with Ledger.open(db, need_keys=False) as ledger:
        vkey = log_verifier(ledger)
    if fmt == "json":
        emit_json({"origin": vkey.name, "vkey": str(vkey), "key_id": vkey.key_id,
                   "public_key": base64.b64encode(vkey.public_key).decode()})
    else:
        stdout.print(str(vkey), highlight=False, soft_wrap=True)


@keys.command("rotate-signing")
@click.option("--prepare", is_flag=True, help="Only make the next key (signing.key.next) and print its verifier key.")
@db_option
@keys_option
@format_option("table", "json")
def rotate_signing(prepare: bool, db: str | None, keys: str | None, fmt: str) -> None:
    """Replace the log's signing key, in two steps. --prepare makes the next key and prints its
    verifier key: hand it to the witnesses (`lokikirja witness add-log NEW_VKEY`) and verifiers
    (who pin both keys) first, or the witnesses refuse (403) what it signs. Then without
    --prepare: the current tree is signed with the old key, and the prepared key takes over. Old
    checkpoints keep their old signatures (the meta table keeps the old public key, so the
    unpinned `verify` and bundles still check them). docs/integrity.md §8.

    json: {"origin","signing_key_id","previous_signing_key_id","vkey"} (--prepare: {"vkey"}).

    Example: lokikirja keys rotate-signing --prepare > next.vkey; lokikirja keys rotate-signing
    """
    from ledger.checkpoints import prepare_signing_key, rotate_signing_key

    if prepare:
        with Ledger.open(db, keys) as ledger:
            vkey = prepare_signing_key(ledger)
        if fmt == "json":
            emit_json({"vkey": vkey})
        else:
            stdout.print(vkey, highlight=False, soft_wrap=True)
        return
    with Ledger.open(db, keys) as ledger:
        doc = rotate_signing_key(ledger)
    if fmt == "json":
        emit_json(doc)
    else:
        stdout.print(f"The log now signs with key {doc['signing_key_id']} (was {doc['previous_signing_key_id']}); "
                     f"its verifier key:\n{doc['vkey']}", highlight=False, soft_wrap=True)
