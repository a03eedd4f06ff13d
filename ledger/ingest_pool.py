"""Ingest's preparation (``ledger/ingest_prepare``) in worker processes beside the single writer.

Parsing, validating, fingerprinting and writing the stored state of a fact cost several times
what appending it does; the writer — one transaction, one connection, the log's order — cannot
be split (ADR 0014), but the work before it can. Chunks go to the workers in order and come
back in order; at most :data:`AHEAD` chunks per worker are in flight, so memory stays bounded
whatever the source's size. The workers get the fingerprint key only (not the master or signing
key): facts with personal fields are encrypted by the writer (``ledger/ingest``).

``LOKIKIRJA_INGEST_WORKERS`` sets how many (default: the machine's processors, at most 4;
``0``: prepare in the writer's own process). Sources of one chunk or less never start them: a
single fact's latency is one process's.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime

from ledger.ingest_prepare import Chunk, Line, prepare
from ledger.validtime import ValidTime

AHEAD = 2
MAX_WORKERS = 4

_KEY: bytes = b""
_VALID_TIME: ValidTime | None = None


def worker_count() -> int:
    """How many worker processes a large source gets (``LOKIKIRJA_INGEST_WORKERS``)."""
    setting = os.environ.get("LOKIKIRJA_INGEST_WORKERS", "").strip()
    if setting:
        try:
            return max(0, int(setting))
        except ValueError:
            raise ValueError(f"LOKIKIRJA_INGEST_WORKERS must be a whole number, not {setting!r}") from None
    return min(os.cpu_count() or 1, MAX_WORKERS)


def _start(key: bytes, valid_time: ValidTime) -> None:
    global _KEY, _VALID_TIME
    _KEY, _VALID_TIME = key, valid_time


def _prepare_here(lines: list[Line], now: datetime) -> Chunk:
    assert _VALID_TIME is not None
    return prepare(lines, _KEY, _VALID_TIME, now)


def prepared_chunks(chunks: Iterable[list[Line]], index_key: bytes, valid_time: ValidTime,
                    workers: int) -> Iterator[tuple[datetime, Chunk]]:
    """``(recording time, prepared chunk)`` for each chunk, in order. The workers start only when
    a second chunk comes; the first is prepared here while they start."""
    it = iter(chunks)
    first = next(it, None)
    if first is None:
        return
    second = next(it, None)
    if second is None or workers <= 0:
        for lines in itertools.chain([first], [] if second is None else [second], it):
            now = datetime.now(UTC)
            yield now, prepare(lines, index_key, valid_time, now)
        return
    rest = itertools.chain([second], it)
    pending: deque[tuple[datetime, Future[Chunk]]] = deque()
    context = multiprocessing.get_context("forkserver")  # not fork: the caller may run threads (progress, server)
    context.set_forkserver_preload(["ledger.ingest_prepare"])
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(index_key, valid_time))
    try:
        now = datetime.now(UTC)
        _top_up(pool, pending, rest, workers * AHEAD)
        yield now, prepare(first, index_key, valid_time, now)
        while pending:
            now, future = pending.popleft()
            _top_up(pool, pending, rest, workers * AHEAD)
            yield now, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _top_up(pool: ProcessPoolExecutor, pending: deque[tuple[datetime, Future[Chunk]]],
            rest: Iterator[list[Line]], window: int) -> None:
    """Submit chunks until ``window`` are in flight or the source is read."""
    while len(pending) < window and (lines := next(rest, None)) is not None:
        now = datetime.now(UTC)
        pending.append((now, pool.submit(_prepare_here, lines, now)))
