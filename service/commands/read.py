"""``findings`` and ``access-log``: what the rules found, and who viewed what."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from ledger.db import Cursor
from ledger.errors import UsageError
from ledger.events import Rule, Severity
from ledger.identifiers import CUSTOMER_RE, EMPLOYER_RE, USER_RE
from ledger.own_facts import record_query
from ledger.privacy import blind_index
from ledger.store import Ledger
from projections import queries
from replay.person_report import complete_sentence, completeness, write_report
from service.app import db_option, format_option, keys_option, main, note, who_options
from service.output import emit_rows, stdout
from service.pipeline import after_append, catch_up_projections
from service.reports import checked_hetu
from service.tables import Column
from service.timeargs import window

# the terminal's table: the finding id first (`review` takes it); explanations wrap; the event id
# may be left out of a table that does not fit (the finding id leads to it); else one block a finding
FINDING_COLUMNS = [Column("finding"), Column("at"), Column("rule"), Column("severity"), Column("org"),
                   Column("user"), Column("subject"), Column("event", drop=1), Column("explanation", wrap=True)]
ACCESS_COLUMNS = [Column("at"), Column("user"), Column("org"), Column("subject"), Column("purpose"),
                  Column("categories", wrap=True), Column("findings", wrap=True), Column("event")]
QUERY_COLUMNS = [Column("at"), Column("asker"), Column("purpose", wrap=True), Column("command"), Column("refused")]
ACCESS_FIELDS = ["event", "at", "user", "org", "subject", "purpose", "categories", "findings"]  # CONTRACT §6


@main.command()
@click.option("--rule", type=click.Choice([r.value for r in Rule]), help="Only this rule.")
@click.option("--org", help="Only findings about this organisation (area:…, te:…).")
@click.option("--user", help="Only findings about this user (u:…).")
@click.option("--subject", help="Only findings about this customer or employer (c:…, e:…).")
@click.option("--since", help="From this date (Helsinki) or RFC 3339 time, inclusive.")
@click.option("--until", help="Up to this date (Helsinki, the whole day) or RFC 3339 time, inclusive.")
@click.option("--severity", type=click.Choice([s.value for s in Severity]), help="Only this severity.")
@click.option("--review", type=click.Choice(queries.REVIEW_STATES),
              help="Only findings not reviewed yet, or whose latest review found them justified or a violation.")
@db_option
@format_option()
def findings(rule: str | None, org: str | None, user: str | None, subject: str | None, since: str | None,
             until: str | None, severity: str | None, review: str | None, db: str | None, fmt: str) -> None:
    """Findings of every rule of the Act, judged as of each event's moment.

    json: a list sorted by (at, event, rule). The table leads with the finding id; on a narrow
    terminal each finding is a block of its own, every id whole. --review narrows by the latest
    review (finding.reviewed, recorded from the web UI or the API); the rows stay the same.

    Example: lokikirja findings --rule ACCESS_OUTSIDE_OWN_CUSTOMERS --since 2022-01-01 --format json

    Example: lokikirja findings --org area:helsinki --review unreviewed
    """
    with Ledger.open(db, need_keys=False) as ledger:
        catch_up_projections(ledger)
        with ledger.db.read() as cur, contextlib.closing(queries.iter_findings(
                ledger.db, cur, rule=rule, org=org, user=user, subject=subject, severity=severity,
                window=window(since, until), review=review)) as rows:  # closed here even when the reader stops early
            if fmt == "table":
                listed = list(rows)
                emit_rows(listed, FINDING_COLUMNS, fmt, title=f"{len(listed)} finding(s)")
            else:  # streamed: a ledger may hold millions of findings
                emit_rows(rows, list(queries.FINDING_FIELDS), fmt)


@main.command("access-log")
@click.option("--subject", help="The customer (c:…) or employer (e:…) whose record was viewed.")
@click.option("--hetu", help="The customer's personal identity code (found through the blind index).")
@click.option("--user", help="The user (u:…) who viewed.")
@click.option("--since", help="From this date (Helsinki) or RFC 3339 time, inclusive.")
@click.option("--until", help="Up to this date (Helsinki, the whole day) or RFC 3339 time, inclusive.")
@click.option("--evidence", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the answer with its proofs here, for `lokikirja verify-report`.")
@who_options
@db_option
@keys_option
@format_option()
def access_log(subject: str | None, hetu: str | None, user: str | None, since: str | None, until: str | None,
               evidence: Path | None, as_user: str, purpose: str, db: str | None, keys: str | None,
               fmt: str) -> None:
    """Who viewed what, when and why — the query itself is recorded first (ledger.queried).

    json rows: {"event","at","user","org","subject","purpose","categories","findings":[rule…]} sorted by at.
    Someone no fact names (a mistyped id, a HETU of no customer) is said to be unknown to the
    ledger instead of shown an empty log; json stays [] (exit 0), the sentence on stderr.

    A person's views (--subject, --hetu) are proven complete: the answer says up to which signed
    checkpoint no view is left out, and --evidence FILE writes it with every proof, which
    `lokikirja verify-report FILE` checks with no database.

    Example: lokikirja access-log --subject c:7f3a --as u:dpo-1 --purpose "request 2026/14" --format json
    """
    if sum(x is not None for x in (subject, hetu, user)) != 1:
        raise UsageError("give exactly one of --subject, --hetu or --user")
    if subject is not None and not (CUSTOMER_RE.fullmatch(subject) or EMPLOYER_RE.fullmatch(subject)):
        raise UsageError("--subject is not a customer id c:<token> or an employer id e:NNNNNNN-C")
    if user is not None and not USER_RE.fullmatch(user):
        raise UsageError("--user is not a user id of the form u:<token>")
    if evidence is not None and user is not None:
        raise UsageError("--evidence proves one person's report: give --subject or --hetu")
    checked_hetu(hetu)
    span = window(since, until)
    done = None
    with Ledger.open(db, keys) as ledger:
        index = blind_index(ledger.keys.index, hetu) if hetu is not None else None
        record_query(ledger, asker=as_user, purpose=purpose, command="access-log", subject=subject,
                     user=user, hetu_index=index)
        after_append(ledger, 1)  # the query record sealed and signed too: `verify` covers it
        if user is None:  # a person's views: proven complete against the committed subject index
            done = completeness(ledger)
        with ledger.db.read() as cur:
            subjects = [subject] if subject else (
                queries.customers_with_hetu_index(ledger.db, cur, index) if index else None)
            unknown = _unknown(ledger, cur, subject=subject, user=user, found=subjects)
            # an official may have viewed millions of records: their log is streamed; one person's is short
            with contextlib.closing(queries.iter_access_log(ledger.db, cur, subjects=subjects, user=user,
                                                            window=span, streamed=user is not None)) as rows:
                if fmt != "table" and user is not None:
                    emit_rows(rows, ACCESS_FIELDS, fmt)  # [] when unknown: the contract's shape
                    if unknown:
                        note(unknown)
                    return
                listed = list(rows)
            asked = queries.ledger_queries_about(ledger.db, cur, subjects=subjects or [], hetu_index=index) \
                if user is None else []
        if evidence is not None and done is not None:  # an unknown id: proven to have no events
            write_report(ledger, evidence, kind="access-log", customers=subjects or [], window=span,
                         rows=listed, done=done)
    if fmt != "table":
        emit_rows(listed, ACCESS_FIELDS, fmt)  # [] when unknown: the contract's shape
        sentence = unknown or (complete_sentence(done, subjects or []) if done is not None else None)
        if sentence:
            note(sentence)
        return
    if unknown:  # not "0 views": a mistyped id must not read as a person nobody looked at
        stdout.print(unknown, highlight=False)
    else:
        emit_rows(listed, ACCESS_COLUMNS, fmt, title=f"{len(listed)} view(s)")
        if done is not None:
            stdout.print(complete_sentence(done, subjects or []), highlight=False)
    if asked:
        emit_rows(asked, QUERY_COLUMNS, fmt,
                  title="Queries of the ledger about this person (logging the loggers)")
    else:
        stdout.print("No one else has queried the ledger about this person.")


def _unknown(ledger: Ledger, cur: Cursor, *, subject: str | None, user: str | None,
             found: list[str] | None) -> str | None:
    """The sentence for a person no fact names (an unknown customer, employer or user, a HETU of
    no customer), or None when the ledger knows them."""
    if subject is not None and not queries.is_known(ledger.db, cur, subject):
        kind = "customer" if subject.startswith("c:") else "employer"
        return f"{subject} is unknown to the ledger: no event names this {kind}, so there are no views to list."
    if user is not None and not queries.is_known(ledger.db, cur, user):
        return f"{user} is unknown to the ledger: no event names this user, so there are no views to list."
    if subject is None and user is None and not found:
        return ("No customer with this personal identity code is known to the ledger (none was registered "
                "with it, or the customer's data was erased), so there are no views to list.")
    return None
