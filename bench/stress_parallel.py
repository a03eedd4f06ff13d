"""Two source systems at once, many times: the run-time spread of parallel ingests (issue 17.9).

    python -m bench.stress_parallel [--runs 20] [--events 40000] [--backend postgres]

One PostgreSQL run of two parallel ``lokikirja ingest`` over out-of-order halves of a simulated
log once took 935 s instead of 28–67 s (a read-model transaction of about 14 minutes) and was not
seen again in three runs. Each run here: a fresh store; the simulated log split into its second
and first halves (the later facts first, so the read model re-judges as the earlier ones arrive);
both halves ingested by two real CLI processes started together; then the findings compared with
those of the same log ingested in order into another fresh store (once). Prints JSON: each run's
wall time, the spread (min, median, max), how many runs were slower than three times the median,
and whether every run's findings equalled the sequential ones.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import argument_parser, create_store, drop_store, emit
from bench.synthetic import write


def _cli(db: str, keys: Path, *args: str) -> subprocess.Popen[str]:
    env = {"LOKIKIRJA_DB": db, "LOKIKIRJA_KEYS": str(keys)}
    return subprocess.Popen([sys.executable, "-m", "service", *args], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        _out, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"lokikirja exited {p.returncode}: {err.strip()[-300:]}")


def _findings(db: str, keys: Path) -> list[tuple[str, str]]:
    p = _cli(db, keys, "findings", "--format", "json")
    out, _ = p.communicate()
    return sorted((f["finding"], f["rule"]) for f in json.loads(out))


def main() -> None:
    parser = argument_parser(__doc__, events=40_000, both=False)
    parser.add_argument("--runs", type=int, default=20)
    parser.set_defaults(backend="postgres")
    args = parser.parse_args()
    made: list[str | None] = []
    try:
        _stress(args, made)
    finally:
        for database in made:
            drop_store(database)


def _stress(args: Any, made: list[str | None]) -> None:
    with tempfile.TemporaryDirectory(prefix="lokikirja-stress-") as tmp:
        folder = Path(tmp)
        log = write(folder / "log.jsonl", args.events)
        lines = log.read_text().splitlines(keepends=True)
        first, second = folder / "first.jsonl", folder / "second.jsonl"
        first.write_text("".join(lines[: len(lines) // 2]))
        second.write_text("".join(lines[len(lines) // 2 :]))
        db, database = create_store(args.backend, folder, "sequential")
        made.append(database)
        keys = folder / "keys-sequential"
        _run(_cli(db, keys, "init"))
        _run(_cli(db, keys, "ingest", str(log)))
        expected = _findings(db, keys)
        times: list[float] = []
        equal = True
        for i in range(args.runs):
            db, database = create_store(args.backend, folder, f"run{i}")
            made.append(database)
            keys = folder / f"keys-{i}"
            _run(_cli(db, keys, "init"))
            began = time.perf_counter()
            _run(_cli(db, keys, "ingest", str(second)), _cli(db, keys, "ingest", str(first)))
            times.append(round(time.perf_counter() - began, 2))
            equal = equal and _findings(db, keys) == expected
            print(f"run {i + 1}/{args.runs}: {times[-1]} s", file=sys.stderr)
    median = statistics.median(times)
    doc: dict[str, Any] = {"backend": args.backend, "events": args.events, "runs": args.runs, "seconds": times,
                           "min": min(times), "median": median, "max": max(times),
                           "slower_than_3x_median": sum(t > 3 * median for t in times),
                           "findings_equal_sequential": equal, "findings": len(expected)}
    emit(doc, args.out)


if __name__ == "__main__":
    main()
