"""``subject-report``: the data subject's own report (GDPR Art. 15 as read in C-579/21).

Every view of and decision on the person: when, by which organisation, for what purpose, which
data categories, and whether a finding was raised — never the identity of the official. json for
systems; ``--format html`` is a letter to the person in Finnish or Swedish (the customer's
language; Finnish otherwise) that also explains how to ask for more.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ledger.errors import UsageError
from ledger.identifiers import CUSTOMER_RE
from ledger.own_facts import record_query
from ledger.privacy import ERASED, blind_index, contract_json
from ledger.store import Ledger
from projections import subject as queries
from replay.person_report import complete_sentence, completeness, write_report
from service.app import db_option, format_option, keys_option, main, note, who_options
from service.i18n import when_text
from service.letters import Contacts, controller_option, load_contacts, reference_number
from service.output import emit_rows, stdout
from service.pipeline import after_append, catch_up_projections
from service.reports import checked_hetu, render, write_html
from service.tables import Column
from service.timeargs import window

COLUMNS = [Column("at"), Column("org"), Column("purpose"), Column("categories", wrap=True), Column("kind"),
           Column("finding")]


def _check(subject: str | None, hetu: str | None) -> None:
    if (subject is None) == (hetu is None):
        raise UsageError("give exactly one of --subject or --hetu")
    if subject is not None and CUSTOMER_RE.fullmatch(subject) is None:
        raise UsageError("the report is of a customer: give --subject c:<token> (or --hetu)")
    checked_hetu(hetu)  # --purpose is screened by who_options


def local_time(at: str, lang: str) -> str:
    """``14.3.2022 klo 9.12`` (fi) or ``14.3.2022 kl. 9.12`` (sv), Helsinki local time."""
    return when_text(at, lang)


def _identity(ledger: Ledger, facts_positions: list[int], erased: bool) -> dict[str, str] | None:
    """The name and HETU for the address block, or None once erased (or never readable)."""
    if erased or not facts_positions:
        return None
    found: dict[str, str] = {}
    for doc in contract_json(ledger, ledger.facts_at(facts_positions)):
        for name in ("hetu", "name"):
            value = doc["data"].get(name)
            if isinstance(value, str) and value != ERASED:
                found[name] = value
    return found or None


def letter_html(ledger: Ledger, cur: Any, customers: list[str], rows: list[dict[str, Any]], *, reference: str,
                done: dict[str, Any], contacts: Contacts | None = None) -> str:
    """The html letter (self-contained) in the customer's language, with the request's
    ``reference`` (:func:`~service.letters.reference_number`) and the sender's ``contacts``."""
    db = ledger.db
    lang = "sv" if queries.latest_language(db, cur, customers) == "sv" else "fi"
    gone = queries.erased(db, cur, customers)
    identity = None
    for customer in customers:
        identity = identity or _identity(ledger, queries.identity_positions(db, cur, [customer]), customer in gone)
    names = queries.org_names(db, cur, [r["org"] for r in rows])
    items = [{**r, "when": local_time(r["at"], lang), "org_name": names.get(r["org"] or "", r["org"])} for r in rows]
    return render("subject_report.html.j2",
        lang=lang, rows=items, identity=identity, erased=bool(gone), reference=reference, contacts=contacts,
        complete={"tree_size": done["tree_size"], "when": local_time(done["signed_at"], lang)},
        generated=local_time(datetime.now(UTC).isoformat(), lang).rsplit(" ", 2)[0])


@main.command("subject-report")
@click.option("--subject", help="The customer (c:…) the report is about.")
@click.option("--hetu", help="The person's identity code (found through the blind index, never stored).")
@click.option("--since", help="From this date (Helsinki) or RFC 3339 time, inclusive.")
@click.option("--until", help="Up to this date (Helsinki, the whole day) or RFC 3339 time, inclusive.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write html here (mode 0600).")
@click.option("--evidence", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the answer with its proofs here (mode 0600), for `lokikirja verify-report`.")
@controller_option
@who_options
@db_option
@keys_option
@format_option("table", "json", "csv", "html")
def subject_report(subject: str | None, hetu: str | None, since: str | None, until: str | None, out: Path | None,
                   evidence: Path | None, controller: Path | None, as_user: str, purpose: str, db: str | None,
                   keys: str | None, fmt: str) -> None:
    """The data subject's own report: dates, organisations, purposes and data categories of every
    view and decision, and whether a finding was raised — no official's identity. The request is
    recorded first (ledger.queried).

    json rows: {"at","org","purpose","categories","kind","finding"} sorted by at; a view has kind
    null, a decision has purpose and categories null. --format html: a letter in Finnish or Swedish,
    with a reference number (LKK-<year>-<log position of the recorded request>) and, with
    --controller FILE, the controller's and the DPO's contact details (docs/api.md, "Downloads").

    The answer is proven complete up to a signed checkpoint (the subject index committed in the
    log); --evidence FILE writes it with every proof, for `lokikirja verify-report FILE`.

    Example: lokikirja subject-report --subject c:7f3a --as u:dpo-1 --purpose "request 2026/14" --format html
    """
    _check(subject, hetu)
    span = window(since, until)
    with Ledger.open(db, keys) as ledger:
        index = blind_index(ledger.keys.index, hetu) if hetu is not None else None
        catch_up_projections(ledger)
        with ledger.db.read() as cur:
            customers = queries.customers_of(ledger.db, cur, subject=subject, hetu_index=index)
        # recorded before anything is answered; a HETU found as one customer is recorded as that
        # customer too, so that `access-log --subject` lists this request
        query = record_query(ledger, asker=as_user, purpose=purpose, command="subject-report",
                             subject=subject or (customers[0] if len(customers) == 1 else None), hetu_index=index)
        after_append(ledger, 1)  # the query record sealed and signed too: `verify` covers it
        done = completeness(ledger)  # proven complete against the committed subject index
        with ledger.db.read() as cur:
            rows = queries.report_rows(ledger.db, cur, customers, span)
            html = letter_html(ledger, cur, customers, rows, reference=reference_number(query), done=done,
                               contacts=load_contacts(controller)) if fmt == "html" else None
        if evidence is not None:
            write_report(ledger, evidence, kind="subject-report", customers=customers, window=span, rows=rows,
                         done=done)
    if html is None:
        emit_rows(rows, COLUMNS, fmt, title=f"{len(rows)} view(s) and decision(s)")
        if fmt == "table":
            stdout.print(complete_sentence(done, customers), highlight=False)
        else:
            note(complete_sentence(done, customers))
    else:
        write_html(html, out, "letter")
