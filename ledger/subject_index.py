"""The verifiable per-subject index: which log positions name each subject, committed in the log.

For every subject — a customer or employer by its id, an official by user id for the facts that make
up their access right, and ``organisations`` for the organisation register — the index keeps the
leaf indexes of the sealed events that name it, as the subject map of ``ledger/submap.py``. At each
checkpoint the index takes in the leaves sealed since. Before a subject's completeness is proven
(``ledger.checkpoints.commit_subject_index``), when the log does not hold the current root yet, the
ledger appends ``ledger.index_committed`` ``{tree_size, root, subjects}``: the root of the map of
the first ``tree_size`` leaves, and signs a checkpoint that covers that fact, so the log's signature
— and its witnesses' cosignatures — commit to the index. :func:`prove` gives a subject's
:class:`~ledger.submap.MapProof` against the latest committed root: its positions, exactly, or that
it has none. ``verify`` rebuilds every committed root from the log and names the first that differs
(``replay/verify.py``). ADR 0015.

Tables (derived state, checked against the committed roots, never trusted by a verifier):
``index_entries(key_hash, leaf_index)``, ``index_leaves(key_hash, bucket, value_hash, count,
last)``, ``index_nodes(id, hash, count)`` — the top :data:`~ledger.submap.BUCKET_BITS` levels of
the tree, node ``id = 2^depth + prefix`` — and ``index_state``, one row: the leaves taken in and
the root, and the root last appended to the log.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from ledger import submap
from ledger.db import Cursor
from ledger.errors import IntegrityFailure, UsageError
from ledger.own_facts import build_own_fact
from ledger.seal import Seal
from ledger.store import Ledger

INDEX_TYPE = "ledger.index_committed"
INDEX_ACTOR = "system:ledger"
ORGANISATIONS = "organisations"
"""The key of the organisation register (registrations and areas' municipalities)."""
ORG_TYPES = frozenset({"organisation.registered", "area.municipality_joined", "area.municipality_left"})
USER_TYPES = frozenset({"user.registered", "access.granted", "access.revoked"})
PAGE = 5000
_LOCK = "lokikirja-subject-index"
_READY: weakref.WeakSet[Ledger] = weakref.WeakSet()  # open ledgers whose index tables exist


def index_keys(type_name: str, data: Mapping[str, Any]) -> set[str]:
    """The subjects a fact names (the keys it is indexed under): the customer or subject it is
    about (not for ``ledger.queried``: queries are listed apart, and every report would otherwise
    need a new commitment); for an official's registration, grant or revocation the official; for
    an employer's registration the employer; for the organisation register :data:`ORGANISATIONS`."""
    if type_name in ORG_TYPES:
        return {ORGANISATIONS}
    if type_name == "ledger.queried":
        return set()  # queries of the ledger are listed apart ("logging the loggers"), not as the person's events
    keys = {v for f in ("customer", "subject") if isinstance(v := data.get(f), str)}
    if type_name in USER_TYPES:
        keys.add(data["user"])
    elif type_name == "employer.registered":
        keys.add(data["employer"])
    return keys


@dataclass(frozen=True)
class IndexState:
    tree_size: int  # leaves taken in
    position: int  # the log position of the last of them
    root: bytes
    subjects: int
    appended_size: int  # the tree size and root of the latest ledger.index_committed
    appended_root: bytes | None
    appended_position: int  # that fact's log position (0: none yet)

    @property
    def committed(self) -> bool:
        """Whether the log holds the current root (proofs are made only against such a root)."""
        return self.appended_root == self.root


class SubjectIndex:
    """The index tables of one ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.db = ledger.db
        self.entries = self.db.table("index_entries")
        self.leaves = self.db.table("index_leaves")
        self.nodes = self.db.table("index_nodes")
        self.state_table = self.db.table("index_state")
        if ledger not in _READY:
            with self.db.setup_lock():
                self._create_tables()
            _READY.add(ledger)

    def _create_tables(self) -> None:
        if self._exists():  # the application role may not run DDL on tables the owner made (docs/integrity.md §6)
            return
        b, n = self.db.BLOB, self.db.BIGINT
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.entries} (key_hash {b} NOT NULL, leaf_index {n} NOT NULL, "
            f"PRIMARY KEY (key_hash, leaf_index)){self.db.CLUSTERED}",
            f"CREATE TABLE IF NOT EXISTS {self.leaves} (key_hash {b} PRIMARY KEY, bucket INTEGER NOT NULL, "
            f"value_hash {b} NOT NULL, count {n} NOT NULL, last {n} NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.db.table('index_leaves_bucket').split('.')[-1]} "
            f"ON {self.leaves} (bucket)",
            f"CREATE TABLE IF NOT EXISTS {self.nodes} (id {n} PRIMARY KEY, hash {b} NOT NULL, count {n} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.state_table} (id INTEGER PRIMARY KEY, tree_size {n} NOT NULL, "
            f"position {n} NOT NULL, root {b} NOT NULL, subjects {n} NOT NULL, appended_size {n} NOT NULL, "
            f"appended_root {b}, appended_position {n} NOT NULL)",
        ]
        for statement in statements:  # one statement per transaction (see ledger/follower.py)
            with self.db.write() as cur:
                cur.execute(statement)
        with self.db.write() as cur:
            if cur.scalar(f"SELECT COUNT(*) FROM {self.state_table}") == 0:
                cur.execute(f"INSERT INTO {self.state_table} VALUES (1, 0, 0, %s, 0, 0, NULL, 0)", (submap.EMPTY,))

    def _exists(self) -> bool:
        try:
            with self.db.read() as cur:
                return cur.scalar(f"SELECT COUNT(*) FROM {self.state_table}") == 1
        except Exception:  # no such table yet (each backend raises its own error)
            return False

    # ------------------------------------------------------------------ state
    def state(self, cur: Cursor) -> IndexState:
        row = cur.execute(f"SELECT {_STATE_COLUMNS} FROM {self.state_table} WHERE id = 1").fetchone()
        assert row is not None
        return _state(row)

    # ------------------------------------------------------------------ taking in leaves
    def take_in(self, progress: Any = None) -> IndexState:
        """Index every sealed leaf not yet indexed, and recompute the root: one transaction."""
        seal = Seal(self.ledger, create=False)
        with self.db.write() as cur:
            self.db.lock(cur, _LOCK)
            state = self.state(cur)
            size, last = seal.head(cur)
            if size <= state.tree_size:
                return state
            chains: dict[bytes, list[Any]] = {}  # key hash → [value, count, last]: one per subject touched
            hashes: dict[str, bytes] = {}
            leaf, position = state.tree_size, state.position
            while position < last:
                rows = seal.log_page(cur, position, PAGE, stop=last)
                if not rows:
                    break
                pairs = list(_pairs(leaf, rows, hashes))
                self._add(cur, pairs, chains)
                leaf += len(rows)
                position = rows[-1][0]
                if progress is not None:
                    progress(len(rows))
            if leaf != size:
                raise IntegrityFailure(f"the seal holds {size} leaves but the log up to its last sealed position "
                                       f"has {leaf} events; run `lokikirja verify`")
            if chains:
                self.db.upsert(cur, self.leaves, ("key_hash", "bucket", "value_hash", "count", "last"), "key_hash",
                               [(kh, submap.bucket_of(kh), *chain) for kh, chain in chains.items()],
                               ("bytea", "int4", "bytea", "int8", "int8"))
            dirty = {submap.bucket_of(kh) for kh in chains}
            root, subjects = self._recompute(cur, dirty) if dirty else (state.root, state.subjects)
            cur.execute(f"UPDATE {self.state_table} SET tree_size = %s, position = %s, root = %s, subjects = %s "
                        "WHERE id = 1", (size, last, root, subjects))
            return self.state(cur)

    def _add(self, cur: Cursor, pairs: list[tuple[bytes, int]], chains: dict[bytes, list[Any]]) -> None:
        """Store a page's entries and extend the touched subjects' value chains (kept in memory
        until the take-in ends: one read and one write per subject, not per page)."""
        if not pairs:
            return
        cur.insert_rows(self.entries, pairs, columns=("key_hash", "leaf_index"), types=("bytea", "int8"))
        unseen = list({kh for kh, _leaf in pairs if kh not in chains})
        known = self._leaf_rows(cur, unseen) if unseen else {}
        for kh in unseen:
            value, count = known.get(kh, (submap.VALUE_START, 0))
            chains[kh] = [value, count, 0]
        sha = hashlib.sha256
        for kh, leaf in pairs:
            chain = chains[kh]
            chain[0] = sha(chain[0] + leaf.to_bytes(8, "big")).digest()
            chain[1] += 1
            chain[2] = leaf

    def _leaf_rows(self, cur: Cursor, khs: list[bytes]) -> dict[bytes, tuple[bytes, int]]:
        out: dict[bytes, tuple[bytes, int]] = {}
        for i in range(0, len(khs), 500):
            marks, params = self.db.in_list(khs[i : i + 500])
            for kh, value, count in cur.execute(
                    f"SELECT key_hash, value_hash, count FROM {self.leaves} WHERE key_hash IN {marks}", params):
                out[bytes(kh)] = (bytes(value), count)
        return out

    def _bucket_items(self, cur: Cursor, buckets: list[int]) -> Iterator[tuple[int, list[tuple[bytes, bytes]]]]:
        """``(bucket, sorted (kh, value) items)`` of non-empty ``buckets``."""
        for i in range(0, len(buckets), 500):
            marks, params = self.db.in_list(buckets[i : i + 500])
            grouped: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
            for bucket, kh, value in cur.execute(f"SELECT bucket, key_hash, value_hash FROM {self.leaves} "
                                                 f"WHERE bucket IN {marks}", params):
                grouped[bucket].append((bytes(kh), bytes(value)))
            for bucket in sorted(grouped):
                yield bucket, sorted(grouped[bucket])

    def _recompute(self, cur: Cursor, dirty: set[int]) -> tuple[bytes, int]:
        """Rehash the dirty buckets and the stored nodes above them; returns (root, subjects)."""
        computed = submap.rehash(dirty, lambda buckets: self._bucket_items(cur, buckets),
                                 lambda ids: self._nodes(cur, ids))
        self.db.upsert(cur, self.nodes, ("id", "hash", "count"), "id",
                       [(node, h, c) for node, (h, c) in computed.items() if c], ("int8", "bytea", "int8"))
        return computed[1]

    def _nodes(self, cur: Cursor, ids: list[int]) -> dict[int, tuple[bytes, int]]:
        out: dict[int, tuple[bytes, int]] = {}
        for i in range(0, len(ids), 500):
            if not ids[i : i + 500]:
                continue
            marks, params = self.db.in_list(ids[i : i + 500])
            for node, digest, count in cur.execute(f"SELECT id, hash, count FROM {self.nodes} WHERE id IN {marks}",
                                                   params):
                out[node] = (bytes(digest), count)
        return out

    # ------------------------------------------------------------------ committing
    def append_root(self) -> bool:
        """Append ``ledger.index_committed`` when the log does not hold the current root yet;
        returns whether it did. In the append's own transaction (which serialises writers), so
        two processes never commit the same root twice."""
        with self.db.read() as cur:
            state = self.state(cur)
        if state.committed or state.subjects == 0:
            return False
        fact = build_own_fact(self.ledger, INDEX_TYPE, INDEX_ACTOR, {
            "tree_size": state.tree_size, "root": state.root.hex(), "subjects": state.subjects})
        with self.ledger.appending() as tx:
            state = self.state(tx.cur)
            if state.committed:
                return False
            if fact.data != {"tree_size": state.tree_size, "root": state.root.hex(), "subjects": state.subjects}:
                return False  # the index moved on meanwhile: the next checkpoint commits its root
            (position,) = tx.insert([fact])
            tx.cur.execute(f"UPDATE {self.state_table} SET appended_size = %s, appended_root = %s, "
                           "appended_position = %s WHERE id = 1", (state.tree_size, state.root, int(position)))
        return True

    # ------------------------------------------------------------------ proving
    def prove(self, key: str, *, _retry: bool = True) -> tuple[submap.MapProof, int]:
        """``key``'s proof against the latest committed root, and the log position of the
        ``ledger.index_committed`` fact that holds that root."""
        bits = submap.BUCKET_BITS
        kh = submap.key_hash(key)
        bucket = submap.bucket_of(kh)
        path = [(1 << d) + (bucket >> (bits - d)) for d in range(bits + 1)]
        sibling = [(1 << d) + ((bucket >> (bits - d)) ^ 1) for d in range(1, bits + 1)]
        marks, ids = self.db.in_list(path + sibling)
        state_rows, node_rows, item_rows, entry_rows = self.db.read_together([  # one committed state
            (f"SELECT {_STATE_COLUMNS} FROM {self.state_table} WHERE id = 1", ()),
            (f"SELECT id, hash, count FROM {self.nodes} WHERE id IN {marks}", ids),
            (f"SELECT key_hash, value_hash FROM {self.leaves} WHERE bucket = %s", (bucket,)),
            (f"SELECT leaf_index FROM {self.entries} WHERE key_hash = %s ORDER BY leaf_index", (kh,))])
        state = _state(state_rows[0])
        if state.appended_root is None:
            raise UsageError("the subject index has not been committed yet; run `lokikirja checkpoint`")
        if not state.committed:
            raise UsageError("the subject index holds a root not yet in the log; run `lokikirja checkpoint`")
        nodes = {r[0]: (bytes(r[1]), r[2]) for r in node_rows}
        items = sorted((bytes(k), bytes(v)) for k, v in item_rows)
        mine = next((item for item in items if item[0] == kh), None)
        siblings: list[bytes] = []
        terminal: tuple[bytes, bytes] | None = None
        for depth in range(bits + 1):
            count = nodes.get(path[depth], (submap.EMPTY, 0))[1]
            if count == 0:
                break
            if count == 1:  # a lone key: this one, or (it has no events) another, looked up apart
                terminal = mine or self._lone(depth, bucket >> (bits - depth))
                break
            if depth == bits:
                below, terminal = submap.subtree_path(items, bits, kh)
                siblings += below
                break
            siblings.append(nodes.get(sibling[depth], (submap.EMPTY, 0))[0])
        other, positions = terminal, ()
        if terminal is not None and terminal[0] == kh:
            other, positions = None, tuple(r[0] for r in entry_rows)
        proof = submap.MapProof(key, state.appended_size, state.root, positions, tuple(siblings), other)
        try:
            submap.verify_map_proof(proof)
        except submap.MapProofError:  # the index was committed anew between the two reads: ask again
            if _retry:
                return self.prove(key, _retry=False)
            raise IntegrityFailure("the subject index's tables disagree with its committed root; "
                                   "run `lokikirja verify`") from None
        return proof, state.appended_position

    def _lone(self, depth: int, prefix: int) -> tuple[bytes, bytes]:
        """The one key under the node ``(depth, prefix)``."""
        shift = submap.BUCKET_BITS - depth
        with self.db.read() as cur:
            row = cur.execute(f"SELECT key_hash, value_hash FROM {self.leaves} WHERE bucket >= %s AND bucket < %s "
                              "LIMIT 1", (prefix << shift, (prefix + 1) << shift)).fetchone()
        if row is None:
            raise IntegrityFailure("the subject index's tables disagree with each other; run `lokikirja verify`")
        return bytes(row[0]), bytes(row[1])


_STATE_COLUMNS = "tree_size, position, root, subjects, appended_size, appended_root, appended_position"


def _state(row: Sequence[Any]) -> IndexState:
    return IndexState(row[0], row[1], bytes(row[2]), row[3], row[4], None if row[5] is None else bytes(row[5]), row[6])


def _pairs(first_leaf: int, rows: Iterable[tuple[Any, ...]], hashes: dict[str, bytes]) -> Iterator[tuple[bytes, int]]:
    """``(key hash, leaf index)`` of each key each stored event is indexed under (``hashes``: the
    key hashes computed so far)."""
    for leaf, (_position, state) in enumerate(rows, first_leaf):
        doc = orjson.loads(state)
        for key in index_keys(doc["type"], doc["data"]):
            kh = hashes.get(key)
            if kh is None:
                kh = hashes[key] = submap.key_hash(key)
            yield kh, leaf


def committed_index(ledger: Ledger) -> bool:
    """Whether the log holds a subject-index commitment (``verify`` then checks it); read without
    creating the index's tables (``verify`` of a store made before the index writes nothing)."""
    try:
        with ledger.db.read() as cur:
            appended = cur.scalar(f"SELECT appended_root FROM {ledger.db.table('index_state')} WHERE id = 1")
    except Exception:  # no index table yet: nothing committed (each backend raises its own error)
        return False
    return appended is not None
