"""Ingest benchmark: contract events/s into SQLite and PostgreSQL beside the raw baselines.

    python -m bench.ingest [--events 200000] [--backend sqlite|postgres|both] [--out FILE]

Measured in the same run, on the same machine (PERFORMANCE.md's targets):
- ``ingest``: validate + encrypt + append (one transaction per file) — ``ingest_stream``, with its
  worker processes (``ingest_workers``, ``LOKIKIRJA_INGEST_WORKERS``);
- ``ingest_and_followers``: the same plus read models and the Merkle seal caught up and a
  checkpoint signed — what ``lokikirja ingest`` does before it returns;
- baselines: the very same stored rows written by raw psycopg ``COPY`` (text) in one transaction
  (PostgreSQL), or by 500-row ``executemany`` transactions (SQLite).
Prints one JSON document (and writes it to ``--out``).
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from bench import synthetic
from bench.common import argument_parser, backends, emit, fresh_store, peak_rss_mb
from ledger.ingest import ingest_stream
from ledger.ingest_pool import worker_count
from ledger.store import Ledger

PAGE = 5_000


def _dump_rows(ledger: Ledger, path: Path) -> Path:
    """The stored rows, in pages of :data:`PAGE`, to a file: the baselines write exactly these rows
    without the benchmark holding the whole log in memory."""
    with path.open("wb") as out:
        page: list[tuple[Any, ...]] = []
        for f in ledger.read_log():
            page.append((f.id, 1, f.type, f.to_stored_event().state))
            if len(page) == PAGE:
                pickle.dump(page, out)
                page = []
        if page:
            pickle.dump(page, out)
    return path


def _pages(path: Path) -> Iterator[list[tuple[Any, ...]]]:
    with path.open("rb") as stream:
        while True:
            try:
                yield pickle.load(stream)
            except EOFError:
                return


def _raw_sqlite(rows: Path, folder: Path) -> float:
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
                 "PRIMARY KEY (originator_id, originator_version))")
    start, n = time.perf_counter(), 0
    for page in _pages(rows):
        data = [(r[0].hex, r[1], r[2], r[3]) for r in page]
        for i in range(0, len(data), 500):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", data[i : i + 500])
            conn.execute("COMMIT")
        n += len(data)
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def _raw_copy(rows: Path, dsn: str) -> float:
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE raw_copy (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                     "topic text, state bytea, notification_id bigserial, "
                     "PRIMARY KEY (originator_id, originator_version))")
        conn.execute("CREATE UNIQUE INDEX ON raw_copy (notification_id)")
        conn.commit()
        start, n = time.perf_counter(), 0
        with conn.cursor() as cur, cur.copy(
            "COPY raw_copy (originator_id, originator_version, topic, state) FROM STDIN"
        ) as cp:
            for page in _pages(rows):
                for r in page:
                    cp.write_row(r)
                n += len(page)
        conn.commit()
        return n / (time.perf_counter() - start)


def _one_backend(backend: str, source: Path, n: int, folder: Path) -> dict[str, Any]:
    from service.pipeline import after_append

    with fresh_store(backend, folder, "a") as store:
        # two stores: the SQLite files a.db and b.db, or the schemas a and b of one PostgreSQL database
        targets = [store, str(folder / "b.db")] if backend == "sqlite" else [f"{store}?schema={s}" for s in "ab"]
        result: dict[str, Any] = {"events": n, "ingest_workers": worker_count()}
        ledger, _ = Ledger.init(targets[0], folder / "keys")
        with ledger, source.open("rb") as stream:
            start = time.perf_counter()
            report = ingest_stream(ledger, str(source), stream)
            result["ingest_events_per_s"] = round(report.ingested / (time.perf_counter() - start))
            rows = _dump_rows(ledger, folder / f"{backend}-rows.pickle")
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
            result["raw_baseline"] = "psycopg COPY text, one transaction"
            result["raw_rows_per_s"] = round(_raw_copy(rows, store))
        for key in ("ingest_events_per_s", "ingest_and_followers_events_per_s"):
            result[key.replace("_events_per_s", "_ratio")] = round(result[key] / result["raw_rows_per_s"], 3)
        result["target_ratio"] = 0.4
        return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = argument_parser(__doc__, events=200_000).parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lokikirja-bench-") as tmp:
        folder = Path(tmp)
        source = synthetic.write(folder / "events.jsonl", args.events)
        doc: dict[str, Any] = {"benchmark": "ingest", "events": args.events, "backends": {}}
        for backend in backends(args.backend):
            doc["backends"][backend] = _one_backend(backend, source, args.events, folder)
        doc["peak_rss_mb"] = peak_rss_mb()
    emit(doc, args.out)
    return doc


if __name__ == "__main__":
    main()
