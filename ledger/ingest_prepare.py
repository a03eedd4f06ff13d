"""The work of ingest that needs no database: parse and validate a chunk of lines, fingerprint each
fact, and write the stored state of every fact that holds no personal field.

It is a pure function of the lines, the fingerprint key, the valid-time range and the recording
time, so :mod:`ledger.ingest_pool` can run it in worker processes beside the one writer. A fact
with personal fields comes back as :class:`Personal`: its fields are encrypted under the
subject's data key, which only the writer's transaction can read or create (``ledger/privacy``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

import orjson
from pydantic import ValidationError

from ledger.events import DATA_MODELS, PATTERN_DESCRIPTIONS, parse_event, rfc3339_text
from ledger.privacy import fingerprint, personal_subject
from ledger.records import canonical_json, stored_state
from ledger.validtime import ValidTime

MAX_LINE_BYTES = 64 * 1024
"""The longest line read: a valid event is a few kilobytes at most (the field limits of
``ledger/events``); a longer line is refused without being held in memory whole."""

BOM = b"\xef\xbb\xbf"

Line = tuple[int, bytes]
LineProblem = tuple[int, str, str]  # (line, field, message)


class Personal(NamedTuple):
    """What the writer needs to store a fact whose personal fields it must first encrypt."""

    subject: str
    at: datetime
    actor: str
    data: dict[str, Any]
    given_at: str


Prepared = tuple[int, bytes, str, str, bytes | None, Personal | None]
"""One valid line: ``(line, id, fingerprint, type, state, personal)`` — its id as 16 bytes, and
either its stored state (no personal field) or its :class:`Personal` parts. A plain tuple: it
crosses from a worker process at a third of a named tuple's cost."""


class Chunk(NamedTuple):
    """A chunk's valid lines and its problems, both in line order."""

    prepared: list[Prepared]
    problems: list[LineProblem]


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this event type",
    "union_tag_not_found": "is required (the event type)",
    "json_invalid": "is not valid JSON",
}


def problems_of(error: ValidationError) -> Iterator[tuple[str, str]]:
    """``(field, message)`` for each error pydantic found in one line."""
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


def content_fingerprint(index_key: bytes, uid: str, type_name: str, at: datetime, actor: str,
                        data: dict[str, Any]) -> str:
    """The fingerprint of what makes two facts "the same": the contract JSON with ``at`` in UTC."""
    content = {"actor": actor, "at": at.astimezone(UTC).isoformat(), "data": data, "id": uid, "type": type_name}
    return fingerprint(index_key, canonical_json(content))


def _line_problem(number: int, raw: bytes) -> str | None:
    if len(raw) > MAX_LINE_BYTES and len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
        return f"is longer than {MAX_LINE_BYTES // 1024} KiB, far more than any event needs (docs/input.md)"
    if number == 1 and raw.startswith(BOM):
        return "starts with a byte order mark (BOM), which JSON Lines does not allow; save the file as UTF-8 " \
               "without BOM"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "is not valid UTF-8"
    return None


def prepare(lines: list[Line], index_key: bytes, valid_time: ValidTime, now: datetime) -> Chunk:
    """Validate ``lines`` and prepare each valid one for the append (``now``: the recording time)."""
    recorded_text = now.isoformat(timespec="microseconds")
    prepared: list[Prepared] = []
    problems: list[LineProblem] = []
    for number, raw in lines:
        if (bad := _line_problem(number, raw)) is not None:
            problems.append((number, "json", bad))
            continue
        try:
            event = parse_event(raw)
        except ValidationError as error:
            problems += [(number, name, message) for name, message in problems_of(error)]
            continue
        if (late := valid_time.problem(event.at, now)) is not None:
            problems.append((number, "at", late))
            continue
        doc = orjson.loads(raw)
        uid = UUID(event.id)
        text, data = str(uid), doc["data"]
        fp = content_fingerprint(index_key, text, doc["type"], event.at, doc["actor"], data)
        given_at = rfc3339_text(doc["at"])
        subject = personal_subject(event.type, data)
        if subject is None:
            state = stored_state(uid=text, type_name=event.type, given_at=given_at, actor=event.actor, data=data,
                                 fp=fp, recorded_text=recorded_text)
            prepared.append((number, uid.bytes, fp, event.type, state, None))
        else:
            prepared.append((number, uid.bytes, fp, event.type, None,
                             Personal(subject, event.at, event.actor, data, given_at)))
    return Chunk(prepared, problems)
