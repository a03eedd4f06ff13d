"""The tree code against Google's Certificate Transparency known answers
(``certificate-transparency/python/ct/crypto/merkle_test.py``, lifted there from the C++ branch)."""

from __future__ import annotations

import pytest

from ledger import merkle

# The 8-leaf test tree: leaves as hex, the root after each leaf, and three consistency proofs.
LEAVES = [bytes.fromhex(h) for h in [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
# A real CT log's inclusion proof: leaf 848049 of a tree of 3,630,887 entries.
REAL_LEAF_HASH = "7a395c866d5ecdb0cccb623e011dbc392cd348d1d1d72776174e127a24b09c78"
REAL_INDEX, REAL_SIZE = 848049, 3630887
REAL_ROOT = "78316a05c9bcf14a3a4548f5b854a9adfcd46a4c034401b3ce7eb7ac2f1d0ecb"
REAL_PATH = [
    "1a208aeebcd1b39fe2de247ee8db9454e1e93a312d206b87f6ca9cc6ec6f1ddd",
    "0a1b78b383f580856f433c01a5741e160d451c185910027f6cc9f828687a40c4",
    "3d1745789bc63f2da15850de1c12a5bf46ed81e1cc90f086148b1662e79aab3d",
    "9095b61e14d8990acf390905621e62b1714fb8e399fbb71de5510e0aef45affe",
    "0a332b91b8fab564e6afd1dd452449e04619b18accc0ff9aa8393cd4928451f2",
    "2336f0181d264aed6d8f3a6507ca14a8d3b3c3a23791ac263e845d208c1ee330",
    "b4ce56e300590500360c146c6452edbede25d4ed83919278749ee5dbe178e048",
    "933f6ddc848ea562e4f9c5cfb5f176941301dad0c6fdb9d1fbbe34fac1be6966",
    "b95a6222958a86f74c030be27c44f57dbe313e5e7c7f4ffb98bcbd3a03bb52f2",
    "daeeb3ce5923defd0faeb8e0c210b753b85b809445d7d3d3cd537a9aabaa9c45",
    "7fadd0a13e9138a2aa6c3fdec4e2275af233b94812784f66bcca9aa8e989f2bc",
    "1864e6ba3e32878610546539734fb5eeae2529991f130c575c73a7e25a2a7c56",
    "12842d1202b1dc6828a17ab253c02e7ce9409b5192430feba44189f39cc02d66",
    "29af64b16fa3053c13d02ac63aa75b23aa468506e44c3a2315edc85d2dc22b11",
    "b527b99934a0bd9edd154e449b0502e2c499bba783f3bc3dfe23364b6b532009",
    "4584db8ae8e351ace08e01f306378a92bfd43611714814f3d834a2842d69faa8",
    "86a9a41573b0d6e4292f01e93243d6cc65b30f06606fc6fa57390e7e90ed580f",
    "a88b98fbe84d4c6aae8db9d1605dfac059d9f03fe0fcb0d5dff1295dacba09e6",
    "06326dc617a6d1f7021dc536026dbfd5fffc6f7c5531d48ef6ccd1ed1569f2a1",
    "f41fe8fdc3a2e4e8345e30216e7ebecffee26ff266eeced208a6c2a3cf08f960",
    "40cf5bde8abb76983f3e98ba97aa36240402975674e120f234b3448911090f8d",
    "b3222dc8658538079883d980d7fdc2bef9285344ea34338968f736b04aeb387a",
]

HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
SOURCE = merkle.MemorySource(HASHES)


def _hex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def test_the_hash_functions_give_the_ct_answers():
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle.leaf_hash(bytes(range(16, 32))).hex() == (
        "3bfb960453ebaebf33727da7a1f4db38acc051d381b6da20d6d4e88f0eabfd7a")
    assert merkle.node_hash(bytes(range(32)), bytes(range(32, 64))).hex() == (
        "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57")


@pytest.mark.parametrize("size", range(1, 9))
def test_the_root_after_each_leaf_of_the_test_tree(size: int):
    assert merkle.root(SOURCE, size).hex() == ROOTS[size - 1]
    assert merkle.tree_root(HASHES[:size]).hex() == ROOTS[size - 1]


def test_appending_leaf_by_leaf_gives_the_same_roots():
    tree = merkle.CompactRange()
    for size, leaf in enumerate(HASHES, start=1):
        tree.append(leaf)
        assert tree.root().hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY, ids=["1-8", "6-8", "2-5"])
def test_consistency_proofs_are_the_ct_ones_and_verify(first: int, second: int, proof: list[str]):
    assert [h.hex() for h in merkle.consistency_proof(SOURCE, first, second)] == proof
    merkle.verify_consistency(first, second, bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1]),
                              _hex(proof))


def test_a_consistency_proof_that_is_too_short_or_names_a_wrong_root_is_rejected():
    first_root, second_root = bytes.fromhex(ROOTS[5]), bytes.fromhex(ROOTS[7])
    proof = _hex(CONSISTENCY[1][2])
    with pytest.raises(merkle.ProofError, match="exactly 3"):
        merkle.verify_consistency(6, 8, first_root, second_root, proof[:2])
    with pytest.raises(merkle.ProofError, match="exactly 3"):
        merkle.verify_consistency(6, 8, first_root, second_root, [*proof, proof[0]])
    flipped = bytes([second_root[0] ^ 1]) + second_root[1:]
    for a, b in [(first_root, flipped), (flipped, second_root)]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(6, 8, a, b, proof)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(5, 2, first_root, second_root, proof)


def test_equal_sizes_need_equal_roots_and_no_proof():
    merkle.verify_consistency(3, 3, bytes.fromhex(ROOTS[2]), bytes.fromhex(ROOTS[2]), [])
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(3, 3, bytes.fromhex(ROOTS[2]), bytes.fromhex(ROOTS[3]), [])


def test_a_real_ct_inclusion_proof_verifies_and_a_too_short_one_does_not():
    path = _hex(REAL_PATH)
    merkle.verify_inclusion(REAL_INDEX, REAL_SIZE, bytes.fromhex(REAL_LEAF_HASH), path, bytes.fromhex(REAL_ROOT))
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(REAL_INDEX, REAL_SIZE, bytes.fromhex(REAL_LEAF_HASH), path[:-1],
                                bytes.fromhex(REAL_ROOT))
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(REAL_INDEX, REAL_SIZE, bytes(32), path, bytes.fromhex(REAL_ROOT))


def test_the_ct_inclusion_proofs_of_trees_up_to_four_leaves():
    h = [merkle.leaf_hash(bytes.fromhex(x)) for x in ("aa", "bb", "cc", "dd")]
    n = merkle.node_hash
    expected = {
        1: [[]],
        2: [[h[1]], [h[0]]],
        3: [[h[1], h[2]], [h[0], h[2]], [n(h[0], h[1])]],
        4: [[h[1], n(h[2], h[3])], [h[0], n(h[2], h[3])], [h[3], n(h[0], h[1])], [h[2], n(h[0], h[1])]],
    }
    source = merkle.MemorySource(h)
    for size, proofs in expected.items():
        root = merkle.root(source, size)
        for index, proof in enumerate(proofs):
            assert merkle.inclusion_proof(source, index, size) == proof
            merkle.verify_inclusion(index, size, h[index], proof, root)


def test_inclusion_proofs_of_the_wrong_length_are_rejected():
    ones, zeros = bytes.fromhex("11" * 32), bytes(32)
    for path in ([zeros, zeros, zeros], [zeros]):
        with pytest.raises(merkle.ProofError, match="exactly 2"):
            merkle.verify_inclusion(0, 4, ones, path, zeros)
    with pytest.raises(merkle.ProofError, match="outside"):
        merkle.verify_inclusion(4, 4, ones, [zeros, zeros], zeros)


def test_the_rightmost_leaf_of_unbalanced_trees():
    ones, zeros = bytes.fromhex("11" * 32), bytes(32)
    leaf = merkle.leaf_hash(ones)
    n = merkle.node_hash
    merkle.verify_inclusion(7, 8, leaf, [zeros] * 3, n(zeros, n(zeros, n(zeros, leaf))))
    merkle.verify_inclusion(4, 5, leaf, [zeros], n(zeros, leaf))
    merkle.verify_inclusion(5, 6, leaf, [zeros] * 2, n(zeros, n(zeros, leaf)))
    merkle.verify_inclusion(4, 6, leaf, [zeros] * 2, n(zeros, n(leaf, zeros)))


def test_a_range_that_is_not_a_subtree_is_refused():
    with pytest.raises(ValueError, match="not a subtree"):
        merkle.range_nodes(2, 5)
    assert merkle.range_nodes(4, 7) == [merkle.Node(1, 2), merkle.Node(0, 6)]
