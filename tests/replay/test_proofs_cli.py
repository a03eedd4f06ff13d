"""``checkpoint`` and ``proof`` through the real CLI, checked with code this project did not
write: sigstore's RFC 9162 inclusion helpers, pymerkle's roots and consistency check, and
``cryptography``'s Ed25519 over the canonical bytes rebuilt here from docs/integrity.md."""

from __future__ import annotations

import base64
import json
from uuid import UUID

import pymerkle
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sigstore._internal.merkle import _hash_leaf

from ledger.checkpoints import consistency_proof, inclusion_proof, sign_checkpoint
from ledger.errors import UsageError
from ledger.store import Ledger
from tests.support.independent import rfc9162_consistency, sigstore_root
from tests.support.tampering import Attacker, build, views


def _json(cli, *args: str, check: int = 0) -> dict:
    return json.loads(cli(*args, "--format", "json", check=check).stdout)


def _signed_bytes(cp: dict) -> bytes:
    return (f"lokikirja-checkpoint/v1\ntree_size={cp['tree_size']}\nroot_hash={cp['root_hash']}\n"
            f"timestamp={cp['timestamp']}\nkey_id={cp['key_id']}\n").encode()


def _sigstore_root(proof: dict, path: list[bytes]) -> bytes:
    leaf_hash = _hash_leaf(base64.b64decode(proof["leaf"]))
    return sigstore_root(proof["leaf_index"], proof["tree_size"], leaf_hash, path)


def test_the_checkpoint_is_signed_over_the_documented_bytes_with_the_published_key(ledger: Ledger, cli):
    build(ledger, (300, 33))
    cp = _json(cli, "checkpoint")
    assert list(cp) == ["tree_size", "root_hash", "timestamp", "key_id", "signature"]
    assert cp["tree_size"] == 333
    key = _json(cli, "checkpoint", "--public-key")
    assert list(key) == ["key_id", "public_key"] and key["key_id"] == cp["key_id"]
    assert cli("checkpoint", "--public-key", check=0).stdout.strip() == key["public_key"]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    public.verify(base64.b64decode(cp["signature"]), _signed_bytes(cp))
    with pytest.raises(InvalidSignature):
        public.verify(base64.b64decode(cp["signature"]), _signed_bytes({**cp, "tree_size": 332}))
    assert sign_checkpoint(ledger) == cp  # nothing new appended: the same checkpoint, not a new one


def test_an_inclusion_proof_is_accepted_by_an_independent_verifier_and_a_flipped_bit_is_not(ledger: Ledger, cli):
    build(ledger, (300, 300, 100))
    attacker = Attacker(ledger)
    cp = sign_checkpoint(ledger)
    positions = attacker.positions()
    printed = _json(cli, "proof", "inclusion", attacker.event_at(positions[513]))
    proofs = [printed] + [inclusion_proof(ledger, UUID(attacker.event_at(positions[i]))) for i in (0, 299, 699)]
    for proof in proofs:
        leaf, position = proof["leaf_index"], positions[proof["leaf_index"]]
        assert list(proof) == ["leaf_index", "tree_size", "leaf", "leaf_hash", "audit_path", "root_hash"]
        assert (proof["tree_size"], proof["root_hash"]) == (700, cp["root_hash"])
        raw = base64.b64decode(proof["leaf"])
        assert raw == (b"lokikirja/leaf/v1\n" + leaf.to_bytes(8, "big") + position.to_bytes(8, "big")
                       + attacker.row(position)[1])
        assert _hash_leaf(raw).hex() == proof["leaf_hash"]
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        assert _sigstore_root(proof, path).hex() == cp["root_hash"]
        for which in range(len(path)):
            flipped = list(path)
            flipped[which] = bytes([path[which][0] ^ 0x10]) + path[which][1:]
            assert _sigstore_root(proof, flipped).hex() != cp["root_hash"]
    assert inclusion_proof(ledger, UUID(attacker.event_at(positions[5])), 300)["tree_size"] == 300
    attacker.close()


def test_a_consistency_proof_is_accepted_and_its_roots_are_pymerkles(ledger: Ledger, cli):
    build(ledger, (300, 300, 100))
    attacker = Attacker(ledger)  # reads the rows directly; the leaf bytes are rebuilt here, as documented
    reference = pymerkle.InmemoryTree()
    for index, position in enumerate(attacker.positions()):
        reference.append_entry(b"lokikirja/leaf/v1\n" + index.to_bytes(8, "big") + position.to_bytes(8, "big")
                               + attacker.row(position)[1])
    attacker.close()
    printed = _json(cli, "proof", "consistency", "300", "700")
    for first, second in [(300, 700), (1, 700), (256, 700), (699, 700), (5, 6)]:
        doc = printed if (first, second) == (300, 700) else consistency_proof(ledger, first, second)
        assert list(doc) == ["first_size", "second_size", "first_root", "second_root", "proof"]
        first_root, second_root = bytes.fromhex(doc["first_root"]), bytes.fromhex(doc["second_root"])
        assert (first_root, second_root) == (reference.get_root(first), reference.get_root(second))
        pymerkle.verify_consistency(first_root, second_root, reference.prove_consistency(first, second))
        proof = [bytes.fromhex(h) for h in doc["proof"]]
        assert rfc9162_consistency(first, second, first_root, second_root, proof)
        bad = [bytes([proof[-1][0] ^ 1]) + proof[-1][1:]] if len(proof) == 1 else [proof[0], *proof[2:]]
        assert not rfc9162_consistency(first, second, first_root, second_root, bad)


def test_an_unknown_event_or_a_bad_size_is_a_usage_error(ledger: Ledger, cli):
    build(ledger, (20,))
    unknown = cli("proof", "inclusion", "9d2c0b8e-4f0c-4c52-a3f4-0f6b1e7d9a10", check=2)
    assert unknown.stderr.strip() == "error: no event with id 9d2c0b8e-4f0c-4c52-a3f4-0f6b1e7d9a10 in the ledger"
    assert "OLD_SIZE ≤ NEW_SIZE" in cli("proof", "consistency", "9", "5", check=2).stderr
    with pytest.raises(UsageError, match="between 1 and 20"):
        inclusion_proof(ledger, UUID(views(1)[0]["id"]), 21)
