"""``supervision`` (AVI's risk report) and ``monitoring`` (cooperation bodies and the ministry)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import click

from ledger.errors import UsageError
from ledger.events import Rule, Severity
from ledger.store import Ledger
from policies.verdicts import RULES
from projections import oversight
from projections import supervision as sv
from service.app import db_option, format_option, main
from service.i18n import DEFAULT
from service.labels import SEVERITY_COLOURS
from service.output import emit_json, emit_rows, stdout
from service.pipeline import catch_up_projections
from service.reports import lang_option, render, write_html
from service.tables import Column
from service.timeargs import window

# the terminal's tables: the scores and ids always; volumes are left out first when it is narrow
RANKING_COLUMNS = [Column("rank"), Column("org"), Column("customers", drop=2), Column("views", drop=3),
                   Column("decisions", drop=3), Column("findings", drop=1), Column("data_protection"),
                   Column("equal_treatment"), Column("language"), Column("overall")]
MONITORING_COLUMNS = [Column("month"), Column("te_office"), Column("org"), Column("customers"), Column("share"),
                      Column("transfers_in", drop=2), Column("transfers_out", drop=2), Column("decisions", drop=1),
                      Column("findings", drop=1)]
COLOURS = {Severity(s): colour for s, colour in SEVERITY_COLOURS.items()}


def render_html(report: dict, db: str, lang: str = DEFAULT) -> str:
    return render("supervision.html.j2", lang=lang,
        report=report, db=db, generated=datetime.now(UTC),
        severity_colour={r.value: COLOURS[RULES[r].severity] for r in Rule})


@main.command()
@click.option("--since", help="From this date (Helsinki) or RFC 3339 time (default: the first fact).")
@click.option("--until", help="Up to this date or time (default: the horizon, the latest fact).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the html report here (mode 0600).")
@lang_option
@db_option
@format_option("table", "json", "csv", "html")
def supervision(since: str | None, until: str | None, out: Path | None, lang: str, db: str | None,
                fmt: str) -> None:
    """AVI's per-area risk report: data protection, equal treatment, language, overall (0–100), ranked.

    --lang chooses the language of the html report (Finnish by default; JSON and CSV never change).

    Example: lokikirja supervision --format html --out report.html

    Example: lokikirja supervision --format html --lang sv --out rapport.html
    """
    with Ledger.open(db, need_keys=False) as ledger:
        catch_up_projections(ledger)
        with ledger.db.read() as cur:
            report = sv.area_report(ledger.db, cur, window(since, until))
        where = ledger.target.display
    if fmt == "html":
        write_html(render_html(report, where, lang), out, "supervision report")
        return
    if fmt == "json":
        emit_json(oversight.contract_area_report(report))
        return
    rows = [{"rank": a["rank"], "org": a["org"], "name": a["name"], "customers": a["customers"],
             "views": a["views"], "decisions": a["decisions"], "transfers_in": a["transfers_in"],
             "transfers_out": a["transfers_out"], "findings": sum(a["findings"].values()), **a["risk"]}
            for a in report["areas"]]
    emit_rows(rows, RANKING_COLUMNS if fmt == "table" else list(rows[0]) if rows else [],
              fmt, title=f"Risk ranking {report['from'][:10]} – {report['to'][:10]}")


@main.command()
@click.option("--month", help="Only this month, YYYY-MM (default: every month with facts).")
@db_option
@format_option()
def monitoring(month: str | None, db: str | None, fmt: str) -> None:
    """Per TE office and month: each area's customers at month end and share of the region's
    experiment customers (the basis of its budget authority), transfers, decisions, findings.

    Example: lokikirja monitoring --month 2022-03 --format json
    """
    if month is not None and not re.fullmatch(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])", month):
        raise UsageError("--month must be a month of the form YYYY-MM, from 1900-01 to 2099-12")
    with Ledger.open(db, need_keys=False) as ledger:
        catch_up_projections(ledger)
        with ledger.db.read() as cur:
            doc = sv.monitoring(ledger.db, cur, oversight.report_months(ledger.db, cur, month))
    if fmt == "json":
        emit_json(doc)
        return
    rows = [{"month": m["month"], "te_office": m["te_office"], "org": a["org"], "customers": a["customers"],
             "share": a["share"], "transfers_in": a["transfers_in"], "transfers_out": a["transfers_out"],
             "decisions": sum(sum(o.values()) for o in a["decisions"].values()),
             "findings": sum(a["findings"].values())} for m in doc["months"] for a in m["areas"]]
    emit_rows(rows, MONITORING_COLUMNS, fmt, title="Monitoring per TE office and month")
    if fmt == "table" and not rows:
        stdout.print("No experiment areas registered yet.")
