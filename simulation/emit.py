"""Writing events and the truth file in time order, streaming.

Events are produced out of order within a stretch of time (a day's morning jobs, office work and
injected violations interleave), so the :class:`Emitter` buffers them and writes everything before
a *watermark* in (at, id) order when told to (:meth:`Emitter.flush`). Once a watermark is written
no earlier event may follow — :meth:`Emitter.emit` refuses it — so the file is sorted by ``at``
while memory holds at most one stretch (a day) of events.

Event ids are UUIDv5 (RFC 4122) of a per-seed namespace and a serial number: the same seed gives
the same ids and the same bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from typing import IO, Any

import orjson

from simulation.clock import rfc3339


class OrderError(RuntimeError):
    """An event was emitted before time already written: a simulator bug."""


class Emitter:
    """Buffers events and truth lines; flushes them to the outputs up to a watermark."""

    def __init__(self, out: IO[bytes], truth: IO[bytes] | None, *, seed: int) -> None:
        self._out, self._truth = out, truth
        self._ns = hashlib.sha1(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:lokikirja:simulate:{seed}").bytes)
        self._serial = 0
        self._events: list[tuple[int, str, bytes]] = []
        self._truths: list[tuple[int, str, str]] = []
        self._written = -(1 << 62)
        self.counts: Counter[str] = Counter()
        """Events written, by type."""
        self.rules: Counter[str] = Counter()
        """Truth lines written, by rule."""
        self.horizon = 0
        """The latest instant emitted so far."""

    def emit(self, type_: str, ts: int, actor: str, data: dict[str, Any]) -> str:
        """Buffer one event at instant ``ts``; returns its id."""
        if ts < self._written:
            raise OrderError(f"{type_} at {rfc3339(ts)} is before time already written")
        self._serial += 1
        event_id = self._uuid5(self._serial)
        # orjson's bytes keep a 4 KiB allocation; a compact copy keeps a day of events small
        line = bytes(memoryview(orjson.dumps(
            {"id": event_id, "type": type_, "at": rfc3339(ts), "actor": actor, "data": data})))
        self._events.append((ts, event_id, line))
        self.counts[type_] += 1
        if ts > self.horizon:
            self.horizon = ts
        return event_id

    def _uuid5(self, serial: int) -> str:
        """``str(uuid.uuid5(namespace, str(serial)))``, computed without the ``uuid`` module's overhead."""
        h = self._ns.copy()
        h.update(str(serial).encode())
        b = bytearray(h.digest()[:16])
        b[6] = (b[6] & 0x0F) | 0x50
        b[8] = (b[8] & 0x3F) | 0x80
        x = b.hex()
        return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"

    def violation(self, ts: int, event_id: str, *rules: str) -> None:
        """Record that the event ``event_id`` (at ``ts``) breaks each of ``rules``."""
        for rule in rules:
            self._truths.append((ts, event_id, rule))

    def flush(self, watermark: int) -> None:
        """Write every buffered event and truth line before ``watermark``, in (at, id) order."""
        self._events.sort()
        cut = _cut(self._events, watermark)
        self._out.write(b"\n".join(line for _, _, line in self._events[:cut]))
        if cut:
            self._out.write(b"\n")
        del self._events[:cut]
        self._truths.sort()
        cut = _cut(self._truths, watermark)
        for _, event_id, rule in self._truths[:cut]:
            self.rules[rule] += 1
            if self._truth is not None:
                self._truth.write(orjson.dumps({"event": event_id, "rule": rule}) + b"\n")
        del self._truths[:cut]
        self._written = max(self._written, watermark)

    def close(self) -> None:
        """Write everything still buffered."""
        self.flush(1 << 62)


def _cut(rows: list[Any], watermark: int) -> int:
    lo, hi = 0, len(rows)
    while lo < hi:
        mid = (lo + hi) // 2
        if rows[mid][0] < watermark:
            lo = mid + 1
        else:
            hi = mid
    return lo
