"""Privacy benchmark: what per-customer encryption costs ingest, in the same run as without it.

    python -m bench.privacy [--events 100000] [--backend sqlite|postgres|both] [--repeats 3] [--out FILE]

One customer-heavy file (half ``customer.registered`` with a HETU and a name, half
``record.viewed`` of those customers) is ingested (validate + encrypt + append, one transaction:
``ingest_stream``) into a fresh store, in three variants, interleaved ``--repeats`` times:

- ``encrypted``: as shipped — a data key per customer (created, wrapped, stored), HETU and name
  AES-256-GCM encrypted, the HETU blind-indexed;
- ``plain_fields``: ``ledger.ingest.encrypt_field`` replaced by the identity (the baseline the
  issue names: data keys still made, fields stored in clear);
- ``no_privacy``: also no data keys (a constant key, nothing stored) — all privacy work removed.

The overhead is ``time(encrypted) / time(variant) − 1``, by the median and by the best run, of
wall-clock time and of this process's CPU time (all of the work on SQLite; the client's share on
PostgreSQL); the target is ≤ 0.15. On a shared machine the best run is the steadiest estimate.
Prints one JSON document (and writes it to ``--out``). The monkeypatching lives here only.
"""

from __future__ import annotations

import contextlib
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import ledger.ingest
from bench.common import argument_parser, backends, emit, fresh_store
from ledger.identifiers import hetu_check_char
from ledger.store import AppendTransaction, Ledger

VARIANTS = ("encrypted", "plain_fields", "no_privacy")
_FIRST = ["Aino", "Matti", "Liisa", "Juha", "Anna", "Väinö", "Helmi", "Onni"]
_LAST = ["Virtanen", "Korhonen", "Nieminen", "Mäkinen", "Hämäläinen", "Laine", "Koskinen", "Järvinen"]
_SETUP = "2021-03-01T06:00:00+02:00"


def write_events(path: Path, n: int, seed: int = 7) -> Path:
    """``n`` events: a few set-up facts, then half registrations (HETU, name), half views."""
    rng = random.Random(seed)

    def e(type_: str, at: str, actor: str, **data: Any) -> str:
        return json.dumps({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "type": type_, "at": at,
                           "actor": actor, "data": data}, ensure_ascii=False) + "\n"

    customers = n // 2
    with path.open("w", encoding="utf-8") as f:
        f.write(e("organisation.registered", _SETUP, "system:ura", org="te:uusimaa", kind="te_office",
                  name="TE-toimisto", languages=["fi", "sv"]))
        for c in range(customers):
            born = date(1960, 1, 1) + timedelta(days=rng.randrange(20000))
            digits, individual = f"{born:%d%m}{born.year % 100:02d}", f"{rng.randrange(2, 900):03d}"
            f.write(e("customer.registered", _SETUP, "system:ura", customer=f"c:{c}",
                      hetu=f"{digits}{'-' if born.year < 2000 else 'A'}{individual}"
                           f"{hetu_check_char(digits + individual)}",
                      name=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", org="te:uusimaa", home_municipality="091",
                      birth_date=born.isoformat(), earnings_related_eligible=False,
                      immigrant_or_foreign_language=False, language="fi"))
        for i in range(n - customers - 1):
            f.write(e("record.viewed", f"2021-03-{2 + i % 27:02d}T10:00:00+02:00", f"u:{i % 50}",
                      subject=f"c:{rng.randrange(customers)}", purpose="service_guidance",
                      categories=["identity", "service_plan"]))
    return path


@contextlib.contextmanager
def variant(name: str) -> Iterator[None]:
    """Patch ingest for one variant (nothing for ``encrypted``)."""
    with contextlib.ExitStack() as stack:
        if name in ("plain_fields", "no_privacy"):
            stack.enter_context(mock.patch.object(ledger.ingest, "encrypt_field",
                                                  lambda _key, _id, _name, value: value))
        if name == "no_privacy":
            key = bytes(32)
            stack.enter_context(mock.patch.object(AppendTransaction, "data_keys",
                                                  lambda _self, subjects: dict.fromkeys(subjects, key)))
        yield


def _ingest_seconds(target: str, keys: Path, source: Path, name: str) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds of one ingest into a fresh store."""
    store, _ = Ledger.init(target, keys)
    with store, variant(name), source.open("rb") as stream:
        wall, cpu = time.perf_counter(), time.process_time()
        ledger.ingest.ingest_stream(store, str(source), stream)
        return time.perf_counter() - wall, time.process_time() - cpu


def _overheads(seconds: dict[str, list[float]]) -> dict[str, float]:
    """``encrypted`` against each baseline, by the median and by the best run (the estimate least
    disturbed by other load on the machine)."""
    out = {}
    for base in ("plain_fields", "no_privacy"):
        for stat, f in (("median", statistics.median), ("best", min)):
            out[f"vs_{base}_{stat}"] = round(f(seconds["encrypted"]) / f(seconds[base]) - 1, 3)
    return out


def _stores(backend: str, folder: Path, database: str) -> Iterator[str]:
    """Fresh stores without end: SQLite files in ``folder``, or new schemas of ``database``."""
    while True:
        tag = uuid.uuid4().hex[:8]
        yield str(folder / f"{tag}.db") if backend == "sqlite" else f"{database}?schema=s{tag}"


def one_backend(backend: str, source: Path, n: int, repeats: int, folder: Path) -> dict[str, Any]:
    with fresh_store(backend, folder, "privacy") as database:
        targets = _stores(backend, folder, database)
        wall: dict[str, list[float]] = {v: [] for v in VARIANTS}
        cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for _ in range(repeats):
            for name in VARIANTS:
                w, c = _ingest_seconds(next(targets), folder / "keys", source, name)
                wall[name].append(w)
                cpu[name].append(c)
        return {
            "events_per_s_median": {v: round(n / statistics.median(s)) for v, s in wall.items()},
            "wall_seconds": {v: [round(x, 3) for x in s] for v, s in wall.items()},
            "client_cpu_seconds": {v: [round(x, 3) for x in s] for v, s in cpu.items()},
            "overhead_wall": _overheads(wall),
            "overhead_client_cpu": _overheads(cpu),
            "target_overhead": 0.15,
        }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argument_parser(__doc__, events=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lokikirja-bench-privacy-") as tmp:
        folder = Path(tmp)
        source = write_events(folder / "customers.jsonl", args.events)
        doc: dict[str, Any] = {"benchmark": "privacy", "events": args.events, "customers": args.events // 2,
                               "measured": "ingest_stream: validate + encrypt + append, one transaction",
                               "repeats": args.repeats, "backends": {}}
        for backend in backends(args.backend):
            doc["backends"][backend] = one_backend(backend, source, args.events, args.repeats, folder)
    emit(doc, args.out)
    return doc


if __name__ == "__main__":
    main()
