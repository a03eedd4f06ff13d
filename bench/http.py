"""HTTP load check: ingest throughput in batches of 1,000, and access-log latency under concurrent readers.

    python -m bench.http [--events 20000] [--readers 20] [--reads 600] [--backend sqlite|postgres] [--out FILE]

Starts a real ``lokikirja serve`` on a free loopback port over a fresh store (a temporary SQLite
file, or a fresh database in ``LOKIKIRJA_BENCH_DSN``'s PostgreSQL), then with httpx:

- ``ingest``: synthetic contract events (``bench.synthetic``) POSTed as JSON arrays of 1,000, one
  batch after another, each acknowledged only once stored, projected, sealed and checkpointed —
  what a source system sees;
- ``access_log``: ``--readers`` threads, each with its own connection, asking ``GET /v1/access-log``
  for random customers with a purpose (each answer is recorded first as ``ledger.queried``).

Bounded: loopback only, at most 200,000 events and 20,000 reads, every request with a timeout.
Prints one JSON document (and writes it to ``--out``).
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench import synthetic
from bench.common import argument_parser, emit, fresh_store
from ledger.store import Ledger
from service.http.tokens import TokenFile

BATCH = 1000
MAX_EVENTS, MAX_READS = 200_000, 20_000
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50_ms": round(cut[49] * 1000, 2), "p95_ms": round(cut[94] * 1000, 2),
            "p99_ms": round(cut[98] * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2)}


def _start(db: str, folder: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    keys, tokens_path = folder / "keys", folder / "tokens.json"
    Ledger.init(db, keys)[0].close()
    store = TokenFile(tokens_path)
    tokens = {role: store.add(f"u:bench-{role}", role)[1] for role in ("ingest", "avi")}
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "service", "serve", "--host", HOST, "--port", str(port),
                                "--db", db, "--keys", str(keys), "--tokens", str(tokens_path)],
                               stdout=subprocess.DEVNULL, stderr=(folder / "server.log").open("wb"))
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                return process, url, tokens
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"the server did not start; see {folder / 'server.log'}")


def _ingest(url: str, token: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
        start = time.perf_counter()
        for i in range(0, len(events), BATCH):
            t0 = time.perf_counter()
            response = client.post("/v1/events", json=events[i : i + BATCH])
            response.raise_for_status()
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
    return {"events": len(events), "batch": BATCH, "batches": len(latencies), "seconds": round(elapsed, 2),
            "events_per_s": round(len(events) / elapsed), "batch_latency": _percentiles(latencies)}


def _reader(url: str, token: str, subjects: list[str], count: int, seed: int, out: list[float]) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for _ in range(count):
            t0 = time.perf_counter()
            response = client.get("/v1/access-log", params={"subject": rng.choice(subjects), "purpose": "bench"})
            response.raise_for_status()
            out.append(time.perf_counter() - t0)


def _access_log(url: str, token: str, subjects: list[str], readers: int, reads: int) -> dict[str, Any]:
    samples: list[list[float]] = [[] for _ in range(readers)]
    threads = [threading.Thread(target=_reader, args=(url, token, subjects, reads // readers, i, samples[i]))
               for i in range(readers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies = [s for per in samples for s in per]
    return {"readers": readers, "requests": len(latencies), "seconds": round(elapsed, 2),
            "requests_per_s": round(len(latencies) / elapsed, 1), "latency": _percentiles(latencies)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argument_parser(__doc__, events=20_000, both=False)
    parser.prog = "python -m bench.http"
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--reads", type=int, default=600, help="access-log requests in all")
    args = parser.parse_args(argv)
    events = list(synthetic.events(min(args.events, MAX_EVENTS), seed=7))
    subjects = sorted({e["data"]["subject"] for e in events if e["type"] == "record.viewed"})
    with (tempfile.TemporaryDirectory(prefix="lokikirja-bench-http-") as tmp,
          fresh_store(args.backend, Path(tmp), "ledger") as db):
        process, url, tokens = _start(db, Path(tmp))
        try:
            doc = {"benchmark": "http", "backend": args.backend, "cpus": os.cpu_count(),
                   "ingest": _ingest(url, tokens["ingest"], events),
                   "access_log": _access_log(url, tokens["avi"], subjects, args.readers,
                                             min(args.reads, MAX_READS))}
        finally:
            process.terminate()
            process.wait(timeout=30)
    emit(doc, args.out)
    return doc


if __name__ == "__main__":
    main()
