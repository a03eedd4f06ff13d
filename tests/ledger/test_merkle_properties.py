"""The tree code against code this project did not write, over random sizes up to 2,000:

- roots: ``pymerkle`` (an RFC 6962 tree) built from the same leaves, at every size;
- inclusion: the RFC 9162 verification in ``sigstore._internal.merkle`` (Trillian's algorithm),
  and pymerkle's own proof of the same leaf;
- consistency: RFC 9162 §2.1.4.2 transcribed below independently, and pymerkle's own
  consistency check of the same two states;
- any single flipped bit in a proof is rejected.
"""

from __future__ import annotations

import pymerkle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sigstore._internal.merkle import _hash_leaf

from ledger import merkle
from tests.support.independent import rfc9162_consistency, sigstore_root

MAX = 2000
LEAVES = [f"lokikirja test leaf {i}".encode() for i in range(MAX)]
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
SOURCE = merkle.MemorySource(HASHES)


@pytest.fixture(scope="module")
def reference() -> pymerkle.InmemoryTree:
    tree = pymerkle.InmemoryTree()
    for leaf in LEAVES:
        tree.append_entry(leaf)
    return tree


def _sigstore_root(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    return sigstore_root(index, size, _hash_leaf(leaf), path)


def _flip(proof: list[bytes], which: int, bit: int) -> list[bytes]:
    out = list(proof)
    h = bytearray(out[which % len(out)])
    h[(bit // 8) % 32] ^= 1 << (bit % 8)
    out[which % len(out)] = bytes(h)
    return out


def test_the_root_equals_pymerkles_at_every_size(reference):
    tree = merkle.CompactRange()
    for size in range(1, MAX + 1):
        tree.append(HASHES[size - 1])
        assert tree.root() == reference.get_root(size), size
    for size in (1, 2, 3, 255, 256, 257, 1000, 1999, 2000):
        assert merkle.root(SOURCE, size) == reference.get_root(size)


sizes_and_index = st.integers(1, MAX).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1)))


@settings(max_examples=300, deadline=None)
@given(sizes_and_index, st.integers(0, 10**6), st.integers(0, 255))
def test_inclusion_proofs_verify_independently_and_a_flipped_bit_does_not(reference, case, which, bit):
    size, index = case
    proof = merkle.inclusion_proof(SOURCE, index, size)
    root = merkle.root(SOURCE, size)
    assert _sigstore_root(index, size, LEAVES[index], proof) == root == reference.get_root(size)
    assert reference.prove_inclusion(index + 1, size).path[1:] == proof
    merkle.verify_inclusion(index, size, HASHES[index], proof, root)
    if proof:
        bad = _flip(proof, which, bit)
        assert _sigstore_root(index, size, LEAVES[index], bad) != root
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, HASHES[index], bad, root)


sizes_pair = st.integers(2, MAX).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n)))


@settings(max_examples=300, deadline=None)
@given(sizes_pair, st.integers(0, 10**6), st.integers(0, 255))
def test_consistency_proofs_verify_independently_and_a_flipped_bit_does_not(reference, case, which, bit):
    first, second = case
    proof = merkle.consistency_proof(SOURCE, first, second)
    first_root, second_root = merkle.root(SOURCE, first), merkle.root(SOURCE, second)
    assert (first_root, second_root) == (reference.get_root(first), reference.get_root(second))
    pymerkle.verify_consistency(first_root, second_root, reference.prove_consistency(first, second))
    assert rfc9162_consistency(first, second, first_root, second_root, proof)
    merkle.verify_consistency(first, second, first_root, second_root, proof)
    bad = _flip(proof, which, bit)
    assert not rfc9162_consistency(first, second, first_root, second_root, bad)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(first, second, first_root, second_root, bad)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(first, second, first_root, second_root, proof[:-1])


@settings(max_examples=100, deadline=None)
@given(st.integers(1, MAX // 2), st.integers(0, 10**6))
def test_a_subtree_range_decomposes_into_aligned_perfect_subtrees(width, slot):
    k = 1 << (width - 1).bit_length()  # a tree range starts at a multiple of a power of two ≥ its width
    start = (slot % (MAX // k)) * k if MAX // k else 0
    end = start + width
    nodes = merkle.range_nodes(start, end)
    assert sum(1 << n.level for n in nodes) == width
    assert [n.level for n in nodes] == sorted((n.level for n in nodes), reverse=True)
    assert merkle.range_hash(start, end, SOURCE.node_hashes(nodes)) == merkle.tree_root(HASHES[start:end])


@settings(max_examples=200, deadline=None)
@given(st.integers(1, MAX).flatmap(lambda size: st.tuples(
    st.just(size), st.lists(st.integers(0, size - 1), max_size=60, unique=True))))
def test_the_batched_inclusion_paths_are_each_leafs_own(case):
    size, indexes = case
    assert merkle.batch_inclusion_ranges(indexes, size) == {i: merkle.inclusion_ranges(i, size) for i in indexes}
