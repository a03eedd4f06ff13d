"""Verifiers this project did not write, or wrote only from the RFC's text, for the tests."""

from __future__ import annotations

import hashlib

from sigstore._internal.merkle import _chain_border_right, _chain_inner, _decomp_inclusion_proof


def sigstore_root(index: int, size: int, leaf_hash: bytes, path: list[bytes]) -> bytes:
    """The root an inclusion proof leads to, by sigstore's RFC 9162 helpers (Trillian's algorithm)."""
    inner, border = _decomp_inclusion_proof(index, size)
    assert len(path) == inner + border, "wrong proof length"
    return _chain_border_right(_chain_inner(leaf_hash, path[:inner], index), path[inner:])


def rfc9162_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, step by step (for 0 < first < second)."""
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hashlib.sha256(b"\x01" + c + fr).digest()
            sr = hashlib.sha256(b"\x01" + c + sr).digest()
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = hashlib.sha256(b"\x01" + sr + c).digest()
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0
