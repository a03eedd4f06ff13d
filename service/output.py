"""Rendering command results: ``table`` (rich), ``json`` (one document on stdout), ``csv``."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from service.progress import ProgressLines
from service.tables import Column, render_table

FORMATS = ("table", "json", "csv")

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=None, default=str) + "\n")
    sys.stdout.flush()


def emit_csv(doc: Any) -> None:
    """A JSON document as CSV: a list of objects is one row each; one object is one row; nested
    values are compact JSON in their cell."""
    rows = doc if isinstance(doc, list) else [doc]
    rows = [r if isinstance(r, dict) else {"value": r} for r in rows]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_csv_cell(r.get(c)) for c in columns])
    sys.stdout.flush()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def emit_json_list(items: Iterable[Any]) -> None:
    """A JSON list written item by item, in bounded memory: the same text as ``emit_json(list(items))``."""
    write = sys.stdout.write
    write("[")
    for i, item in enumerate(items):
        write(", " if i else "")
        write(json.dumps(item, ensure_ascii=False, default=str))
    write("]\n")
    sys.stdout.flush()


def csv_lines(rows: Iterable[dict[str, Any]], columns: Sequence[str | Column], *,
              header: bool = True) -> Iterator[str]:
    """``rows`` as CSV text, a line at a time: the ``columns``' names (with ``header``), then one
    line per row — what ``--format csv`` prints, and what the web UI's CSV downloads send."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [c.name if isinstance(c, Column) else c for c in columns]
    if header:
        writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in names])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if header and out.tell():  # no rows: the header alone
        yield out.getvalue()


def emit_rows(rows: Iterable[dict[str, Any]], columns: Sequence[str | Column], fmt: str, *,
              title: str | None = None, doc: Any = None) -> None:
    """Print ``rows`` (any iterable: json and csv stream it): json prints ``doc`` (default: the
    rows), csv and table the ``columns`` — a table fitted to the terminal by the columns'
    declarations (``service/tables.py``)."""
    if fmt == "json":
        if doc is None:
            emit_json_list(rows)
        else:
            emit_json(doc)
    elif fmt == "csv":
        for line in csv_lines(rows, columns):
            sys.stdout.write(line)
    else:
        render_table(stdout, list(rows), columns, title=title, cell=_cell)


class RateColumn(ProgressColumn):
    """Items per second, e.g. ``12,345 events/s``."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} {self.unit}/s")


def interactive() -> bool:
    """Progress bars only on a terminal (stderr), never when piped."""
    return stderr.is_terminal


@contextmanager
def progress_bar(description: str, total: float | None, *, unit: str = "events", bytes_mode: bool = False,
                 remaining: Callable[[], float] | None = None) -> Iterator[Callable[[float], None]]:
    """A rich progress bar with rate and ETA on stderr; off a terminal, a line every few seconds
    instead (``service/progress.py``). ``remaining``: what is left to do, asked only when shown
    (when ``total`` is not known up front)."""
    if not interactive():
        lines = ProgressLines(description, total, unit=unit, bytes_mode=bytes_mode, remaining=remaining)
        yield lines.advance
        lines.finish()
        return
    if total is None and remaining is not None:
        total = remaining()
    columns: list[Any] = [TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn()]
    columns += [TransferSpeedColumn()] if bytes_mode else [MofNCompleteColumn(), RateColumn(unit)]
    columns.append(TimeRemainingColumn())
    with Progress(*columns, console=stderr, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)
