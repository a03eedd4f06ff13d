"""``cases list|show|open|note|close``: AVI's inspection cases from the command line, the same
facts and the same folded cases as the web pages and ``/v1/cases`` (``service/cases.py``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import click
from pydantic import BaseModel, ValidationError

from ledger.errors import UsageError
from ledger.events import Rule
from ledger.identifiers import USER_RE
from ledger.own_facts import append_own_fact
from ledger.store import Ledger
from projections import cases as case_reads
from projections import oversight
from service import cases
from service.app import db_option, format_option, keys_option, main, note
from service.output import emit_json, emit_rows, stdout
from service.pipeline import after_append, catch_up_projections
from service.tables import Column

M = TypeVar("M", bound=BaseModel)
CASE_COLUMNS = [Column("case"), Column("state"), Column("title", wrap=True), Column("org"), Column("period"),
                Column("findings"), Column("notes"), Column("opened_at", drop=1)]
NOTE_COLUMNS = [Column("at"), Column("by"), Column("note", wrap=True)]
FINDING_COLUMNS = [Column("finding"), Column("at"), Column("rule"), Column("user", drop=1), Column("review")]


def _valid(model: type[M], **fields: Any) -> M:
    """The model, or exit 2 with each problem as ``field: message``."""
    try:
        return model(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'input'}: "
                             f"{err['msg'].removeprefix('Value error, ')}" for err in e.errors())
        raise UsageError(problems) from None


def _case_id(value: str) -> str:
    if re.fullmatch(cases.CASE_PATTERN, value) is None:
        raise UsageError(f"{value!r} is not an inspection case id i:<32 hex digits>")
    return value


def _row(case: dict[str, Any]) -> dict[str, Any]:
    """One case as a line of the list's table."""
    return {"case": case["case"], "state": "closed" if case["closed"] else "open", "title": case["title"],
            "org": case["org"] or "all areas", "period": f"{case['since'] or '…'} – {case['until'] or '…'}",
            "findings": len(case["findings"]), "notes": len(case["notes"]), "opened_at": case["opened_at"]}


def _read(ledger: Ledger, read: Callable[[Any], Any]) -> Any:
    catch_up_projections(ledger)
    with ledger.db.read() as cur:
        return read(cur)


def _append(db: str | None, keys: str | None, as_user: str, type_name: str,
            data: Callable[[Ledger], dict[str, Any]]) -> dict[str, Any]:
    """Append one case fact (sealed and signed like every fact) and return the case as folded after it."""
    with Ledger.open(db, keys) as ledger:
        fact = data(ledger)
        append_own_fact(ledger, type_name, as_user, fact)
        after_append(ledger, 1)
        return _read(ledger, lambda cur: cases.found(case_reads.case(ledger.db, cur, fact["case"]), fact["case"]))


def _writable(ledger: Ledger, case_id: str) -> None:
    _read(ledger, lambda cur: cases.writable(case_reads.case(ledger.db, cur, case_id), case_id))


def _user(value: str) -> str:
    if USER_RE.fullmatch(value) is None:
        raise UsageError("--as must be a user id of the form u:<token>")
    return value


def as_option(f: Any) -> Any:
    return click.option("--as", "as_user", metavar="u:USER", required=True, callback=lambda _c, _p, v: _user(v),
                        help="The AVI inspector who writes (recorded as the fact's actor).")(f)


def _done(case: dict[str, Any], fmt: str, sentence: str) -> None:
    if fmt == "json":
        emit_json(case)
    else:
        click.echo(case["case"])
    note(sentence)


@main.group("cases")
def cases_group() -> None:
    """AVI's inspection cases: saved selections of findings with notes, kept in the ledger.

    Opening, noting and closing a case append the ledger's own facts (inspection.case_opened,
    inspection.case_noted, inspection.case_closed) with --as as their actor; a closed case takes
    no more notes. The web UI (/cases) and the API (/v1/cases) show the same cases.
    """


@cases_group.command("list")
@click.option("--org", metavar="area:AREA", default=None, help="Only the cases about this area.")
@db_option
@format_option()
def list_cases(org: str | None, db: str | None, fmt: str) -> None:
    """Every inspection case, newest first, open or closed.

    json: a list of cases as GET /v1/cases gives them.

    Example: lokikirja cases list --org area:helsinki
    """
    with Ledger.open(db, need_keys=False) as ledger:
        found = _read(ledger, lambda cur: case_reads.cases(ledger.db, cur, org=org))
    if fmt == "table":
        emit_rows([_row(c) for c in found], CASE_COLUMNS, fmt, title=f"{len(found)} case(s)")
    else:
        emit_rows(found, list(found[0]) if found else ["case"], fmt)


@cases_group.command("show")
@click.argument("case", callback=lambda _c, _p, v: _case_id(v))
@db_option
@format_option("table", "json")
def show(case: str, db: str | None, fmt: str) -> None:
    """One case: its selection, notes, closing and findings with their latest review.

    json: {"case", "findings", "reviews"} as GET /v1/cases/{case} gives it.

    Example: lokikirja cases show i:0f3c2a9b8d7e6f5a4b3c2d1e0f9a8b7c
    """
    def read(cur: Any) -> dict[str, Any]:
        found = cases.found(case_reads.case(ledger.db, cur, case), case)
        rows = sorted((f for f in (oversight.finding(ledger.db, cur, fid) for fid in found["findings"]) if f),
                      key=lambda f: (f["at"], f["event"], f["rule"]))
        return {"case": found, "findings": rows, "reviews": oversight.reviews(ledger.db, cur, found["findings"])}

    with Ledger.open(db, need_keys=False) as ledger:
        doc = _read(ledger, read)
    if fmt == "json":
        emit_json(doc)
        return
    c = doc["case"]
    stdout.print(f"{c['case']}  {c['title']}", highlight=False)
    stdout.print(f"opened by {c['opened_by']} at {c['opened_at']}; area {c['org'] or 'all areas'}; "
                 f"period {c['since'] or '…'} – {c['until'] or '…'}; rule {c['rule'] or 'any'}; "
                 f"user {c['user'] or 'any'}", highlight=False)
    if c["closed"]:
        stdout.print(f"closed by {c['closed']['by']} at {c['closed']['at']}: {c['closed']['reason']}",
                     highlight=False)
    emit_rows(c["notes"], NOTE_COLUMNS, fmt, title=f"{len(c['notes'])} note(s)")
    latest = {f: r[-1]["verdict"] for f, r in doc["reviews"].items() if r}
    emit_rows([{**f, "review": latest.get(f["finding"], "")} for f in doc["findings"]], FINDING_COLUMNS, fmt,
              title=f"{len(doc['findings'])} finding(s)")


@cases_group.command("open")
@click.option("--title", required=True, help="What the case is about (no personal identity codes).")
@click.option("--org", metavar="area:AREA", default=None, help="The area the case is about.")
@click.option("--since", metavar="YYYY-MM-DD", default=None, help="The period's first day.")
@click.option("--until", metavar="YYYY-MM-DD", default=None, help="The period's last day.")
@click.option("--rule", type=click.Choice([r.value for r in Rule]), default=None, help="The rule selected.")
@click.option("--user", metavar="u:USER", default=None, help="The official selected.")
@click.option("--finding", "findings", metavar="f:FINDING", multiple=True, help="A finding chosen (repeat).")
@click.option("--note", default=None, help="A first note.")
@as_option
@db_option
@keys_option
@format_option("table", "json")
def open_case(title: str, org: str | None, since: str | None, until: str | None, rule: str | None,
              user: str | None, findings: tuple[str, ...], note: str | None, as_user: str, db: str | None,
              keys: str | None, fmt: str) -> None:
    """Open an inspection case (inspection.case_opened); prints its id (json: the case).

    Example: lokikirja cases open --title "Own-record views" --org area:helsinki --finding f:3b9c… --as u:avi-1
    """
    case_in = _valid(cases.CaseIn, title=title, org=org, since=since, until=until, rule=rule, user=user,
                     findings=list(findings), note=note)
    case = _append(db, keys, as_user, "inspection.case_opened", lambda _ledger: cases.opened(case_in)[1])
    _done(case, fmt, f"inspection case {case['case']} opened by {as_user}")


@cases_group.command("note")
@click.argument("case", callback=lambda _c, _p, v: _case_id(v))
@click.option("--note", "text", required=True, help="The note (no personal identity codes).")
@click.option("--finding", "findings", metavar="f:FINDING", multiple=True, help="A finding to add (repeat).")
@as_option
@db_option
@keys_option
@format_option("table", "json")
def note_case(case: str, text: str, findings: tuple[str, ...], as_user: str, db: str | None, keys: str | None,
              fmt: str) -> None:
    """Add a note, and findings with it, to an open case (inspection.case_noted).

    Example: lokikirja cases note i:0f3c2a9b8d7e6f5a4b3c2d1e0f9a8b7c --note "asked the area" --as u:avi-1
    """
    note_in = _valid(cases.NoteIn, note=text, findings=list(findings))

    def data(ledger: Ledger) -> dict[str, Any]:
        _writable(ledger, case)
        return cases.noted(case, note_in)

    _done(_append(db, keys, as_user, "inspection.case_noted", data), fmt, f"note added to {case} by {as_user}")


@cases_group.command("close")
@click.argument("case", callback=lambda _c, _p, v: _case_id(v))
@click.option("--reason", required=True, help="Why the case is closed (no personal identity codes).")
@as_option
@db_option
@keys_option
@format_option("table", "json")
def close_case(case: str, reason: str, as_user: str, db: str | None, keys: str | None, fmt: str) -> None:
    """Close an open case with a reason (inspection.case_closed); it takes no more notes.

    Example: lokikirja cases close i:0f3c2a9b8d7e6f5a4b3c2d1e0f9a8b7c --reason "rights corrected" --as u:avi-1
    """
    close_in = _valid(cases.CloseIn, reason=reason)

    def data(ledger: Ledger) -> dict[str, Any]:
        _writable(ledger, case)
        return cases.closed(case, close_in)

    _done(_append(db, keys, as_user, "inspection.case_closed", data), fmt, f"{case} closed by {as_user}")
