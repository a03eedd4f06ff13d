"""``simulate``: write a realistic synthetic experiment as contract events, with its truth file."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import IO

import click

from ledger.errors import UsageError
from service.app import format_option, main
from service.output import emit_json, progress_bar


def _start(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError("--start must be a date YYYY-MM-DD") from None


def _replace_atomically(stack: ExitStack, target: str) -> IO[bytes]:
    """A temporary file beside ``target`` that becomes ``target`` only if the run succeeds."""
    folder = Path(target).resolve().parent
    if not folder.is_dir():
        raise UsageError(f"{target}: the folder does not exist")
    fd, name = tempfile.mkstemp(prefix=".simulate-", dir=folder)
    stream = os.fdopen(fd, "wb", buffering=1 << 20)

    def finish(exc_type: object, *_: object) -> None:
        stream.close()
        if exc_type is None:
            os.replace(name, target)
        else:
            Path(name).unlink(missing_ok=True)

    stack.push(lambda exc_type, exc, tb: finish(exc_type))
    return stream


@main.command()
@click.option("--customers", type=click.IntRange(min=1), default=1500, show_default=True,
              help="Customers over the run (80 % registered at the start, the rest during it).")
@click.option("--days", type=click.IntRange(min=1), default=60, show_default=True, help="Days to simulate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: same seed, same bytes.")
@click.option("--out", "out", metavar="FILE", required=True, help="Where to write the events (JSON Lines; - = stdout).")
@click.option("--truth", "truth", metavar="FILE", default=None,
              help='Where to write the injected violations, one {"event", "rule"} per line.')
@click.option("--start", "start", metavar="DATE", default="2021-03-01", show_default=True,
              help="First day (the experiment started on 1.3.2021).")
@click.option("--violation-rate", "rate", type=click.FloatRange(0.0, 0.5), default=0.01, show_default=True,
              help="About this share of events are injected violations, spread over every rule.")
@click.option("--db", "db", default=None, hidden=True, help="Accepted for uniformity; simulate uses no store.")
@format_option("table", "json")
def simulate(customers: int, days: int, seed: int, out: str, truth: str | None, start: str, rate: float,
             db: str | None, fmt: str) -> None:
    """Write a realistic synthetic experiment as contract events, sorted by time.

    The real experiment areas and municipality codes, KEHA granting rights, officials at work in
    office hours, customers registered, transferred and served, decisions by the competent
    authority — and injected violations of every rule, each listed in the truth file. The same
    seed always gives byte-identical files. Nothing is held in memory per event: 10 million
    events stream to disk.

    Example: lokikirja simulate --customers 1500 --days 60 --seed 7 --out events.jsonl --truth truth.jsonl
    """
    from simulation.config import Settings
    from simulation.run import simulate as run

    try:
        settings = Settings(customers=customers, days=days, seed=seed, start=_start(start), violation_rate=rate)
    except ValueError as e:
        raise UsageError(str(e)) from None
    began = time.perf_counter()
    with ExitStack() as stack:
        events = sys.stdout.buffer if out == "-" else _replace_atomically(stack, out)
        truths = _replace_atomically(stack, truth) if truth else None
        advance = stack.enter_context(progress_bar("simulate", days, unit="days"))
        summary = run(settings, events, truths, on_day=advance)
    seconds = round(time.perf_counter() - began, 2)
    doc = {"events": summary.events, "violations": summary.violations, "by_type": summary.by_type,
           "by_rule": summary.by_rule, "first": summary.first, "horizon": summary.horizon, "out": out,
           "truth": truth, "seconds": seconds}
    if fmt == "json" and out != "-":
        emit_json(doc)
        return
    message = (f"wrote {summary.events} events ({summary.first[:10]} – {summary.horizon[:10]}) to {out}"
               f" in {seconds} s; {summary.violations} injected violations"
               + (f" listed in {truth}" if truth else ""))
    click.echo(message, err=out == "-")
