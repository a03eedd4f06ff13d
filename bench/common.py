"""What every benchmark shares: a fresh store to measure in, the JSON it prints, its peak memory.

A store is a SQLite file in the run's temporary folder, or a fresh PostgreSQL database created
through the maintenance connection ``LOKIKIRJA_BENCH_DSN`` (default: the local ``postgres``
database) and dropped afterwards, whatever happened.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

MAINTENANCE = os.environ.get("LOKIKIRJA_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgres")


def backends(choice: str) -> list[str]:
    """The backends a ``--backend`` choice names (``both``: SQLite, then PostgreSQL)."""
    return list(BACKENDS) if choice == "both" else [choice]


SYNTHETIC_VALID_TIME = {"LOKIKIRJA_VALID_UNTIL": "2199-12-31", "LOKIKIRJA_MAX_DAYS_AHEAD": "36500"}
"""The synthetic log (bench/synthetic) runs on from 2021 at office pace, past today and past 2039
for a few million events (10 M: about 2065); the benchmarks let the ledger take those times
(docs/input.md), in their own process and the servers it starts, unless set otherwise."""


def allow_synthetic_times() -> None:
    """Set :data:`SYNTHETIC_VALID_TIME` in this process's environment where it is not set."""
    for name, value in SYNTHETIC_VALID_TIME.items():
        os.environ.setdefault(name, value)


def argument_parser(doc: str | None, *, events: int | None = None, both: bool = True) -> argparse.ArgumentParser:
    """A parser with the options every benchmark takes: ``--backend`` (``sqlite``, ``postgres`` and,
    if ``both``, ``both``: the default), ``--out`` and, given its default, ``--events``. Every
    benchmark starts here, so the synthetic times are allowed here (:func:`allow_synthetic_times`)."""
    allow_synthetic_times()
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    if events is not None:
        parser.add_argument("--events", type=int, default=events)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"] if both else list(BACKENDS),
                        default="both" if both else BACKENDS[0])
    parser.add_argument("--out", type=Path, help="also write the JSON document here")
    return parser


def create_store(backend: str, folder: Path, name: str) -> tuple[str, str | None]:
    """A store to open: ``folder/name.db``, or the URL of a new PostgreSQL database and its name
    (to pass to :func:`drop_store`)."""
    if backend == "sqlite":
        return str(folder / f"{name}.db"), None
    database = f"lokikirja_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(MAINTENANCE, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    return MAINTENANCE.rsplit("/", 1)[0] + "/" + database, database


def drop_store(database: str | None) -> None:
    """Drop a database made by :func:`create_store` (``None``, a SQLite file: nothing to do)."""
    if database:
        with psycopg.connect(MAINTENANCE, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def fresh_store(backend: str, folder: Path, name: str) -> Iterator[str]:
    """:func:`create_store` as a context: the PostgreSQL database is dropped on leaving."""
    url, database = create_store(backend, folder, name)
    try:
        yield url
    finally:
        drop_store(database)


def emit(doc: dict[str, Any], out: Path | None) -> None:
    """Print ``doc`` as indented JSON, and write it to ``out`` when given."""
    text = json.dumps(doc, indent=2)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
    sys.stdout.write(text + "\n")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MB, of this process or (``RUSAGE_CHILDREN``) its waited-for children."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def timed_ms(fn: Callable[[Any], Any], args: Iterable[Any]) -> list[float]:
    """Milliseconds of ``fn(a)`` for each ``a``."""
    samples = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def p50_p95(samples: list[float]) -> dict[str, float]:
    """Median and 95th percentile (nearest rank, rounded down) of latency samples in ms."""
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 3)}
