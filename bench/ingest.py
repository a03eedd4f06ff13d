"""Ingest benchmark: contract events/s into SQLite and PostgreSQL beside the raw baselines.

    python -m bench.ingest [--events 200000] [--backend sqlite|postgres|both] [--out FILE]

Measured in the same run, on the same machine (PERFORMANCE.md's targets):
- ``ingest``: validate + encrypt + append (one transaction per file) — ``ingest_stream``;
- ``ingest_and_followers``: the same plus read models and the Merkle seal caught up and a
  checkpoint signed — what ``lokikirja ingest`` does before it returns;
- baselines: the very same stored rows written by raw psycopg ``COPY`` (text) in one transaction
  (PostgreSQL), or by 500-row ``executemany`` transactions (SQLite).
Prints one JSON document (and writes it to ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bench import synthetic
from ledger.ingest import ingest_stream
from ledger.store import Ledger

MAINTENANCE = os.environ.get("LOKIKIRJA_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stored_rows(ledger: Ledger) -> list[tuple[Any, ...]]:
    return [(f.id, 1, f.type, f.to_stored_event().state) for f in ledger.read_log()]


def _raw_sqlite(rows: list[tuple[Any, ...]], folder: Path) -> float:
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
                 "PRIMARY KEY (originator_id, originator_version))")
    data = [(r[0].hex, r[1], r[2], r[3]) for r in rows]
    start = time.perf_counter()
    for i in range(0, len(data), 500):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", data[i : i + 500])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


def _raw_copy(rows: list[tuple[Any, ...]], dsn: str) -> float:
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE raw_copy (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                     "topic text, state bytea, notification_id bigserial, "
                     "PRIMARY KEY (originator_id, originator_version))")
        conn.execute("CREATE UNIQUE INDEX ON raw_copy (notification_id)")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            "COPY raw_copy (originator_id, originator_version, topic, state) FROM STDIN"
        ) as cp:
            for r in rows:
                cp.write_row(r)
        conn.commit()
        return len(rows) / (time.perf_counter() - start)


def _one_backend(backend: str, source: Path, n: int, folder: Path) -> dict[str, Any]:
    from service.pipeline import after_append

    dsn = None
    if backend == "sqlite":
        targets = [str(folder / "a.db"), str(folder / "b.db")]
    else:
        name = f"lokikirja_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(MAINTENANCE, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = MAINTENANCE.rsplit("/", 1)[0] + "/" + name
        dsn = base
        targets = [f"{base}?schema=a", f"{base}?schema=b"]
    try:
        result: dict[str, Any] = {"events": n}
        ledger, _ = Ledger.init(targets[0], folder / "keys")
        with ledger, source.open("rb") as stream:
            start = time.perf_counter()
            report = ingest_stream(ledger, str(source), stream)
            result["ingest_events_per_s"] = round(report.ingested / (time.perf_counter() - start))
            rows = _stored_rows(ledger)
        ledger, _ = Ledger.init(targets[1], folder / "keys")
        with ledger, source.open("rb") as stream:
            start = time.perf_counter()
            report = ingest_stream(ledger, str(source), stream)
            after_append(ledger, report.ingested)
            result["ingest_and_followers_events_per_s"] = round(report.ingested / (time.perf_counter() - start))
        if backend == "sqlite":
            result["raw_baseline"] = "sqlite executemany, 500 rows per transaction"
            result["raw_rows_per_s"] = round(_raw_sqlite(rows, folder))
        else:
            assert dsn is not None
            result["raw_baseline"] = "psycopg COPY text, one transaction"
            result["raw_rows_per_s"] = round(_raw_copy(rows, dsn))
        for key in ("ingest_events_per_s", "ingest_and_followers_events_per_s"):
            result[key.replace("_events_per_s", "_ratio")] = round(result[key] / result["raw_rows_per_s"], 3)
        result["target_ratio"] = 0.4
        return result
    finally:
        if dsn is not None:
            with psycopg.connect(MAINTENANCE, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(prefix="lokikirja-bench-") as tmp:
        folder = Path(tmp)
        source = synthetic.write(folder / "events.jsonl", args.events)
        doc: dict[str, Any] = {"benchmark": "ingest", "events": args.events, "backends": {}}
        for backend in backends:
            doc["backends"][backend] = _one_backend(backend, source, args.events, folder)
        doc["peak_rss_mb"] = round(_rss_mb(), 1)
    text = json.dumps(doc, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return doc


if __name__ == "__main__":
    main()
