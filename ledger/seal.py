"""The Merkle seal: every stored event, in log order, becomes a leaf of an RFC 6962 tree.

**Leaf encoding** (defined here once; the sealer, ``verify`` and the proofs import it)::

    leaf = b"lokikirja/leaf/v1\\n" ‖ u64be(leaf_index) ‖ u64be(position) ‖ state

``leaf_index`` counts stored events from 0 with no gaps; ``position`` is the event's notification
id (PostgreSQL ids may have gaps, leaf indexes never do); ``state`` is the stored event's
``state`` column byte for byte (canonical JSON with id, type, at, actor, recorded_at and the data
as stored — ciphertext where encrypted, see ``ledger/records.py``). Leaf hash ``SHA-256(0x00 ‖ leaf)``.

**Storage** (Lokikirja's own tables, append-only: triggers refuse UPDATE and DELETE):

- ``seal_leaves(leaf_index, position, event, hash)``: one row per leaf; ``event`` is the 16-byte id;
- ``seal_nodes(level, idx, hash)``: every perfect subtree of ``2^level`` ≥ 16 leaves, written
  when it completes (smaller ones are folded from ≤ 16 leaf rows), so any root or proof costs a
  few indexed reads;
- ``checkpoints``: signed tree heads (``ledger/checkpoints.py``);
- ``checkpoint_signatures``: the signature lines of each checkpoint's C2SP note — the log's own
  and the witnesses' cosignatures (``ledger/witnesses.py``).

Sealing follows the log like the read model, as a :class:`~ledger.follower.Follower` (ADR 0003,
ADR 0010): a page of events after the tracked position, its seal rows and the tracking position
``Lokikirja/seal`` (eventsourcing's tracking recorder) in one transaction, under the follower's
lock that serialises sealers.
"""

from __future__ import annotations

import bisect
import hashlib
import struct
import weakref
from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple
from uuid import UUID

from ledger import merkle
from ledger.db import Cursor
from ledger.errors import IntegrityFailure
from ledger.follower import Follower, page_tracker
from ledger.merkle import Node
from ledger.store import Ledger

LEAF_TAG = b"lokikirja/leaf/v1\n"
_HEADER = struct.Struct(">QQ")
SEAL_FOLLOWER = "seal"
SEAL_NAME = f"Lokikirja/{SEAL_FOLLOWER}"  # its tracking name
PAGE = 5000
STORED_LEVEL = 4  # perfect subtrees of 2^4 = 16 leaves and more are stored
_READY: weakref.WeakSet[Ledger] = weakref.WeakSet()  # open ledgers whose seal tables exist


class SealedLeaf(NamedTuple):
    """One row of the seal's leaf table: the event ``event`` at log ``position`` is leaf ``leaf_index``."""

    leaf_index: int
    position: int
    event: bytes  #: the event id's 16 bytes
    hash: bytes  #: the RFC 6962 leaf hash


class StoredEvent(NamedTuple):
    """Where an event is stored in the log, and its stored state."""

    position: int
    state: bytes


def leaf_bytes(leaf_index: int, position: int, state: bytes) -> bytes:
    """The canonical leaf of the stored event at ``position`` (see the module docstring)."""
    return LEAF_TAG + _HEADER.pack(leaf_index, position) + state


def leaf_hashes(first_index: int, rows: Sequence[tuple[int, bytes]]) -> list[bytes]:
    """``leaf_hash(leaf_bytes(i, position, state))`` of ``(position, state)`` rows numbered from
    ``first_index`` — the same encoding as :func:`leaf_bytes`, in one pass for speed."""
    prefix, pack, sha = b"\x00" + LEAF_TAG, _HEADER.pack, hashlib.sha256
    try:
        return [sha(prefix + pack(i, p) + s).digest() for i, (p, s) in enumerate(rows, first_index)]
    except TypeError:  # a state that is not bytes (see stored_bytes): the rare path, checked only then
        return [sha(prefix + pack(i, p) + stored_bytes(s)).digest() for i, (p, s) in enumerate(rows, first_index)]


def stored_bytes(value: Any) -> bytes:
    """A stored state as bytes. SQLite keeps whatever type a value was written with: a state an
    attacker wrote back as text (or a number) is hashed as its UTF-8 text, and so fails the seal."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


class Seal:
    """The seal tables of one ledger, and the log read the way the seal reads it."""

    def __init__(self, ledger: Ledger, *, create: bool = True) -> None:
        self.ledger = ledger
        self.db = ledger.db
        self.leaves = self.db.table("seal_leaves")
        self.nodes = self.db.table("seal_nodes")
        self.checkpoints = self.db.table("checkpoints")
        self.signatures = self.db.table("checkpoint_signatures")
        self.recorder = ledger.recorder
        self.events = self.recorder.events_table
        self.position_column = self.recorder.position_column
        self._tracker: Any = None
        if create and ledger not in _READY:
            with self.db.setup_lock():
                self._create_tables()
            _READY.add(ledger)

    # ------------------------------------------------------------------ schema
    def _exists(self) -> bool:
        with self.db.read() as cur:
            return self.db.table_exists(cur, self.signatures)

    def _create_tables(self) -> None:
        if self._exists():
            return
        b, n = self.db.BLOB, self.db.BIGINT
        rowid = self.db.CLUSTERED
        tables = {
            self.leaves: f"leaf_index {n} PRIMARY KEY, position {n} NOT NULL UNIQUE, event {b} NOT NULL, "
                         f"hash {b} NOT NULL",
            self.nodes: f"level INTEGER NOT NULL, idx {n} NOT NULL, hash {b} NOT NULL, PRIMARY KEY (level, idx)",
            self.checkpoints: f"tree_size {n} PRIMARY KEY, root_hash {b} NOT NULL, timestamp TEXT NOT NULL, "
                              f"key_id TEXT NOT NULL, signature {b} NOT NULL",
            # every signature line of each checkpoint's C2SP note: the log's own and the witnesses'
            self.signatures: f"tree_size {n} NOT NULL, origin TEXT NOT NULL, name TEXT NOT NULL, "
                             f"key_hash {n} NOT NULL, signature {b} NOT NULL, role TEXT NOT NULL, "
                             "PRIMARY KEY (tree_size, name, key_hash)",
        }
        with self.db.write() as cur:
            for table, columns in tables.items():
                cur.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns}){rowid if table == self.nodes else ''}")
                for statement in self._append_only(table):
                    cur.execute(statement)
            # the witnesses the log asks to cosign (ledger/witnesses.py): configuration, not evidence
            cur.execute(f"CREATE TABLE IF NOT EXISTS {self.db.table('witnesses')} (name TEXT PRIMARY KEY, "
                        "vkey TEXT NOT NULL, url TEXT NOT NULL, added_at TEXT NOT NULL)")
        self.tracker.create_table()  # the library's tracking table (on SQLite shared with the views)
        self._forward_only_tracking()

    def _append_only(self, table: str) -> list[str]:
        return self.db.append_only_statements(table, what="the seal", function="lokikirja_seal_refuse_change")

    @property
    def tracker(self) -> Any:
        """eventsourcing's tracking recorder for ``Lokikirja/seal`` on the ledger's datastore."""
        if self._tracker is None:
            self._tracker = page_tracker(self.ledger, SEAL_FOLLOWER)
        return self._tracker

    def _forward_only_tracking(self) -> None:
        """Where the seal has a tracking table of its own: its position only moves forward."""
        statements = self.db.forward_only_tracking_statements(SEAL_FOLLOWER, what="the seal''s")
        if not statements:
            return
        with self.db.write() as cur:
            for statement in statements:
                cur.execute(statement)

    # ------------------------------------------------------------------ reading
    def log_page(self, cur: Cursor, after: int, limit: int, *, stop: int | None = None,
                 with_event: bool = False) -> list[tuple[Any, ...]]:
        """Stored events with ``after < position ≤ stop`` in log order, at most ``limit``:
        ``(position, state)`` rows, or ``(position, event id bytes, state)`` with ``with_event``."""
        col = self.position_column
        fields = f"{col}, originator_id, state" if with_event else f"{col}, state"
        # ``stop`` is applied here, not in SQL: a two-sided range can make PostgreSQL sort the range
        statement = f"SELECT {fields} FROM {self.events} WHERE {col} > %s ORDER BY {col} LIMIT %s"
        rows = cur.fetch_binary(statement, (after, limit))
        if stop is not None and rows and rows[-1][0] > stop:
            rows = rows[: bisect.bisect_right(rows, stop, key=lambda r: r[0])]
        if not with_event:
            return rows
        id_bytes = self.recorder.event_id_bytes
        return [(position, id_bytes(event), state) for position, event, state in rows]

    def last_position(self, cur: Cursor) -> int:
        """The largest position in the log (0 when empty)."""
        return int(cur.scalar(f"SELECT MAX({self.position_column}) FROM {self.events}") or 0)

    def event_rows(self, cur: Cursor, events: Sequence[UUID]) -> dict[UUID, StoredEvent]:
        """``{id: (position, state)}`` of the stored events with the given ids (absent ones left out)."""
        out: dict[UUID, StoredEvent] = {}
        for i in range(0, len(events), 500):
            part = events[i : i + 500]
            marks, params = self.db.in_list([self.recorder.event_id_param(u) for u in part])
            statement = (f"SELECT originator_id, {self.position_column}, state FROM {self.events} "
                         f"WHERE originator_id IN {marks}")
            rows = cur.fetch_binary(statement, params)
            for key, position, state in rows:
                out[key if isinstance(key, UUID) else UUID(hex=key)] = StoredEvent(position, stored_bytes(state))
        return out

    def count_after(self, cur: Cursor, after: int) -> int:
        return int(cur.scalar(f"SELECT COUNT(*) FROM {self.events} WHERE {self.position_column} > %s", (after,)))

    def count_before(self, cur: Cursor, position: int) -> int:
        """How many stored events lie before ``position``: its 0-based place in the log's order."""
        return int(cur.scalar(f"SELECT COUNT(*) FROM {self.events} WHERE {self.position_column} < %s", (position,)))

    def head(self, cur: Cursor) -> tuple[int, int]:
        """``(sealed tree size, position of the last sealed event)``; ``(0, 0)`` before any."""
        row = cur.execute(f"SELECT leaf_index, position FROM {self.leaves} ORDER BY leaf_index DESC LIMIT 1").fetchone()
        if row is None:
            return 0, 0
        leaf, position = row
        return leaf + 1, position

    def leaves_at(self, cur: Cursor, positions: Sequence[int]) -> dict[int, SealedLeaf]:
        """``{position: leaf}`` of the sealed leaves at ``positions``."""
        out: dict[int, SealedLeaf] = {}
        for i in range(0, len(positions), 500):
            marks, params = self.db.in_list(positions[i : i + 500])
            for index, position, event, digest in cur.execute(
                    f"SELECT leaf_index, position, event, hash FROM {self.leaves} WHERE position IN {marks}", params):
                out[position] = SealedLeaf(index, position, bytes(event), bytes(digest))
        return out

    def positions_of_leaves(self, cur: Cursor, leaves: Sequence[int]) -> dict[int, int]:
        """``{leaf index: log position}`` of sealed leaves."""
        out: dict[int, int] = {}
        for i in range(0, len(leaves), 500):
            marks, params = self.db.in_list(list(leaves[i : i + 500]))
            out.update(cur.execute(f"SELECT leaf_index, position FROM {self.leaves} WHERE leaf_index IN {marks}",
                                   params).fetchall())
        return out

    def find_sealed_event(self, cur: Cursor, event: bytes) -> SealedLeaf | None:
        """The leaf ``event`` was sealed as. Not indexed (a full scan): for explaining a failed
        verification only."""
        row = cur.execute(f"SELECT leaf_index, position, event, hash FROM {self.leaves} WHERE event = %s",
                          (event,)).fetchone()
        if row is None:
            return None
        index, position, sealed, digest = row
        return SealedLeaf(index, position, bytes(sealed), bytes(digest))

    def sealed_leaves(self, cur: Cursor, start: int, end: int) -> list[SealedLeaf]:
        """The sealed leaves ``start ≤ i < end``, in order."""
        rows = cur.execute(f"SELECT leaf_index, position, event, hash FROM {self.leaves} "
                           "WHERE leaf_index >= %s AND leaf_index < %s ORDER BY leaf_index", (start, end)).fetchall()
        return [SealedLeaf(index, position, bytes(event), bytes(digest)) for index, position, event, digest in rows]

    def source(self, cur: Cursor) -> StoredNodes:
        return StoredNodes(self, cur)

    def position(self) -> int:
        """The last log position sealed (the tracking position of ``Lokikirja/seal``)."""
        return self.tracker.max_tracking_id(SEAL_NAME) or 0

    # ------------------------------------------------------------------ sealing
    def seal_rows(self, cur: Cursor, rows: list[tuple[int, bytes, bytes]], after: int) -> None:
        """Seal ``(position, event id, state)`` rows that follow the event at position ``after``,
        inside the page's transaction: their leaves and the subtrees they complete."""
        size, last = self.head(cur)
        if last != after:
            raise IntegrityFailure(f"the seal's leaves end at position {last} but its tracking says {after}: "
                                   "the seal tables were altered; run `lokikirja verify`")
        hashes = leaf_hashes(size, [(position, state) for position, _, state in rows])
        nodes = self._completed_nodes(cur, size, hashes)
        leaf_rows = [(size + i, position, event, h)
                     for i, ((position, event, _), h) in enumerate(zip(rows, hashes, strict=True))]
        self._insert(cur, leaf_rows, nodes)

    def _completed_nodes(self, cur: Cursor, size: int, hashes: list[bytes]) -> list[tuple[int, int, bytes]]:
        frontier = merkle.range_nodes(0, size) if size else []
        known = self.source(cur).node_hashes(frontier)
        out: list[tuple[int, int, bytes]] = []

        def keep(node: Node, digest: bytes) -> None:
            if node.level >= STORED_LEVEL:
                out.append((node.level, node.index, digest))

        tree = merkle.CompactRange(size, [known[n] for n in frontier], on_node=keep)
        for h in hashes:
            tree.append(h)
        return out

    def _insert(self, cur: Cursor, leaf_rows: list[tuple[int, int, bytes, bytes]],
                nodes: list[tuple[int, int, bytes]]) -> None:
        cur.insert_rows(self.leaves, leaf_rows, columns=("leaf_index", "position", "event", "hash"),
                        types=("int8", "int8", "bytea", "bytea"))
        cur.executemany(f"INSERT INTO {self.nodes} VALUES (%s, %s, %s)", nodes)


class StoredNodes:
    """A :class:`ledger.merkle.NodeSource` over the seal tables, inside one transaction."""

    def __init__(self, seal: Seal, cur: Cursor) -> None:
        self.seal, self.cur = seal, cur

    def node_hashes(self, nodes: Collection[Node]) -> dict[Node, bytes]:
        high = sorted(n for n in nodes if n.level >= STORED_LEVEL)
        low = [n for n in nodes if n.level < STORED_LEVEL]
        out = self._stored(high) if high else {}
        if low:
            leaves = self._leaf_hashes(sorted({i for n in low for i in range(n.start, n.end)}))
            out.update(_low_nodes(low, leaves))
        missing = [n for n in nodes if n not in out]
        if missing:
            raise IntegrityFailure(f"the seal has no stored hash of {len(missing)} subtree(s) it needs "
                                   f"(e.g. level {missing[0].level}, index {missing[0].index}); run `lokikirja verify`")
        return out

    def _stored(self, nodes: list[Node]) -> dict[Node, bytes]:
        """The stored hashes of ``nodes`` (levels ≥ STORED_LEVEL)."""
        queries = self.seal.db.pairs_in(("level", "idx"), ("int", "bigint"), [(n.level, n.index) for n in nodes])
        out: dict[Node, bytes] = {}
        for where, params in queries:
            for level, idx, digest in self.cur.execute(
                    f"SELECT level, idx, hash FROM {self.seal.nodes} WHERE {where}", params).fetchall():
                out[Node(level, idx)] = bytes(digest)
        return out

    def _leaf_hashes(self, indexes: list[int]) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        for i in range(0, len(indexes), 500):
            marks, params = self.seal.db.in_list(indexes[i : i + 500])
            for index, digest in self.cur.execute(
                    f"SELECT leaf_index, hash FROM {self.seal.leaves} WHERE leaf_index IN {marks}", params):
                out[index] = bytes(digest)
        return out


def _low_nodes(nodes: list[Node], leaves: dict[int, bytes]) -> dict[Node, bytes]:
    """The hashes of perfect subtrees below :data:`STORED_LEVEL` from their leaf hashes, each inner
    node hashed once however many of the ``nodes`` share it (the nodes of a proof batch over
    neighbouring leaves are mostly each other's children). A node missing a leaf is left out."""
    known: dict[tuple[int, int], bytes | None] = {}

    def digest(level: int, index: int) -> bytes | None:
        found = known.get((level, index), _UNSEEN)
        if found is _UNSEEN:
            if level == 0:
                found = leaves.get(index)
            else:
                left, right = digest(level - 1, 2 * index), digest(level - 1, 2 * index + 1)
                found = None if left is None or right is None else merkle.node_hash(left, right)
            known[(level, index)] = found
        return found

    out: dict[Node, bytes] = {}
    for n in nodes:
        if (d := digest(n.level, n.index)) is not None:
            out[n] = d
    return out


_UNSEEN: Any = object()


class SealFollower(Follower):
    """The seal as a follower of the log (``ledger/follower.py``, ADR 0010): pages of raw
    ``(position, event id, state)`` rows — the seal hashes stored bytes and parses nothing — each
    sealed with its tracking position in one transaction, under the follower's lock."""

    name = SEAL_FOLLOWER

    def __init__(self, ledger: Ledger) -> None:
        self.seal = Seal(ledger)  # the seal's own tables first (append-only triggers and all)
        super().__init__(ledger)

    def create_statements(self) -> list[str]:
        return []  # made by Seal, with their triggers

    def table_names(self) -> list[str]:
        return [self.seal.leaves, self.seal.nodes]

    def read(self, start: int, page: int, stop: int | None) -> tuple[list[Any], int]:
        with self.db.read() as cur:
            rows = self.seal.log_page(cur, start, page, stop=stop, with_event=True)
        return rows, rows[-1][0] if rows else start

    def apply(self, cur: Cursor, facts: list[Any]) -> None:
        if self.page_start is None:
            raise RuntimeError("a seal page is applied only by catch_up, which knows where it starts")
        self.seal.seal_rows(cur, facts, self.page_start)

    def reset(self) -> None:
        raise IntegrityFailure("the Merkle seal is never reset: it is evidence, not a read model")


def seal_catch_up(ledger: Ledger, progress: Callable[[int], None] | None = None, *, page: int = PAGE) -> int:
    """Seal every stored event not sealed yet, one page per transaction; returns how many."""
    return SealFollower(ledger).catch_up(progress, page=page)
