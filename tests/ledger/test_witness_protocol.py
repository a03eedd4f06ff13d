"""The witness (``lokikirja witness serve``) over real HTTP, held to c2sp.org/tlog-witness: each
status code, the 409 body and content type, a cosignature that verifies, a fork refused and kept
as evidence, state that survives a restart, and concurrent submissions of two forks."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import merkle
from ledger.note import (
    CheckpointText,
    NoteSigner,
    Signature,
    SignedNote,
    VerifierKey,
    add_checkpoint_request,
)
from ledger.witness import origin_hash
from tests.support.witnesses import RunningWitness, lokikirja, make_witness

ORIGIN = "lokikirja.example.fi/area-test"


class Log:
    """An in-memory log that signs checkpoints under ORIGIN."""

    def __init__(self, seed: bytes = b"a", signer: NoteSigner | None = None) -> None:
        self.signer = signer or NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
        self.leaves = [merkle.leaf_hash(seed + bytes([i % 256, i // 256])) for i in range(600)]

    def note(self, size: int) -> SignedNote:
        text = CheckpointText(ORIGIN, size, merkle.tree_root(self.leaves[:size])).text()
        return SignedNote(text, (self.signer.sign(text),))

    def proof(self, old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof(merkle.MemorySource(self.leaves), old, new) if 0 < old < new else []

    def request(self, old: int, new: int) -> str:
        return add_checkpoint_request(old, self.proof(old, new), self.note(new).encode())


@pytest.fixture(scope="module")
def log() -> Log:
    return Log()


@pytest.fixture
def witness(tmp_path: Path, log: Log):
    running = make_witness(tmp_path, "avi.example/witness-test", str(log.signer.verifier))
    yield running
    running.stop()


def _cosignature(witness: RunningWitness, note: SignedNote, answer_text: str) -> int:
    lines = [Signature.parse(line) for line in answer_text.splitlines(keepends=True)]
    verified = SignedNote(note.text, tuple(lines)).verify([VerifierKey.parse(witness.vkey)])
    assert len(verified) == 1 and verified[0].timestamp > 0
    return verified[0].timestamp


def test_a_first_checkpoint_is_cosigned_and_served_to_monitors(witness: RunningWitness, log: Log):
    answer = witness.post(log.request(0, 100))
    assert answer.status_code == 200, answer.text
    assert answer.text.startswith("\u2014 avi.example/witness-test ") and answer.text.endswith("\n")
    _cosignature(witness, log.note(100), answer.text)
    served = witness_get(witness)
    assert served.status_code == 200
    note = SignedNote.parse(served.text)
    assert CheckpointText.parse(note.text).tree_size == 100
    assert note.verify([log.signer.verifier]) and note.verify([VerifierKey.parse(witness.vkey)])


def witness_get(witness: RunningWitness, origin: str = ORIGIN):
    import httpx

    return httpx.get(f"{witness.url}/{origin_hash(origin)}/checkpoint", timeout=10)


def test_a_consistent_extension_is_cosigned_and_a_stale_old_size_gets_409(witness: RunningWitness, log: Log):
    assert witness.post(log.request(0, 100)).status_code == 200
    assert witness.post(log.request(100, 250)).status_code == 200
    stale = witness.post(log.request(100, 300))
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("text/x.tlog.size")
    assert stale.text == "250\n"
    assert witness.post(log.request(250, 250)).status_code == 200  # the same tree again


def test_a_fork_is_refused_with_422_and_the_witness_keeps_its_state(witness: RunningWitness, log: Log):
    assert witness.post(log.request(0, 100)).status_code == 200
    fork = Log(seed=b"b", signer=log.signer)  # the operator holds the key and signs another history
    same_size = witness.post(fork.request(100, 100))
    assert same_size.status_code == 422
    wrong_proof = witness.post(add_checkpoint_request(100, log.proof(100, 200), fork.note(200).encode()))
    assert wrong_proof.status_code == 422
    assert CheckpointText.parse(SignedNote.parse(witness_get(witness).text).text).tree_size == 100
    status = json.loads(lokikirja("witness", "status", "--dir", str(witness.folder), "--format", "json").stdout)
    assert status["logs"][0]["tree_size"] == 100
    assert [r["status"] for r in status["refused"]] == [422, 422]
    assert witness.post(log.request(100, 200)).status_code == 200  # the honest history goes on


def test_bad_requests_get_the_specified_status_codes(witness: RunningWitness, log: Log):
    other = Log(signer=NoteSigner("lokikirja.example.fi/unknown", Ed25519PrivateKey.generate()))
    text = CheckpointText("lokikirja.example.fi/unknown", 10, merkle.tree_root(other.leaves[:10])).text()
    unknown = SignedNote(text, (other.signer.sign(text),)).encode()
    assert witness.post(add_checkpoint_request(0, [], unknown)).status_code == 404
    stranger = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())  # a key the witness does not trust
    note = log.note(10)
    assert witness.post(add_checkpoint_request(0, [], SignedNote(note.text, (stranger.sign(note.text),)).encode())
                        ).status_code == 403
    forged = SignedNote(note.text.replace("\n10\n", "\n11\n"), note.signatures)  # text altered after signing
    assert witness.post(add_checkpoint_request(0, [], forged.encode())).status_code == 403
    assert witness.post(log.request(0, 10).replace("old 0", "old 20")).status_code == 400
    assert witness.post("old 0\nnot a note").status_code == 400
    assert witness.post(add_checkpoint_request(0, [b"\x00" * 32], log.note(10).encode())).status_code == 422
    empty = CheckpointText(ORIGIN, 0, b"\x01" * 32).text()
    assert witness.post(add_checkpoint_request(0, [], SignedNote(empty, (log.signer.sign(empty),)).encode())
                        ).status_code == 422
    assert witness_get(witness).status_code == 404  # nothing cosigned yet


def test_a_restarted_witness_remembers_what_it_cosigned(witness: RunningWitness, log: Log):
    assert witness.post(log.request(0, 100)).status_code == 200
    witness.stop()
    witness.start()
    assert witness.post(log.request(0, 150)).text == "100\n"  # 409: it still holds 100
    assert witness.post(Log(seed=b"c", signer=log.signer).request(100, 150)).status_code == 422
    assert witness.post(log.request(100, 150)).status_code == 200


def test_two_forks_submitted_at_once_never_both_get_a_cosignature(witness: RunningWitness, log: Log):
    assert witness.post(log.request(0, 100)).status_code == 200
    fork = Log(seed=b"d", signer=log.signer)
    fork.leaves[:100] = log.leaves[:100]  # agrees up to 100, differs after
    bodies = [log.request(100, 300), fork.request(100, 300)] * 4
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda b: witness.post(b).status_code, bodies))
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 422}
