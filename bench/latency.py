"""Latency benchmark: a single durable fact (the gateway path) and the dossier of one customer.

    python -m bench.latency [--backend sqlite|postgres|both] [--facts 200] [--dossier-events 1000] [--out FILE]

- ``single_fact_ms``: p50/p95 of appending one validated, encrypted fact in its own durable
  transaction (``ingest_stream`` of a one-line source), beside ``raw_single_commit_ms``: one row
  inserted and committed with raw psycopg / sqlite3 on the same backend (target p50 ≤ 2×);
- ``dossier_ms``: p50/p95 of ``build_dossier`` (with an inclusion proof for every event) of a
  customer with ``--dossier-events`` events (target ≤ 150 ms).
"""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bench.common import argument_parser, backends, emit, fresh_store, p50_p95, peak_rss_mb, timed_ms
from ledger.ingest import ingest_stream
from ledger.store import Ledger
from replay.dossier import build_dossier
from service.pipeline import after_append


def _view(i: int, customer: str) -> dict[str, Any]:
    at = f"2022-03-{1 + i % 28:02d}T09:{i % 60:02d}:00+02:00"
    return {"id": str(uuid.uuid4()), "type": "record.viewed", "at": at,
            "actor": f"u:v{i % 7}", "data": {"subject": customer, "purpose": "service_guidance",
                                              "categories": ["identity", "contact"]}}


def _raw_single(backend: str, target: str, folder: Path, n: int) -> list[float]:
    samples = []
    if backend == "sqlite":
        conn = sqlite3.connect(folder / "raw-single.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, state BLOB)")
        for _ in range(n):
            t = time.perf_counter()
            conn.execute("BEGIN")
            conn.execute("INSERT INTO t VALUES (?, ?)", (uuid.uuid4().hex, b"x" * 400))
            conn.execute("COMMIT")
            samples.append((time.perf_counter() - t) * 1000)
        conn.close()
        return samples
    with psycopg.connect(target.split("?")[0], autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS raw_single (id uuid PRIMARY KEY, state bytea)")
        for _ in range(n):
            t = time.perf_counter()
            with conn.transaction():
                conn.execute("INSERT INTO raw_single VALUES (%s, %s)", (uuid.uuid4(), b"x" * 400))
            samples.append((time.perf_counter() - t) * 1000)
    return samples


def _one_backend(backend: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    with (fresh_store(backend, folder, "latency") as target,
          Ledger.init(target, folder / f"keys-{backend}")[0] as ledger):
        lines = [(json.dumps(_view(i, f"c:s{i}")) + "\n").encode() for i in range(args.facts)]
        single = timed_ms(lambda line: ingest_stream(ledger, "one", io.BytesIO(line)), lines)
        raw = _raw_single(backend, target, folder, args.facts)
        bulk = "".join(json.dumps(_view(i, "c:dossier")) + "\n" for i in range(args.dossier_events)).encode()
        after_append(ledger, ingest_stream(ledger, "dossier", io.BytesIO(bulk)).ingested)
        build_dossier(ledger, "c:dossier")
        dossier = timed_ms(lambda _: build_dossier(ledger, "c:dossier"), range(args.repeat))
    single_stats, raw_stats = p50_p95(single), p50_p95(raw)
    return {"single_fact_ms": single_stats, "raw_single_commit_ms": raw_stats,
            "single_fact_p50_ratio": round(single_stats["p50"] / max(raw_stats["p50"], 1e-6), 2),
            "single_fact_target_p50_ratio": 2.0,
            "dossier_events": args.dossier_events, "dossier_ms": p50_p95(dossier), "dossier_target_ms": 150}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argument_parser(__doc__)
    parser.add_argument("--facts", type=int, default=200)
    parser.add_argument("--dossier-events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lokikirja-bench-") as tmp:
        doc: dict[str, Any] = {"benchmark": "latency",
                               "backends": {b: _one_backend(b, args, Path(tmp)) for b in backends(args.backend)}}
    doc["peak_rss_mb"] = peak_rss_mb()
    emit(doc, args.out)
    return doc


if __name__ == "__main__":
    main()
