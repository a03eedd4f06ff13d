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
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

import orjson
from pydantic import ValidationError

from ledger.errors import MAX_LINES_LISTED, ConflictingEvent, InvalidInput, Problem
from ledger.events import DATA_MODELS, PATTERN_DESCRIPTIONS, PERSONAL_FIELDS, parse_event, rfc3339_text
from ledger.privacy import blind_index, encrypt_field, fingerprint, personal_subject
from ledger.records import StoredFact, canonical_json
from ledger.store import AppendTransaction, Ledger
from ledger.validtime import ValidTime

CHUNK = 5000
MAX_LINE_BYTES = 64 * 1024
"""The longest line read: a valid event is a few kilobytes at most (the field limits of
``ledger/events``); a longer line is refused without being held in memory whole."""


@dataclass(frozen=True, slots=True)
class _Parsed:
    line: int
    event: Any
    uid: UUID
    doc: dict[str, Any]
    fp: str


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


BOM = b"\xef\xbb\xbf"

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this event type",
    "union_tag_not_found": "is required (the event type)",
    "json_invalid": "is not valid JSON",
}


def _problems_of(error: ValidationError) -> Iterator[tuple[str, str]]:
    for e in error.errors(include_url=False, include_input=False):
        loc = list(e["loc"])
        if loc and loc[0] in DATA_MODELS:
            loc = loc[1:]
        kind = e["type"]
        if kind.startswith("union_tag"):
            name = "type"
        elif not loc:
            name = "json" if kind == "json_invalid" or "type" in kind else "event"
        else:
            name = ".".join(str(p) for p in loc)
        message = _MESSAGES.get(kind) or e["msg"].removeprefix("Value error, ")
        if kind == "string_pattern_mismatch":
            message = PATTERN_DESCRIPTIONS.get(e.get("ctx", {}).get("pattern", ""), message)
        if kind == "too_long":
            message = f"has more than {e.get('ctx', {}).get('max_length')} items, the most this field may hold " \
                      "(docs/input.md)"
        if kind == "union_tag_invalid":
            message = "is not an event type that can be ingested"
        if kind == "model_attributes_type" or kind == "model_type":
            message = "must be a JSON object"
        yield name, message


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


def _chunks(lines: Iterable[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    chunk: list[tuple[int, bytes]] = []
    for item in lines:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _content_fingerprint(ledger: Ledger, event: Any, uid: str, doc: dict[str, Any]) -> str:
    """The fingerprint of what makes two facts "the same": the contract JSON with ``at`` in UTC."""
    content = {"actor": doc["actor"], "at": event.at.astimezone(UTC).isoformat(), "data": doc["data"],
               "id": uid, "type": doc["type"]}
    return fingerprint(ledger.keys, canonical_json(content))


def build_fact(event: Any, uid: UUID, doc: dict[str, Any], fp: str, keys: dict[str, bytes],
               index_key_of: Callable[[str], str], recorded_at: datetime) -> StoredFact:
    """The stored form of a validated event (``doc`` is its JSON as given): personal fields
    encrypted under the subject's data key, the HETU blind-indexed."""
    data: dict[str, Any] = doc["data"]
    hetu_index = None
    subject = personal_subject(event.type, data)
    if subject is not None:
        data = dict(data)
        if "hetu" in data:
            hetu_index = index_key_of(data["hetu"])
        for name in PERSONAL_FIELDS[event.type]:
            if name in data:
                data[name] = encrypt_field(keys[subject], str(uid), name, data[name])
    return StoredFact(id=uid, type=event.type, at=event.at, actor=event.actor,
                      recorded_at=recorded_at, data=data, fp=fp, hetu_index=hetu_index,
                      given_at=rfc3339_text(doc["at"]))


def _validated(chunk: list[tuple[int, bytes]], ledger: Ledger, problems: _Problems, valid_time: ValidTime,
               now: datetime) -> list[_Parsed]:
    parsed: list[_Parsed] = []
    for number, raw in chunk:
        if len(raw) > MAX_LINE_BYTES and len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            problems.add(number, "json", f"is longer than {MAX_LINE_BYTES // 1024} KiB, far more than any event "
                         "needs (docs/input.md)")
            continue
        if number == 1 and raw.startswith(BOM):
            problems.add(number, "json", "starts with a byte order mark (BOM), which JSON Lines does not allow; "
                         "save the file as UTF-8 without BOM")
            continue
        try:
            raw.decode("utf-8")
            event = parse_event(raw)
        except UnicodeDecodeError:
            problems.add(number, "json", "is not valid UTF-8")
            continue
        except ValidationError as error:
            for name, message in _problems_of(error):
                problems.add(number, name, message)
            continue
        late = valid_time.problem(event.at, now)
        if late is not None:
            problems.add(number, "at", late)
            continue
        doc = orjson.loads(raw)
        uid = UUID(event.id)
        parsed.append(_Parsed(number, event, uid, doc, _content_fingerprint(ledger, event, str(uid), doc)))
    return parsed


def _ingest_chunk(tx: AppendTransaction, ledger: Ledger, chunk: list[tuple[int, bytes]],
                  problems: _Problems, report: IngestReport, valid_time: ValidTime) -> None:
    now = datetime.now(UTC)  # the recording time of this chunk's facts
    parsed = _validated(chunk, ledger, problems, valid_time, now)
    stored = tx.stored_fingerprints([p.uid for p in parsed])
    fresh: list[_Parsed] = []
    in_chunk: dict[UUID, str] = {}
    for p in parsed:
        earlier = stored.get(p.uid) or in_chunk.get(p.uid)
        if earlier is None:
            in_chunk[p.uid] = p.fp
            fresh.append(p)
        elif earlier == p.fp:
            report.duplicates += 1
        else:
            problems.add(p.line, "id", "is already used by an event with different content "
                         "(stored earlier, or earlier in this input)", conflict=True)
    if problems.total or not fresh:
        return
    keys = tx.data_keys([s for p in fresh if (s := personal_subject(p.event.type, p.doc["data"]))])
    index = functools.partial(blind_index, ledger.keys)
    facts = [build_fact(p.event, p.uid, p.doc, p.fp, keys, index, now) for p in fresh]
    tx.insert(facts)
    report.ingested += len(facts)


def ingest_stream(ledger: Ledger, source: str, stream: IO[bytes], *,
                  on_bytes: Callable[[int], None] | None = None, chunk_size: int = CHUNK,
                  valid_time: ValidTime | None = None) -> IngestReport:
    """Ingest one source atomically. Raises ``InvalidInput`` (nothing stored) on any bad line.
    ``valid_time``: the range ``at`` must lie in (default: as configured, :meth:`ValidTime.from_env`)."""
    valid_time = valid_time or ValidTime.from_env()
    report = IngestReport()
    problems = _Problems(source)
    with ledger.appending() as tx:
        for chunk in _chunks(read_lines(stream, on_bytes), chunk_size):
            _ingest_chunk(tx, ledger, chunk, problems, report, valid_time)
        problems.raise_if_any()
    return report
