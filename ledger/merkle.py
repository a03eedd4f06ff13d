"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification — pure, no I/O.

- ``leaf_hash(leaf) = SHA-256(0x00 ‖ leaf)``, ``node_hash(l, r) = SHA-256(0x01 ‖ l ‖ r)``;
  the root of no leaves is ``SHA-256("")`` (RFC 6962 §2.1).
- The tree of ``n`` leaves splits at ``k``, the largest power of two below ``n`` (MTH).
- Every subtree hash a proof needs is ``MTH(D[a:b])`` of a *tree range*: a range that starts at a
  multiple of a power of two at least as large as itself. Such a range is the concatenation of
  aligned perfect subtrees (:class:`Node`: ``level``, ``index`` = leaves ``[index·2^level,
  (index+1)·2^level)``) of decreasing size, and its hash is their fold from the right.
- Proof *generation* asks a :class:`NodeSource` for the perfect nodes it needs in one batch, so
  a store can answer from its own tables with a few indexed reads (``ledger/seal.py``).
- *Verification* follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) to the letter,
  and first rejects a proof whose length is not the one the sizes determine.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 6962 leaf hash: ``SHA-256(0x00 ‖ leaf)``."""
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: ``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n`` ≥ 2): where MTH splits ``n`` leaves."""
    if n < 2:
        raise ValueError("a tree of fewer than two leaves does not split")
    return 1 << ((n - 1).bit_length() - 1)


class Node(NamedTuple):
    """The perfect subtree over leaves ``[index·2^level, (index+1)·2^level)``. A tuple: proofs of
    many leaves look up thousands of nodes, and a tuple hashes in C."""

    level: int
    index: int

    @property
    def start(self) -> int:
        return self.index << self.level

    @property
    def end(self) -> int:
        return (self.index + 1) << self.level


class NodeSource(Protocol):
    """Where proof generation gets perfect subtree hashes from (stored nodes, or leaves in memory)."""

    def node_hashes(self, nodes: Collection[Node]) -> Mapping[Node, bytes]:
        """The hash of every node asked for."""
        ...


# ---------------------------------------------------------------------- layout (sizes only)


def range_nodes(start: int, end: int) -> list[Node]:
    """The aligned perfect subtrees, largest first, whose concatenation is the tree range
    ``[start, end)``. Raises ``ValueError`` for a range that is not a tree range."""
    if not 0 <= start < end:
        raise ValueError(f"empty or negative range [{start}, {end})")
    width = end - start
    if start and start & -start < width:
        raise ValueError(f"[{start}, {end}) is not a subtree range of an RFC 6962 tree")
    if not width & (width - 1):  # one perfect subtree: every range of an inclusion path but the last
        level = width.bit_length() - 1
        return [Node(level, start >> level)]
    out: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        out.append(Node(level, start >> level))
        start += 1 << level
    return out


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH form PATH(index, D[size]) (RFC 6962 §2.1.1), bottom first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    out: list[tuple[int, int]] = []
    a, b = 0, size
    while b - a > 1:
        k = split(b - a)
        if index < a + k:
            out.append((a + k, b))
            b = a + k
        else:
            out.append((a, a + k))
            a += k
    out.reverse()
    return out


def batch_inclusion_ranges(indexes: Iterable[int], size: int) -> dict[int, list[tuple[int, int]]]:
    """:func:`inclusion_ranges` of many leaves at once: each subtree is split once for all the
    leaves below it, not once per leaf."""
    out: dict[int, list[tuple[int, int]]] = {}
    for index in indexes:
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is outside a tree of size {size}")
        out[index] = []
    stack = [(0, size, sorted(out))]
    while stack:  # top-down: a leaf's ranges are appended root first, reversed at the end
        a, b, leaves = stack.pop()
        if b - a < 2:
            continue
        middle = a + split(b - a)
        cut = bisect_left(leaves, middle)
        for below, sibling, child in ((leaves[:cut], (middle, b), (a, middle)),
                                      (leaves[cut:], (a, middle), (middle, b))):
            if below:
                for index in below:
                    out[index].append(sibling)
                stack.append((*child, below))
    for path in out.values():
        path.reverse()
    return out


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH form PROOF(first, D[second]) (RFC 6962 §2.1.2), in proof order.
    Empty when ``first`` is 0 or equals ``second``."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    out: list[tuple[int, int]] = []
    a, b, m, complete = 0, second, first, True
    while m != b - a:
        k = split(b - a)
        if m <= k:
            out.append((a + k, b))
            b = a + k
        else:
            out.append((a, a + k))
            a, m, complete = a + k, m - k, False
    if not complete:
        out.append((a, b))
    out.reverse()
    return out


# ---------------------------------------------------------------------- hashing ranges


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of consecutive perfect subtrees of decreasing size: their fold from the right."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def range_hash(start: int, end: int, known: Mapping[Node, bytes]) -> bytes:
    """``MTH(D[start:end])`` of a tree range from the hashes of its perfect nodes."""
    return fold([known[n] for n in range_nodes(start, end)])


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """The root of a perfect subtree from its leaf (or lower-level node) hashes; the count must be
    a power of two."""
    level = list(hashes)
    if not level or len(level) & (len(level) - 1):
        raise ValueError("a perfect subtree has a power-of-two number of leaves")
    while len(level) > 1:
        level = [_sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def _hashes_of(source: NodeSource, ranges: Iterable[tuple[int, int]]) -> list[bytes]:
    ranges = list(ranges)
    wanted = {n for a, b in ranges for n in range_nodes(a, b)}
    known = source.node_hashes(wanted)
    return [range_hash(a, b, known) for a, b in ranges]


def root(source: NodeSource, size: int) -> bytes:
    """MTH of the first ``size`` leaves."""
    return EMPTY_ROOT if size == 0 else _hashes_of(source, [(0, size)])[0]


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 6962 §2.1.1)."""
    return _hashes_of(source, inclusion_ranges(index, size))


def consistency_proof(source: NodeSource, first: int, second: int) -> list[bytes]:
    """The consistency proof between the trees of ``first`` and ``second`` leaves (§2.1.2)."""
    return _hashes_of(source, consistency_ranges(first, second))


class MemorySource:
    """A :class:`NodeSource` over leaf hashes held in memory (tests, small trees)."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.leaves = leaf_hashes

    def node_hashes(self, nodes: Collection[Node]) -> dict[Node, bytes]:
        return {n: perfect_root(self.leaves[n.start : n.end]) for n in nodes}


def tree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes held in memory."""
    return root(MemorySource(leaf_hashes), len(leaf_hashes))


# ---------------------------------------------------------------------- verification


class ProofError(ValueError):
    """A proof does not verify; the message says why in one sentence."""


def _check_hashes(proof: Sequence[bytes], expected: int) -> None:
    if len(proof) != expected:
        raise ProofError(f"the proof has {len(proof)} hashes; these sizes need exactly {expected}")
    if any(len(h) != HASH_SIZE for h in proof):
        raise ProofError("every proof hash must be 32 bytes")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` and the leaf hash ``leaf`` imply (RFC 9162 §2.1.3.2, steps 1–4)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(proof, len(inclusion_ranges(index, size)))
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path to the root")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows leaf hash ``leaf`` at ``index`` in the
    tree of ``size`` leaves with root ``root_hash`` (RFC 9162 §2.1.3.2)."""
    if root_from_inclusion(index, size, leaf, proof) != root_hash:
        raise ProofError("the audit path does not lead to the root hash")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the tree of ``first`` leaves with root
    ``first_root`` is a prefix of the tree of ``second`` leaves with root ``second_root``
    (RFC 9162 §2.1.4.2; sizes 0 and equal sizes need an empty proof)."""
    if not 0 <= first <= second:
        raise ProofError(f"size {first} cannot be a prefix of size {second}")
    _check_hashes(proof, len(consistency_ranges(first, second)))
    if first == 0:
        return
    if first == second:
        if first_root != second_root:
            raise ProofError("equal tree sizes with different roots")
        return
    path = [first_root, *proof] if first & (first - 1) == 0 else list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the trees need")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ProofError("the consistency proof does not lead to both roots")


# ---------------------------------------------------------------------- incremental tree


class CompactRange:
    """The perfect subtrees covering ``[0, size)``, largest first: enough to append and to get
    the root at the current size. ``on_node(node, hash)`` sees every perfect subtree completed
    by an append (leaves included)."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = (),
                 on_node: Callable[[Node, bytes], None] | None = None) -> None:
        self.size = size
        self.nodes = range_nodes(0, size) if size else []
        if len(hashes) != len(self.nodes):
            raise ValueError(f"a tree of size {size} needs {len(self.nodes)} frontier hashes")
        self.hashes = list(hashes)
        self.on_node = on_node

    def push(self, level: int, digest: bytes) -> None:
        """Append a perfect subtree of ``2^level`` leaves at the end (``size`` must be aligned)."""
        if self.size & ((1 << level) - 1):
            raise ValueError(f"size {self.size} is not aligned to a subtree of level {level}")
        node = Node(level, self.size >> level)
        self.size += 1 << level
        while True:
            if self.on_node is not None:
                self.on_node(node, digest)
            if not self.nodes or self.nodes[-1].level != node.level:
                break
            left = self.nodes.pop()
            digest = node_hash(self.hashes.pop(), digest)
            node = Node(left.level + 1, left.index >> 1)
        self.nodes.append(node)
        self.hashes.append(digest)

    def append(self, leaf: bytes) -> None:
        """Append one leaf hash."""
        self.push(0, leaf)

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_ROOT
