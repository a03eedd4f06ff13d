"""Instructions a rebuild executes per event, counted by valgrind (repeatable on a busy machine).

    python -m bench.instructions [--events 10000] [--checkout DIR ...] [--out FILE]

Wall-clock rates on a shared two-processor machine move by half within minutes (docs/performance.md),
so a change of a few per cent in the work per event cannot be seen in them. valgrind's callgrind
counts the instructions the process executes, which do not depend on what else the machine does:
the same code and input give the same count to a few parts in a thousand. Each checkout (default:
this one) ingests the same synthetic log into a fresh SQLite store and catches up with
instrumentation off (so that first use — imports, caches filled once — is not counted); only the
rebuild of every follower after it (``reset`` + ``catch_up``) is counted (``callgrind_control``
turns it on and dumps it). SQLite runs in the process, so its work is counted; a PostgreSQL server's
would not be, which is why this measures SQLite only.

Prints ``{"checkouts": {DIR: {"instructions": …, "per_event": …}}, …}``; with two or more
checkouts, also each one's count relative to the first. A checkout's code must offer
``Ledger.init``, ``ingest_stream`` and ``projections.readmodel.followers`` (every version since
28 November does). Takes about a minute per checkout at 10,000 events.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
_SUMMARY = re.compile(rb"^summary:\s*(\d+)\s*$", re.MULTILINE)


def _counted_rebuild(source: Path, folder: Path) -> None:
    """Inside valgrind, run as a file (``python -P``) so that ``ledger``, ``projections`` and even
    ``bench`` are the checkout's: ingest ``source`` and catch up (not counted), then rebuild with
    the count on."""
    from ledger.ingest import ingest_stream
    from ledger.store import Ledger
    from projections.readmodel import followers

    def control(*args: str) -> None:
        subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)

    with Ledger.init(str(folder / "store.db"), folder / "keys")[0] as ledger:
        with source.open("rb") as stream:
            ingest_stream(ledger, str(source), stream)
        chosen = followers(ledger)
        for follower in chosen:  # first use (imports, caches) is not the work per event: not counted
            follower.catch_up()
        control("--instr=on")
        for follower in chosen:
            follower.reset()
            follower.catch_up()
        control("--dump")
        control("--instr=off")


def count(checkout: Path, source: Path, events: int) -> dict[str, Any]:
    """The instructions of one rebuild of ``source`` by the code in ``checkout``."""
    from bench.common import SYNTHETIC_VALID_TIME

    with tempfile.TemporaryDirectory(prefix="lokikirja-instructions-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, **SYNTHETIC_VALID_TIME, "PYTHONPATH": str(checkout),
               "LOKIKIRJA_INGEST_WORKERS": "0"}  # one process: valgrind follows no forks here
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={folder}/cg.%p",
             sys.executable, "-P", __file__, "--inner", str(source), str(folder)],
            cwd=checkout, env=env, capture_output=True, check=False)
        dumps = sorted(folder.glob("cg.*.1"))
        if done.returncode != 0 or not dumps:
            tail = (done.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
            return {"error": tail}
        found = _SUMMARY.search(dumps[0].read_bytes())
        if found is None:
            return {"error": f"no summary in {dumps[0].name}"}
        total = int(found.group(1))
        return {"instructions": total, "per_event": round(total / events)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--inner"]:
        _counted_rebuild(Path(argv[1]), Path(argv[2]))
        return {}
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--checkout", type=Path, action="append",
                        help="a checkout of Lokikirja to count (repeatable; default: this one)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (Debian: apt install valgrind)")
    from bench import synthetic
    from bench.common import allow_synthetic_times, emit

    allow_synthetic_times()

    checkouts = [c.resolve() for c in (args.checkout or [HERE])]
    with tempfile.TemporaryDirectory(prefix="lokikirja-instructions-") as tmp:
        source = synthetic.write(Path(tmp) / "events.jsonl", args.events)
        results = {str(c): count(c, source, args.events) for c in checkouts}
    doc: dict[str, Any] = {"benchmark": "instructions", "backend": "sqlite", "events": args.events,
                           "checkouts": results}
    first = results[str(checkouts[0])].get("instructions")
    if len(checkouts) > 1 and first:
        doc["relative_to_first"] = {c: round(r["instructions"] / first, 4)
                                    for c, r in results.items() if "instructions" in r}
    emit(doc, args.out)
    return doc


if __name__ == "__main__":
    main()
