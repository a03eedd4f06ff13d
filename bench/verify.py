"""Verify benchmark: ``verify`` events/s beside the raw read-back of the same rows, and proof latency.

    python -m bench.verify [--events 200000] [--backend sqlite|postgres|both] [--batches 10]
                           [--proofs 500] [--workers N] [--out FILE]

Synthetic contract events are ingested with ``ledger.ingest.ingest_stream`` in ``--batches``
files, each sealed and checkpointed (as ``lokikirja ingest`` does). Measured in the same run,
medians of three alternating runs:

- ``raw_read_rows_per_s``: a plain keyset ``SELECT`` of the stored event rows in pages of 5,000 on
  the same connection settings verify uses — ``full_rows`` (every column, the baseline of
  PERFORMANCE.md) and ``position_state`` (only the two columns verify reads, the stricter one);
- ``verify_events_per_s``: ``replay.verify.verify`` as the CLI runs it (one process per CPU for
  large logs), and ``verify_sequential_events_per_s`` in one process;
- ``inclusion_proof_ms`` / ``consistency_proof_ms``: p50/p95 of proofs of random events against
  the latest checkpoint (each opens its own transaction, as the CLI does);
- ``verify_peak_rss_mb``: the peak RSS of ``lokikirja verify`` run as a command.
Prints one JSON document (and writes it to ``--out``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from bench import synthetic
from bench.common import argument_parser, backends, emit, fresh_store, p50_p95, peak_rss_mb, timed_ms
from ledger.checkpoints import consistency_proof, inclusion_proof, sign_checkpoint
from ledger.events import parse_event
from ledger.ingest import ingest_stream
from ledger.seal import PAGE, Seal
from ledger.store import Ledger
from replay.verify import verify


def _write_source(path: Path, n: int) -> Path:
    """``n`` synthetic events, leaving out the rare generated line the contract rejects (a HETU of
    29 Feb 1900: the generator writes every birth year with the 1900s sign)."""
    with path.open("wb") as f:
        written = 0
        for event in synthetic.events(n + n // 1000 + 10):
            line = json.dumps(event, ensure_ascii=False).encode()
            if event["type"] == "customer.registered":
                try:
                    parse_event(line)
                except ValueError:
                    continue
            f.write(line + b"\n")
            written += 1
            if written == n:
                break
    return path


def batch_files(source: Path, lines: int, batches: int, folder: Path) -> Iterator[Path]:
    """``source`` cut into ``batches`` files of whole lines in ``folder``, one at a time (each
    removed once the caller is done with it)."""
    per = -(-lines // batches)
    with source.open("rb") as stream:
        for i in itertools.count():
            chunk = list(itertools.islice(stream, per))
            if not chunk:
                return
            part = folder / f"batch-{i}.jsonl"
            part.write_bytes(b"".join(chunk))
            yield part
            part.unlink(missing_ok=True)


def _load(ledger: Ledger, source: Path, batches: int, folder: Path) -> dict[str, float]:
    """Ingest ``source`` in ``batches`` files, sealing and signing a checkpoint after each."""
    lines = sum(1 for _ in source.open("rb"))
    ingest_s = seal_s = 0.0
    for part in batch_files(source, lines, batches, folder):
        t = time.perf_counter()
        with part.open("rb") as f:
            ingest_stream(ledger, str(part), f)
        t2 = time.perf_counter()
        sign_checkpoint(ledger)
        ingest_s, seal_s = ingest_s + t2 - t, seal_s + time.perf_counter() - t2
    return {"ingest_events_per_s": round(lines / ingest_s), "seal_and_sign_events_per_s": round(lines / seal_s)}


def _raw_read(ledger: Ledger, columns: str) -> float:
    """Rows/s of a plain keyset read of the event table (binary protocol on PostgreSQL, like verify)."""
    seal = Seal(ledger)
    col = seal.position_column
    statement = f"SELECT {col}, {columns} FROM {seal.events} WHERE {col} > %s ORDER BY {col} LIMIT {PAGE}"
    n, last = 0, 0
    start = time.perf_counter()
    with ledger.db.read() as cur:
        while True:
            if ledger.db.kind == "postgres":
                rows = cur.raw.execute(statement, (last,), binary=True).fetchall()
            else:
                rows = cur.raw.execute(statement.replace("%s", "?"), (last,)).fetchall()
            if not rows:
                break
            n, last = n + len(rows), rows[-1][0]
    return n / (time.perf_counter() - start)


def _rate(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def _latency(fn: Callable[[Any], Any], args: list[Any]) -> dict[str, float]:
    return {**p50_p95(timed_ms(fn, args)), "n": len(args)}


def _proofs(ledger: Ledger, n: int) -> dict[str, Any]:
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        size, _ = seal.head(cur)
        rng = random.Random(5)
        ids = [UUID(bytes=seal.sealed_leaves(cur, i, i + 1)[0][2]) for i in rng.sample(range(size), min(n, size))]
    pairs = [tuple(sorted(rng.sample(range(1, size + 1), 2))) for _ in range(min(n, 200))]
    inclusion_proof(ledger, ids[0])  # warm
    return {"inclusion_proof_ms": _latency(lambda e: inclusion_proof(ledger, e), ids),
            "consistency_proof_ms": _latency(lambda p: consistency_proof(ledger, *p), pairs)}


def _cli_verify_rss(target: str) -> dict[str, Any]:
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "service", "verify", "--db", target, "--format", "json"],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t
    return {"verify_cli_exit": done.returncode, "verify_cli_seconds": round(seconds, 2),
            "verify_peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN)}


def _one_backend(backend: str, source: Path, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    with fresh_store(backend, folder, "verify") as target:
        with Ledger.init(target, folder / "keys")[0] as ledger:
            result: dict[str, Any] = {"events": args.events, **_load(ledger, source, args.batches, folder)}
            full, narrow, fast, seq = [], [], [], []
            for _ in range(3):  # alternate, so that load from elsewhere hits every figure alike
                full.append(_raw_read(ledger, "originator_id, originator_version, topic, state"))
                narrow.append(_raw_read(ledger, "state"))
                fast.append(_rate(lambda: verify(ledger, workers=args.workers), args.events))
                seq.append(_rate(lambda: verify(ledger, workers=1), args.events))
            report = verify(ledger, workers=args.workers)
            raw_full, raw_narrow, ours = statistics.median(full), statistics.median(narrow), statistics.median(fast)
            result.update({
                "verify_ok": report.ok, "checkpoints": report.checkpoints, "workers": args.workers or os.cpu_count(),
                "raw_read_rows_per_s": {"full_rows": round(raw_full), "position_state": round(raw_narrow)},
                "verify_events_per_s": round(ours), "verify_sequential_events_per_s": round(statistics.median(seq)),
                "verify_ratio": round(ours / raw_full, 3), "verify_ratio_position_state": round(ours / raw_narrow, 3),
                "target_ratio": 0.7, **_proofs(ledger, args.proofs)})
        result.update(_cli_verify_rss(target))
        return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argument_parser(__doc__, events=200_000)
    parser.add_argument("--batches", type=int, default=10, help="ingests, each ending with a checkpoint")
    parser.add_argument("--proofs", type=int, default=500, help="proofs to time")
    parser.add_argument("--workers", type=int, default=None, help="verify processes (default: one per CPU)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lokikirja-bench-") as tmp:
        folder = Path(tmp)
        source = _write_source(folder / "events.jsonl", args.events)
        doc: dict[str, Any] = {"benchmark": "verify", "events": args.events, "cpus": os.cpu_count(), "backends": {}}
        for backend in backends(args.backend):
            doc["backends"][backend] = _one_backend(backend, source, args, folder)
    emit(doc, args.out)
    return doc


if __name__ == "__main__":
    main()
