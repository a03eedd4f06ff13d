"""Subject index benchmark (issue 16, ADR 0015): what the verifiable per-person index costs.

    python -m bench.subject_index [--events 1000000] [--backend sqlite|postgres|both] [--batches 10]
                                  [--proofs 500] [--out FILE]

Synthetic contract events are ingested in ``--batches`` files as ``lokikirja ingest`` does it
(append, projections caught up, seal, checkpoint); the index takes in each batch's leaves before
the checkpoint. Measured in the same run:

- ``ingest_with_followers_s``: append + projections + seal + signed checkpoint, the index left out;
- ``index_s``: the index taking in the same leaves; ``index_overhead_ratio`` = index ÷ the above
  (target ≤ 0.20);
- ``prove_ms``: p50/p95 of a subject's proof against the committed root (random customers and
  officials, and absent keys), as ``verify-report`` gets them, each checked (target p95 ≤ 5 ms);
- ``proof_siblings``: the median path length; ``subjects``: keys in the map.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import allow_synthetic_times, argument_parser, backends, emit, fresh_store, p50_p95, timed_ms
from bench.verify import _write_source, batch_files
from ledger import submap
from ledger.checkpoints import commit_subject_index, sign_checkpoint
from ledger.ingest import ingest_stream
from ledger.seal import seal_catch_up
from ledger.store import Ledger
from ledger.subject_index import SubjectIndex
from service.pipeline import catch_up_projections


def _load(ledger: Ledger, source: Path, batches: int, folder: Path) -> dict[str, float]:
    lines = sum(1 for _ in source.open("rb"))
    base_s = index_s = 0.0
    index = SubjectIndex(ledger)
    for part in batch_files(source, lines, batches, folder):
        t0 = time.perf_counter()
        with part.open("rb") as f:
            ingest_stream(ledger, str(part), f)
        catch_up_projections(ledger)
        seal_catch_up(ledger)
        t1 = time.perf_counter()
        index.take_in()
        t2 = time.perf_counter()
        sign_checkpoint(ledger)
        t3 = time.perf_counter()
        base_s += (t1 - t0) + (t3 - t2)
        index_s += t2 - t1
    return {"events": lines, "ingest_with_followers_s": round(base_s, 2), "index_s": round(index_s, 2),
            "index_overhead_ratio": round(index_s / base_s, 3)}


def _keys(ledger: Ledger, n: int) -> list[str]:
    with ledger.db.read() as cur:
        customers = [r[0] for r in cur.execute(f"SELECT DISTINCT subject FROM {ledger.db.table('v_views')}")]
        users = [r[0] for r in cur.execute(f"SELECT DISTINCT usr FROM {ledger.db.table('v_views')}")]
    rng = random.Random(7)
    picked = rng.sample(customers, min(len(customers), n * 7 // 10)) + rng.sample(users, min(len(users), n // 5))
    return picked + [f"c:absent{i}" for i in range(n - len(picked))]


def run(backend: str, events: int, batches: int, proofs: int) -> dict[str, Any]:
    allow_synthetic_times()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = _write_source(folder / "events.jsonl", events)
        with fresh_store(backend, folder, "index") as url:
            ledger, _ = Ledger.init(url, folder / "keys")
            with ledger:
                doc: dict[str, Any] = _load(ledger, source, batches, folder)
                commit_subject_index(ledger)
                index = SubjectIndex(ledger)
                keys = _keys(ledger, proofs)
                sizes: list[int] = []

                def prove(key: str) -> None:
                    proof, _position = index.prove(key)
                    submap.verify_map_proof(proof)
                    sizes.append(len(proof.siblings))

                doc["prove_ms"] = {**p50_p95(timed_ms(prove, keys)), "n": len(keys)}
                doc["proof_siblings"] = statistics.median(sizes)
                with ledger.db.read() as cur:
                    doc["subjects"] = index.state(cur).subjects
    return doc


def main() -> None:
    parser = argument_parser(__doc__, events=1_000_000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--proofs", type=int, default=500)
    args = parser.parse_args()
    out = {"benchmark": "subject_index", "events": args.events,
           "backends": {b: run(b, args.events, args.batches, args.proofs) for b in backends(args.backend)}}
    emit(out, args.out)


if __name__ == "__main__":
    main()
