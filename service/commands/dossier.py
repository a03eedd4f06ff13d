"""``dossier``: the dispute replay of one customer, with proofs."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ledger.errors import UsageError
from ledger.identifiers import CUSTOMER_RE
from ledger.own_facts import record_query
from ledger.private_files import write_private
from ledger.store import Ledger
from ledger.validtime import parse_moment
from projections.schema import micros
from replay.bounded import Bounds, position_known_at
from replay.bundle import BundleReport, build_bundle, load_bundle, verify_bundle
from replay.dossier import build_dossier
from replay.person_report import completeness, load_report, verify_report
from replay.trust import TrustPolicy
from service.app import db_option, format_option, keys_option, main, note, trust_options, who_options
from service.i18n import DEFAULT
from service.output import emit_json, emit_rows, stdout
from service.pipeline import after_append
from service.reports import lang_option, render, write_html
from service.tables import Column
from service.timeargs import parse_instant

TIMELINE_COLUMNS = [Column("at"), Column("type"), Column("actor"), Column("summary", wrap=True),
                    Column("findings", wrap=True)]


def render_html(doc: dict, db: str, lang: str = DEFAULT, *, statuses: dict[str, str] | None = None) -> str:
    """The dossier as a self-contained html report; ``statuses``: each event's verification status
    (``replay.bundle.proof_statuses``), shown beside it with a summary over the checkpoint."""
    proven = bool(statuses) and all(s == "proven" for s in (statuses or {}).values())
    return render("dossier.html.j2", lang=lang, d=doc, db=db, generated=datetime.now(UTC), statuses=statuses or {},
                  all_proven=proven)


@main.command()
@click.argument("customer", metavar="c:CUSTOMER")
@click.option("--at", "at", help="As of this valid time (date in Helsinki = end of that day, or RFC 3339).")
@click.option("--known-at", "known_at", type=int, help="As known when the log held this many positions.")
@click.option("--known-at-time", "known_at_time", metavar="TIME",
              help="As known at this date and time: what the ledger had recorded by then (Helsinki time "
                   "unless an offset is given).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write html (or the bundle) here (mode 0600).")
@lang_option
@who_options
@db_option
@keys_option
@format_option("table", "json", "html", "bundle")
def dossier(customer: str, at: str | None, known_at: int | None, known_at_time: str | None, out: Path | None,
            lang: str, as_user: str, purpose: str, db: str | None, keys: str | None, fmt: str) -> None:
    """Replay one customer: who was responsible when, every event with its findings, each decision
    with the authority competent at its moment, and an inclusion proof for every event. A decision
    is lawful when a user with an access right in force made it for the competent organisation, in
    the customer's language where the Language Act requires it (fi, sv).

    --format bundle writes one portable evidence file (events as stored, the signed checkpoint, the
    public key, every inclusion proof) that `lokikirja verify-bundle` checks with no database.

    --lang chooses the language of --format html (Finnish by default).

    Example: lokikirja dossier c:7f3a --at 2022-06-30 --as u:appeals-3 --purpose "appeal 2026/88" --format json

    Example: lokikirja dossier c:7f3a --as u:appeals-3 --purpose "besvär 2026/88" --format html --lang sv
    """
    if CUSTOMER_RE.fullmatch(customer) is None:
        raise UsageError("the dossier is of a customer: give an id of the form c:<token>")
    if known_at is not None and known_at < 1:
        raise UsageError("--known-at must be a log position of 1 or more")
    if known_at is not None and known_at_time is not None:
        raise UsageError("give --known-at (a log position) or --known-at-time, not both")
    try:
        when = parse_moment(known_at_time) if known_at_time is not None else None
    except ValueError as e:
        raise UsageError(f"--known-at-time {e}") from None
    bounds = Bounds(at=micros(parse_instant(at, "--at", end_of_day=True)) if at else None, position=known_at)
    with Ledger.open(db, keys) as ledger:
        record_query(ledger, asker=as_user, purpose=purpose, command="dossier", subject=customer)
        if when is not None:
            bounds = Bounds(at=bounds.at, position=position_known_at(ledger, when))
        after_append(ledger, 1)  # the query record sealed and signed too: `verify` covers it
        if fmt == "bundle":
            completeness(ledger)  # the bundle proves completeness against the index in its (witnessed) checkpoint
        doc = build_dossier(ledger, customer, bounds)
        where = ledger.target.display
        if fmt == "bundle":
            target = out or Path(f"dossier-{customer.replace(':', '_')}.lokikirja-bundle.json")
            write_private(target, json.dumps(build_bundle(ledger, doc, bounds), ensure_ascii=False, indent=1))
            note(f"wrote the evidence bundle to {target}; check it with `lokikirja verify-bundle {target}`")
            return
    if fmt == "json":
        emit_json(doc)
    elif fmt == "html":
        write_html(render_html(doc, where, lang), out, "dossier")
    else:
        stdout.print(f"[bold]{customer}[/bold] as of {doc['at']}")
        emit_rows(doc["responsibility"], ["org", "from", "to"], "table", title="Responsibility")
        emit_rows(doc["timeline"], TIMELINE_COLUMNS, "table", title="Timeline")
        emit_rows(doc["decisions"], ["decision", "kind", "org", "competent", "lawful"], "table", title="Decisions")
        checkpoint = doc["checkpoint"]
        if checkpoint:
            stdout.print(f"Every event above is proven included in the signed checkpoint of {checkpoint['tree_size']}"
                         f" events (root {checkpoint['root_hash']}, key {checkpoint['key_id']}).")


@main.command("verify-bundle")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@trust_options()
@format_option("table", "json")
def verify_bundle_command(file: Path, fmt: str, policy: TrustPolicy) -> None:
    """Check an evidence bundle offline: the checkpoint's signature, every event's inclusion proof,
    that the bundle holds every event of the person (the subject index proofs, version 2), and
    that the dossier is what the rules conclude from the proven records, field by field. Exit 1
    when anything fails, naming the field or the event.

    With --log-key (the log's verifier key, obtained out of band) the bundle's own key is never
    trusted; with --witness-key and --witnesses K, K of those witnesses must have cosigned the
    bundle's checkpoint. The verdict names the keys it relied on.

    Example: lokikirja verify-bundle dossier-c_7f3a.lokikirja-bundle.json --log-key "$(cat log.vkey)"
    """
    _print_verdict(verify_bundle(load_bundle(file), policy), fmt, "bundle")


@main.command("verify-report")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@trust_options()
@format_option("table", "json")
def verify_report_command(file: Path, fmt: str, policy: TrustPolicy) -> None:
    """Check a person's report offline (written by `access-log` or `subject-report` with
    --evidence FILE): the checkpoint's signature, every event's inclusion proof, that the report
    holds every view and decision of the person up to the committed subject index, and every row
    recomputed from the proven records with the rules. Exit 1 when anything fails, naming the row
    or the event. Trust options as for `verify-bundle`.

    Example: lokikirja verify-report access-c_7f3a.json --log-key "$(cat log.vkey)"
    """
    _print_verdict(verify_report(load_report(file), policy), fmt, "report")


def _print_verdict(report: BundleReport, fmt: str, what: str) -> None:
    trust = report.trust
    relied = (", ".join(trust.get("relied_on", [])) + " (pinned)") if trust.get("policy") == "pinned" else \
        f"{', '.join(trust.get('log_keys', []))} — not pinned: give --log-key to check against the log's real key"
    if fmt == "json":
        emit_json(report.to_json())
        if report.ok and trust.get("policy") != "pinned":
            note(f"trust: {relied}")
    elif report.ok:
        stdout.print(f"OK: {report.events} events proven included in the signed checkpoint; signature valid.",
                     highlight=False)
        if report.complete:
            stdout.print(f"complete: the subject index committed in that checkpoint proves the {what} holds every "
                         f"event of {report.customer} and of the officials and registers it rests on; "
                         f"the {what} was recomputed from them and agrees.", highlight=False, soft_wrap=True)
            stdout.print(f"not recomputed: {report.attested}.", highlight=False, soft_wrap=True)
        stdout.print(f"trust: {relied}", highlight=False, soft_wrap=True)
    else:
        for problem in report.problems:
            click.echo(problem, err=True)
        click.echo(f"trust: {relied}", err=True)
    if not report.ok:
        sys.exit(1)
