"""Ingest: JSON Lines in, validated and encrypted facts appended — all of a source or none of it.

A source (a file, or stdin) is read as a stream, one chunk of lines in memory at a time, inside
one append transaction (``Ledger.appending``). Every line is validated against the contract; a
line whose id is already stored (or came earlier in the same source) with the same content is a
duplicate and is skipped; with different content it is a conflict. When any line is bad the
transaction is rolled back, so nothing from that source is stored, and every problem (the first
100 in full) is reported as ``FILE:LINE: field: message``.

Beyond the contract's shapes, a fact's ``at`` must lie in the ledger's valid-time range and not in
the future (``ledger/validtime``), and a line is at most :data:`MAX_LINE_BYTES` long (the field
limits of ``ledger/events`` keep every valid line far shorter; docs/input.md).

The preparation of a chunk (``ledger/ingest_prepare``: parse, validate, fingerprint, write the
stored state) runs in worker processes for sources of more than one chunk (``ledger/ingest_pool``);
this module is the single writer: duplicates and conflicts against the log, data keys, encryption
of personal fields, the append.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.collector import collector_paused
from ledger.errors import MAX_LINES_LISTED, ConflictingEvent, InvalidInput, Problem
from ledger.events import PERSONAL_FIELDS
from ledger.ingest_pool import prepared_chunks, worker_count
from ledger.ingest_prepare import MAX_LINE_BYTES, Chunk, Line, Personal, Prepared
from ledger.privacy import blind_index, encrypt_field
from ledger.records import stored_state
from ledger.store import AppendTransaction, Ledger
from ledger.validtime import ValidTime

CHUNK = 5000


@dataclass
class IngestReport:
    ingested: int = 0
    duplicates: int = 0

    def add(self, other: IngestReport) -> None:
        self.ingested += other.ingested
        self.duplicates += other.duplicates


class _Problems:
    """The bad lines of one source: every problem of the first :data:`MAX_LINES_LISTED` bad lines is
    kept, the rest only counted. Lines are added in order."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.kept: list[Problem] = []
        self.total = 0  # bad lines
        self.conflicts = 0  # bad lines whose only problem is a reused id
        self._last_line = 0

    def add(self, line: int, field_: str, message: str, *, conflict: bool = False) -> None:
        if line != self._last_line:
            self._last_line = line
            self.total += 1
            self.conflicts += conflict
        if self.total <= MAX_LINES_LISTED:
            self.kept.append(Problem(self.source, line, field_, message))

    def raise_if_any(self) -> None:
        if self.total:
            cls = ConflictingEvent if self.conflicts == self.total else InvalidInput
            raise cls(self.kept, self.total)


def read_lines(stream: IO[bytes], on_bytes: Callable[[int], None] | None = None, *,
               limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` pairs of a binary stream, blank lines skipped; of a line longer than
    ``limit`` bytes only the first ``limit + 1`` are yielded (the rest is read past in pieces)."""
    number = 0
    while raw := stream.readline(limit + 1):
        number += 1
        if on_bytes is not None:
            on_bytes(len(raw))
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                if on_bytes is not None:
                    on_bytes(len(rest))
            if on_bytes is not None:
                on_bytes(len(rest))
        if raw.strip():
            yield number, raw


def _chunks(lines: Iterable[Line], size: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for item in lines:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _encrypted_state(uid: UUID, type_name: str, fp: str, personal: Personal, keys: dict[str, bytes],
                     index_key: bytes, recorded_text: str) -> bytes:
    """The stored state of a fact with personal fields: each encrypted under the subject's data
    key, the HETU blind-indexed."""
    text = str(uid)
    data, key = dict(personal.data), keys[personal.subject]
    hetu_index = blind_index(index_key, data["hetu"]) if "hetu" in data else None
    for name in PERSONAL_FIELDS[type_name]:
        if name in data:
            data[name] = encrypt_field(key, text, name, data[name])
    return stored_state(uid=text, type_name=type_name, given_at=personal.given_at, actor=personal.actor, data=data,
                        fp=fp, recorded_text=recorded_text, hetu_index=hetu_index)


def _append_chunk(tx: AppendTransaction, index_key: bytes, now: datetime, chunk: Chunk, problems: _Problems,
                  report: IngestReport) -> None:
    for line, field_, message in chunk.problems:
        problems.add(line, field_, message)
    ids = [UUID(bytes=p[1]) for p in chunk.prepared]
    stored = tx.stored_fingerprints(ids)
    fresh: list[tuple[UUID, Prepared]] = []
    in_chunk: dict[UUID, str] = {}
    for uid, p in zip(ids, chunk.prepared, strict=True):
        line, _, fp, *_rest = p
        if not _seen_before(stored.get(uid) or in_chunk.get(uid), fp, line, problems, report):
            in_chunk[uid] = fp
            fresh.append((uid, p))
    if problems.total or not fresh:
        return
    keys = tx.data_keys([personal.subject for _, (*_, personal) in fresh if personal is not None])
    recorded_text = now.isoformat(timespec="microseconds")
    tx.insert_stored([StoredEvent(originator_id=uid, originator_version=1, topic=type_name,
                                  state=state if personal is None else
                                  _encrypted_state(uid, type_name, fp, personal, keys, index_key, recorded_text))
                      for uid, (_, _, fp, type_name, state, personal) in fresh])
    report.ingested += len(fresh)


def ingest_stream(ledger: Ledger, source: str, stream: IO[bytes], *,
                  on_bytes: Callable[[int], None] | None = None, chunk_size: int = CHUNK,
                  valid_time: ValidTime | None = None, workers: int | None = None) -> IngestReport:
    """Ingest one source atomically. Raises ``InvalidInput`` (nothing stored) on any bad line.
    ``valid_time``: the range ``at`` must lie in (default: as configured, :meth:`ValidTime.from_env`);
    ``workers``: processes that prepare chunks beside this one (default: :func:`worker_count`)."""
    valid_time = valid_time or ValidTime.from_env()
    report = IngestReport()
    problems = _Problems(source)
    index_key = ledger.keys.index
    lone: tuple[int, str, Callable[[], str | None]] | None = None
    with ledger.appending() as tx:
        chunks = _chunks(read_lines(stream, on_bytes), chunk_size)
        workers = worker_count() if workers is None else workers
        for first, (now, chunk) in enumerate(prepared_chunks(chunks, index_key, valid_time, workers)):
            if first == 0 and chunk_size > 1 and _lone(chunk):  # a short chunk is the last: a one-fact source
                line, uid, fp, type_name, state, _ = chunk.prepared[0]
                lone = line, fp, tx.insert_if_absent(StoredEvent(
                    originator_id=UUID(bytes=uid), originator_version=1, topic=type_name, state=state))
            else:
                with collector_paused():  # a chunk's objects hold no cycles (ledger/collector.py)
                    _append_chunk(tx, index_key, now, chunk, problems, report)
        problems.raise_if_any()
    if lone is not None:  # known once committed; a reused id added nothing to the log
        line, fp, stored = lone
        if not _seen_before(stored(), fp, line, problems, report):
            report.ingested += 1
        problems.raise_if_any()
    return report


def _seen_before(earlier: str | None, fp: str, line: int, problems: _Problems, report: IngestReport) -> bool:
    """Whether a fact's id was stored, or came earlier in the source, with fingerprint ``earlier``:
    the same content is counted a duplicate, other content is a conflict of ``line``."""
    if earlier is None:
        return False
    if earlier == fp:
        report.duplicates += 1
    else:
        problems.add(line, "id", "is already used by an event with different content "
                     "(stored earlier, or earlier in this input)", conflict=True)
    return True


def _lone(chunk: Chunk) -> bool:
    """A chunk of one valid fact without personal fields (which need a data key read first)."""
    return not chunk.problems and len(chunk.prepared) == 1 and chunk.prepared[0][-1] is None
