"""The subject map: a compact sparse Merkle tree from each subject to the log positions naming it.

Pure functions only (no database): the index keeps it (``ledger/subject_index.py``), bundles and
reports carry its proofs, and anyone checks them with :func:`verify_map_proof` (ADR 0015)::

    key hash   kh = SHA-256("lokikirja/index/key/v1\\n" ‖ key)                       256 bits
    value      v₀ = SHA-256("lokikirja/index/positions/v1\\n"),  vᵢ = SHA-256(vᵢ₋₁ ‖ u64be(pᵢ))
               over the key's leaf indexes p₁ < p₂ < … (a hash chain: it grows by one step)
    leaf       SHA-256(0x00 ‖ kh ‖ v)
    node       SHA-256(0x01 ‖ left ‖ right)
    empty      32 zero bytes

The hash of a set S of (kh, v) at depth d is *empty* when S is empty, the *leaf* when S holds one
key (a lone key sits as high as it can: the tree is compact), else the *node* of the two halves
split on bit d of kh (bit 0 is the most significant of kh's first byte). The map's root is the
hash of every key at depth 0. A proof of key k lists the siblings on k's path from the root down
to where the path ends: at k's own leaf (k is in the map: its positions are given and hash to v),
at an empty subtree, or at another key's leaf (k is not in the map: it has no events).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KEY_TAG = b"lokikirja/index/key/v1\n"
VALUE_TAG = b"lokikirja/index/positions/v1\n"
EMPTY = bytes(32)
VALUE_START = hashlib.sha256(VALUE_TAG).digest()
BUCKET_BITS = 16  # the stored tree's top levels; below them a bucket's few keys are hashed on demand
_U64 = 8


class MapProofError(ValueError):
    """A subject-map proof that does not lead to the committed root (the message says why)."""


def key_hash(key: str) -> bytes:
    return hashlib.sha256(KEY_TAG + key.encode("utf-8")).digest()


def extend_value(value: bytes, positions: Iterable[int]) -> bytes:
    """The value hash ``value`` extended by further leaf indexes (in increasing order)."""
    sha = hashlib.sha256
    for p in positions:
        value = sha(value + p.to_bytes(_U64, "big")).digest()
    return value


def value_hash(positions: Iterable[int]) -> bytes:
    return extend_value(VALUE_START, positions)


def leaf_hash(kh: bytes, value: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + kh + value).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def bit(kh: bytes, depth: int) -> int:
    return (kh[depth >> 3] >> (7 - (depth & 7))) & 1


def bucket_of(kh: bytes) -> int:
    """The stored tree's bucket of a key: its first :data:`BUCKET_BITS` bits."""
    return int.from_bytes(kh[:2], "big") >> (16 - BUCKET_BITS)


def subtree_hash(items: Sequence[tuple[bytes, bytes]], depth: int) -> bytes:
    """The hash of ``(kh, value)`` items (sorted by kh, all sharing their first ``depth`` bits)."""
    if not items:
        return EMPTY
    if len(items) == 1:
        return leaf_hash(*items[0])
    split = _split(items, depth)
    return node_hash(subtree_hash(items[:split], depth + 1), subtree_hash(items[split:], depth + 1))


def _split(items: Sequence[tuple[bytes, bytes]], depth: int) -> int:
    """The index of the first item whose bit ``depth`` is 1 (the items are sorted by kh)."""
    return next((i for i, (kh, _v) in enumerate(items) if bit(kh, depth)), len(items))


def subtree_path(items: Sequence[tuple[bytes, bytes]], depth: int,
                 kh: bytes) -> tuple[list[bytes], tuple[bytes, bytes] | None]:
    """Below ``depth``, the siblings on ``kh``'s path (top down) and where it ends: the lone
    ``(kh, value)`` leaf there, or ``None`` for an empty subtree."""
    siblings: list[bytes] = []
    while len(items) > 1:
        split = _split(items, depth)
        left, right = items[:split], items[split:]
        here, other = (right, left) if bit(kh, depth) else (left, right)
        siblings.append(subtree_hash(other, depth + 1))
        items, depth = here, depth + 1
    return siblings, (items[0] if items else None)


@dataclass(frozen=True)
class MapProof:
    """That ``key`` has exactly ``positions`` (leaf indexes, increasing; none: not in the map)
    in the map of root ``root`` committed for the log's first ``tree_size`` leaves."""

    key: str
    tree_size: int
    root: bytes
    positions: tuple[int, ...]
    siblings: tuple[bytes, ...]
    other: tuple[bytes, bytes] | None = None  # non-inclusion ending at another key's leaf: (kh, value)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "tree_size": self.tree_size, "root": self.root.hex(),
                "positions": list(self.positions), "siblings": [s.hex() for s in self.siblings],
                "other": None if self.other is None else {"key_hash": self.other[0].hex(),
                                                          "value_hash": self.other[1].hex()}}

    @classmethod
    def from_json(cls, doc: Any) -> MapProof:
        try:
            other = doc.get("other")
            return cls(key=_text(doc["key"]), tree_size=_count(doc["tree_size"]), root=_digest(doc["root"]),
                       positions=tuple(_count(p) for p in doc["positions"]),
                       siblings=tuple(_digest(s) for s in doc["siblings"]),
                       other=None if other is None else (_digest(other["key_hash"]), _digest(other["value_hash"])))
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise MapProofError(f"a malformed subject-map proof ({e})") from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("the key is not text")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{value!r} is not a position")
    return value


def _digest(value: Any) -> bytes:
    raw = bytes.fromhex(value)
    if len(raw) != 32:
        raise ValueError("a hash is not 32 bytes")
    return raw


def verify_map_proof(proof: MapProof) -> None:
    """Raise :class:`MapProofError` unless ``proof`` leads from its key's positions to its root."""
    kh = key_hash(proof.key)
    depth = len(proof.siblings)
    if depth > 256:
        raise MapProofError("a subject-map proof deeper than the key")
    if any(b <= a for a, b in zip(proof.positions, proof.positions[1:], strict=False)):
        raise MapProofError(f"the positions of {proof.key} are not in increasing order")
    if proof.positions and proof.positions[-1] >= proof.tree_size:
        raise MapProofError(f"{proof.key} has a position beyond the {proof.tree_size} leaves the index covers")
    if proof.positions:
        if proof.other is not None:
            raise MapProofError(f"the proof of {proof.key} both lists positions and ends at another key")
        node = leaf_hash(kh, value_hash(proof.positions))
    elif proof.other is None:
        node = EMPTY
    else:
        other_kh, other_value = proof.other
        if other_kh == kh or any(bit(other_kh, d) != bit(kh, d) for d in range(depth)):
            raise MapProofError(f"the proof that {proof.key} has no events ends at a leaf off its path")
        node = leaf_hash(other_kh, other_value)
    for d in range(depth - 1, -1, -1):
        sibling = proof.siblings[d]
        node = node_hash(sibling, node) if bit(kh, d) else node_hash(node, sibling)
    if node != proof.root:
        raise MapProofError(f"the subject-map proof of {proof.key} does not lead to the committed root")


def rehash(dirty: Iterable[int], bucket_items: Callable[[list[int]], Iterable[tuple[int, list[tuple[bytes, bytes]]]]],
           stored: Callable[[list[int]], Mapping[int, tuple[bytes, int]]]) -> dict[int, tuple[bytes, int]]:
    """The top levels' nodes ``{id: (hash, count)}`` above the ``dirty`` buckets, rehashed
    (node ``id = 2^depth + prefix``; node 1 is the root). ``bucket_items(buckets)`` gives each
    non-empty bucket's sorted ``(kh, value)`` items; ``stored(ids)`` the nodes not rehashed."""
    bits = BUCKET_BITS
    level = sorted(set(dirty))
    computed: dict[int, tuple[bytes, int]] = {(1 << bits) + b: (EMPTY, 0) for b in level}
    for bucket, items in bucket_items(level):
        computed[(1 << bits) + bucket] = (subtree_hash(items, bits), len(items))
    parents = set(level)
    for depth in range(bits - 1, -1, -1):
        parents = {p >> 1 for p in parents}
        children = [(1 << (depth + 1)) + 2 * p + side for p in parents for side in (0, 1)]
        known = stored([c for c in children if c not in computed])
        for p in parents:
            base = (1 << (depth + 1)) + 2 * p
            (h0, c0), (h1, c1) = (computed.get(c) or known.get(c) or (EMPTY, 0) for c in (base, base + 1))
            count = c0 + c1
            digest = EMPTY if count == 0 else (h0 if c0 else h1) if count == 1 else node_hash(h0, h1)
            computed[(1 << depth) + p] = (digest, count)
    return computed


class MemoryMap:
    """The subject map in memory, grown leaf by leaf (``verify`` rebuilds every committed root
    with it): one value hash per key, and the top levels' nodes. Memory grows with the number of
    subjects, not of events."""

    def __init__(self) -> None:
        self.values: dict[bytes, bytes] = {}
        self.buckets: dict[int, set[bytes]] = {}
        self.nodes: dict[int, tuple[bytes, int]] = {}
        self.dirty: set[int] = set()

    def add(self, kh: bytes, leaf: int) -> None:
        self.values[kh] = extend_value(self.values.get(kh, VALUE_START), (leaf,))
        bucket = bucket_of(kh)
        self.buckets.setdefault(bucket, set()).add(kh)
        self.dirty.add(bucket)

    def root(self) -> tuple[bytes, int]:
        """``(root, number of keys)``."""
        if self.dirty:
            def items(buckets: list[int]) -> Iterator[tuple[int, list[tuple[bytes, bytes]]]]:
                for b in buckets:
                    yield b, sorted((kh, self.values[kh]) for kh in self.buckets.get(b, ()))

            self.nodes.update(rehash(self.dirty, items, lambda ids: {i: self.nodes[i] for i in ids if i in self.nodes}))
            self.dirty.clear()
        return self.nodes.get(1, (EMPTY, 0))
