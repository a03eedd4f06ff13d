"""Rebuild and access-history benchmark, beside raw baselines measured in the same run.

    python -m bench.rebuild [--events 200000] [--lookup-events 1000000] [--backend sqlite|postgres|both]
                            [--repeat 3] [--source FILE] [--out FILE]

- ``rebuild_events_per_s``: drop every projection and rebuild it from the log (target ≥ 20,000/s),
  beside ``raw_read_rows_per_s``: a plain keyset read of the same log rows. Both are medians of
  ``--repeat`` alternating runs (three by default, as PERFORMANCE.md's baselines are taken), so
  that a busy moment of the machine hits both alike; every run's figure is listed beside them;
- ``access_log_ms``: p50/p95 of the access history of one person (100 newest views, the read model
  query behind ``access-log``) at ``--lookup-events``, beside ``raw_lookup_ms``: the plain indexed
  ``SELECT … WHERE subject = $1 ORDER BY at DESC LIMIT 100`` on the same table (target p95 ≤ 3×).
Events come from ``--source`` (e.g. a ``lokikirja simulate`` file) or the synthetic generator.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import synthetic
from bench.common import argument_parser, backends, create_store, drop_store, emit, peak_rss_mb
from ledger.ingest import ingest_stream
from ledger.store import Ledger
from projections import queries
from projections.readmodel import followers


def _load(ledger: Ledger, source: Path) -> int:
    with source.open("rb") as stream:
        n = ingest_stream(ledger, str(source), stream).ingested
    for follower in followers(ledger):
        follower.catch_up()
    return n


def _raw_read(ledger: Ledger) -> float:
    start = time.perf_counter()
    n = 0
    position = 0
    recorder = ledger.app.recorder
    while batch := recorder.select_notifications(start=position, limit=5000, inclusive_of_start=False):
        n += len(batch)
        position = batch[-1].id
    return n / (time.perf_counter() - start)


def _rebuild(ledger: Ledger) -> float:
    start = time.perf_counter()
    done = 0
    for follower in followers(ledger):
        follower.reset()
        done = follower.catch_up()
    return done / (time.perf_counter() - start)


def _latencies(fn: Any, subjects: list[str]) -> dict[str, float]:
    samples = []
    for s in subjects:
        t = time.perf_counter()
        fn(s)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {"p50": round(statistics.median(samples), 3), "p95": round(samples[int(len(samples) * 0.95) - 1], 3)}


def _lookups(ledger: Ledger) -> dict[str, Any]:
    db = ledger.db
    with db.read() as cur:
        subjects = [r[0] for r in cur.execute(f"SELECT DISTINCT subject FROM {db.table('v_views')}").fetchall()]
    rng = random.Random(7)
    chosen = rng.sample(subjects, min(300, len(subjects)))
    views = db.table("v_views")

    def raw(subject: str) -> None:
        with db.read() as cur:
            cur.execute(f"SELECT * FROM {views} WHERE subject = %s ORDER BY at DESC LIMIT 100", (subject,)).fetchall()

    def ours(subject: str) -> None:
        with db.read() as cur:
            queries.access_log(db, cur, subjects=[subject])

    for subject in chosen:  # warm both over every subject first, so that neither reads what the other cached
        raw(subject)
        ours(subject)
    return {"raw_lookup_ms": _latencies(raw, chosen), "access_log_ms": _latencies(ours, chosen)}


def _one_backend(backend: str, source: Path, lookup_source: Path | None, folder: Path,
                 repeat: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    target, dbname = create_store(backend, folder, "rebuild")
    try:
        with Ledger.init(target, folder / "keys")[0] as ledger:
            result["events"] = _load(ledger, source)
            raws, rebuilds = [], []
            for _ in range(repeat):  # alternate, so that load from elsewhere hits both figures alike
                raws.append(round(_raw_read(ledger)))
                rebuilds.append(round(_rebuild(ledger)))
            raw, rebuild = round(statistics.median(raws)), round(statistics.median(rebuilds))
            result.update({"raw_read_rows_per_s": raw, "rebuild_events_per_s": rebuild,
                           "raw_read_runs": raws, "rebuild_runs": rebuilds})
            result["rebuild_ratio_to_raw_read"] = round(rebuild / raw, 3)
            result["rebuild_target_events_per_s"] = 20_000
            if lookup_source is None:
                result.update(_lookups(ledger))
    finally:
        drop_store(dbname)
    if lookup_source is not None:
        target, dbname = create_store(backend, folder, "lookup")
        try:
            with Ledger.init(target, folder / "keys")[0] as ledger:
                result["lookup_events"] = _load(ledger, lookup_source)
                result.update(_lookups(ledger))
        finally:
            drop_store(dbname)
    ours, raw_p95 = result["access_log_ms"]["p95"], result["raw_lookup_ms"]["p95"]
    result["access_log_p95_ratio"] = round(ours / max(raw_p95, 1e-6), 2)
    result["access_log_target_p95_ratio"] = 3.0
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argument_parser(__doc__, events=200_000)
    parser.add_argument("--lookup-events", type=int, default=0, help="0: look up in the rebuild store")
    parser.add_argument("--repeat", type=int, default=3, help="rebuilds (and raw reads) to take the median of")
    parser.add_argument("--source", type=Path, help="a JSON Lines file of contract events to use")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lokikirja-bench-") as tmp:
        folder = Path(tmp)
        source = args.source or synthetic.write(folder / "events.jsonl", args.events)
        lookup = synthetic.write(folder / "lookup.jsonl", args.lookup_events) if args.lookup_events else None
        doc: dict[str, Any] = {"benchmark": "rebuild", "source": str(args.source or "synthetic"), "backends": {
            b: _one_backend(b, source, lookup, folder, max(1, args.repeat)) for b in backends(args.backend)}}
    doc["peak_rss_mb"] = peak_rss_mb()
    emit(doc, args.out)
    return doc


if __name__ == "__main__":
    main()
