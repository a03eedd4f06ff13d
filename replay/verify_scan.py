"""One segment of the log, streamed for ``verify``: leaf hashes, 256-leaf block hashes checked
against the seal's stored subtrees, and — where a block differs — which leaf differs and how.

:class:`Scanner` runs in the verifying process or in a forked worker (:func:`scan_in_worker`,
on a connection of its own); it returns what :mod:`replay.verify` needs to check the signed
roots: the block hashes, the partial subtrees at each checkpoint size, and the first problem.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson

from ledger import merkle
from ledger.db import Cursor
from ledger.seal import PAGE, Seal, SealedLeaf, leaf_hashes

BLOCK_LEVEL = 8
BLOCK = 1 << BLOCK_LEVEL
Progress = Callable[[int], None]


@dataclass(frozen=True)
class BadPosition:
    """The first problem: its position — the 0-based place in the log's total order, which is the
    leaf index (CONTRACT §7) — the event (``None`` where none applies) and why."""

    position: int
    event: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "event": self.event, "reason": self.reason}


class Found(Exception):
    def __init__(self, bad: BadPosition) -> None:
        super().__init__(bad.reason)
        self.bad = bad


@dataclass(frozen=True)
class Segment:
    """Leaves from ``first_leaf`` on, at positions ``after < p ≤ stop`` (``None``: to the end)."""

    first_leaf: int
    after: int
    stop: int | None


@dataclass
class Scanned:
    count: int = 0
    blocks: list[bytes] = field(default_factory=list)
    parts: dict[int, list[bytes]] = field(default_factory=dict)  # size → subtrees of its open block
    bad: BadPosition | None = None


class Scanner:
    """Streams one segment: leaf hashes, block hashes checked against the seal, what the
    checkpoints at ``marks`` need."""

    def __init__(self, seal: Seal, cur: Cursor, sealed: int, marks: set[int], progress: Progress) -> None:
        self.seal, self.cur, self.sealed, self.marks, self.progress = seal, cur, sealed, marks, progress
        self.out = Scanned()
        self.rows: list[tuple[int, bytes]] = []  # (position, state) of the open block
        self.hashes: list[bytes] = []
        self.size = 0
        self.nodes: dict[int, bytes] = {}
        self.nodes_from = -PAGE - 1
        self.subtrees: dict[merkle.Node, bytes] = {}

    def run(self, segment: Segment) -> Scanned:
        self.size, after = segment.first_leaf, segment.after
        marks = deque(sorted(m for m in self.marks if m >= self.size))
        try:
            while rows := self.seal.log_page(self.cur, after, PAGE, stop=segment.stop):
                self._consume(rows, marks)
                after = rows[-1][0]
                self.progress(len(rows))
            self._compare_open_block()
        except Found as found:
            self.out.bad = found.bad
        self.out.count = self.size - segment.first_leaf
        return self.out

    def _consume(self, rows: list[tuple[int, bytes]], marks: deque[int]) -> None:
        hashes = leaf_hashes(self.size, rows)
        k = 0
        while k < len(rows):
            take = min(BLOCK - len(self.hashes), len(rows) - k)
            while marks and marks[0] <= self.size:
                marks.popleft()
            if marks and marks[0] < self.size + take:
                take = marks[0] - self.size
            self.rows += rows[k : k + take]
            self.hashes += hashes[k : k + take]
            self.size += take
            k += take
            if self.size in self.marks:
                self._mark()
            if len(self.hashes) == BLOCK:
                self._close_block()

    def _mark(self) -> None:
        """Record what the checkpoint of the current size needs: the open block's subtrees."""
        start = self.size - len(self.hashes)
        parts = []
        for n in merkle.range_nodes(start, self.size) if self.hashes else []:
            if n not in self.subtrees:  # several checkpoints in one block share their subtrees
                self.subtrees[n] = merkle.perfect_root(self.hashes[n.start - start : n.end - start])
            parts.append(self.subtrees[n])
        self.out.parts[self.size] = parts

    def _close_block(self) -> None:
        start = self.size - BLOCK
        digest = merkle.perfect_root(self.hashes)
        if start < self.sealed:
            stored = self._stored_block(start >> BLOCK_LEVEL)
            if self.size > self.sealed or stored != digest:
                self._compare_open_block()
            if self.size <= self.sealed and stored != digest:
                raise Found(BadPosition(start, None, (
                    f"seal: the stored subtree hash of leaves {start}–{self.size - 1} does not match them, though "
                    "every leaf does (the seal's node table was altered)")))
        self.out.blocks.append(digest)
        self.rows, self.hashes, self.subtrees = [], [], {}

    def _stored_block(self, index: int) -> bytes | None:
        if not self.nodes_from <= index < self.nodes_from + PAGE:
            rows = self.cur.execute(f"SELECT idx, hash FROM {self.seal.nodes} WHERE level = %s AND idx >= %s "
                                    "ORDER BY idx LIMIT %s", (BLOCK_LEVEL, index, PAGE)).fetchall()
            self.nodes = {idx: bytes(digest) for idx, digest in rows}
            self.nodes_from = index
        return self.nodes.get(index)

    def _compare_open_block(self) -> None:
        """Compare the open block's leaves with the sealed ones; raise on the first difference."""
        start = self.size - len(self.hashes)
        end = min(self.size, self.sealed)
        if start >= end:
            return
        sealed = {leaf.leaf_index: leaf for leaf in self.seal.sealed_leaves(self.cur, start, end)}
        for index in range(start, end):
            position, state = self.rows[index - start]
            expected = sealed.get(index)
            if expected is None:
                raise Found(BadPosition(index, None, (
                    f"seal: leaf {index} is missing from the seal's leaf table (the seal tables were altered)")))
            if expected.position != position or expected.hash != self.hashes[index - start]:
                raise Found(_classify(self.seal, self.cur, index, position, state, expected))


def _event_id(state: bytes) -> UUID | None:
    try:
        return UUID(orjson.loads(state)["id"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None


def _classify(seal: Seal, cur: Cursor, index: int, position: int, state: bytes,
              expected: SealedLeaf) -> BadPosition:
    """What happened at leaf ``index`` (stored at ``position``), whose stored event differs from
    the sealed one. Positions in the report are leaf indexes: 0-based places in the log's order."""
    sealed_position, sealed_event = expected.position, UUID(bytes=expected.event)
    if position > sealed_position:
        where = seal.event_rows(cur, [sealed_event]).get(sealed_event)
        what = "deleted" if where is None else "moved"
        now = ("is missing from the log" if where is None
               else f"is now at position {seal.count_before(cur, where.position)}")
        return BadPosition(index, str(sealed_event), f"{what}: event {sealed_event} sealed at position {index} {now}")
    found = _event_id(state)
    keyed = seal.event_rows(cur, [sealed_event]).get(sealed_event)  # where the sealed id's row is now
    if found is None or found == sealed_event or (keyed is not None and keyed.position == position):
        return BadPosition(index, str(sealed_event),
                           f"altered: the stored event at position {index} is not the one sealed there")
    elsewhere = seal.find_sealed_event(cur, found.bytes)
    if elsewhere is not None:
        kind = "reordered" if position == sealed_position else "moved"
        return BadPosition(index, str(found), f"{kind}: position {index} holds event {found}, "
                                              f"which was sealed at position {elsewhere.leaf_index}")
    if position == sealed_position and keyed is None:
        return BadPosition(index, str(found), f"replaced: position {index} holds event {found}, "
                                              f"never sealed, instead of {sealed_event}")
    return BadPosition(index, str(found), f"inserted: event {found} at position {index} was never sealed")


# ---------------------------------------------------------------------- in a forked worker

FORKED: dict[str, Any] = {}  # set by the parent just before it forks its workers


def scan_in_worker(segment: Segment) -> Scanned:
    """Runs in a forked worker: scan ``segment`` on a connection of its own."""
    job: Any = FORKED["job"]
    counter = FORKED["counter"]

    def advance(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    with own_cursor(job.seal, FORKED["snapshot"]) as cur:
        return Scanner(job.seal, cur, job.sealed, job.marks, advance).run(segment)


@contextmanager
def own_cursor(seal: Seal, snapshot: str | None) -> Iterator[Cursor]:
    """A read cursor on a connection of this process's own (PostgreSQL: on ``snapshot``)."""
    with seal.ledger.target.own_cursor(snapshot) as cur:
        yield cur
