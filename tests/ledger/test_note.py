"""``ledger/note.py`` against the C2SP texts: the signed-note spec's own example, key ids, vkeys
(whose base64 may hold "+"), cosignature/v1, and the witness and tlog-proof bodies."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import merkle
from ledger.note import (
    COSIGNATURE_V1,
    CheckpointText,
    NoteError,
    NoteSigner,
    SignedNote,
    VerifierKey,
    add_checkpoint_request,
    cosigned_message,
    parse_add_checkpoint,
    parse_tlog_proof,
    tlog_proof,
)

SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n\u2014 example.com/foo "
             "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


def test_the_signed_note_specs_example_verifies():
    key = VerifierKey.parse(SPEC_VKEY)
    assert str(key) == SPEC_VKEY and key.key_id == "530d903a"
    assert [v.key for v in SignedNote.parse(SPEC_NOTE).verify([key])] == [key]


def test_an_altered_text_or_signature_rejects_the_note():
    key = VerifierKey.parse(SPEC_VKEY)
    with pytest.raises(NoteError, match="does not verify"):
        SignedNote.parse(SPEC_NOTE.replace("example message", "exemplary message")).verify([key])
    other = NoteSigner("example.com/foo", Ed25519PrivateKey.generate())
    assert SignedNote.parse(SPEC_NOTE).verify([other.verifier]) == []  # unknown key id: ignored, not verified


def test_the_key_id_is_the_specified_hash():
    signer = NoteSigner("lokikirja.example.fi/area-x", Ed25519PrivateKey.generate())
    v = signer.verifier
    expected = hashlib.sha256(b"lokikirja.example.fi/area-x\n\x01" + v.public_key).digest()[:4]
    assert v.key_hash == int.from_bytes(expected, "big")
    material = base64.b64encode(b"\x01" + v.public_key).decode()
    assert str(v) == f"lokikirja.example.fi/area-x+{expected.hex()}+{material}"


def test_vkeys_whose_base64_holds_a_plus_parse():
    for _ in range(200):
        v = NoteSigner("a.example/log", Ed25519PrivateKey.generate()).verifier
        if "+" in str(v).split("+", 2)[2]:
            assert VerifierKey.parse(str(v)) == v
            return
    pytest.fail("no key with '+' in its base64 in 200 tries")


@pytest.mark.parametrize("bad", ["", "name+1234abcd", "na me+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                                 "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                                 "example.com/foo+530d903a+Aeky!"])
def test_malformed_vkeys_are_refused(bad: str):
    with pytest.raises(NoteError):
        VerifierKey.parse(bad)


def test_a_cosignature_signs_the_header_the_time_and_the_checkpoint():
    witness = NoteSigner("avi.example/w1", Ed25519PrivateKey.generate(), COSIGNATURE_V1)
    text = CheckpointText("o.example/log", 5, merkle.EMPTY_ROOT).text()
    sig = witness.sign(text, timestamp=1_700_000_000)
    assert sig.signature[:8] == (1_700_000_000).to_bytes(8, "big")
    witness.private.public_key().verify(sig.signature[8:], cosigned_message(text, 1_700_000_000))
    assert cosigned_message(text, 7).startswith(b"cosignature/v1\ntime 7\no.example/log\n5\n")
    verified = SignedNote(text, (sig,)).verify([witness.verifier])
    assert verified[0].timestamp == 1_700_000_000
    with pytest.raises(NoteError):
        witness.sign(text, timestamp=0)


def test_checkpoint_text_is_strict():
    root = b"\x07" * 32
    text = CheckpointText("o.example/log", 12, root).text()
    assert text == f"o.example/log\n12\n{base64.b64encode(root).decode()}\n"
    assert CheckpointText.parse(text) == CheckpointText("o.example/log", 12, b"\x07" * 32)
    for bad in [text.replace("\n12\n", "\n012\n"), text.rstrip("\n"), text.replace("\n12\n", "\n\n"), "a\n1\n"]:
        with pytest.raises(NoteError):
            CheckpointText.parse(bad)


def test_the_witness_request_and_the_tlog_proof_round_trip():
    proof = [bytes([i]) * 32 for i in range(3)]
    note = "o.example/log\n3\nAAAA\n\n\u2014 o.example/log AAAAAAA=\n"
    body = add_checkpoint_request(2, proof, note)
    assert body.startswith("old 2\n") and "\n\no.example/log\n" in body
    parsed = parse_add_checkpoint(body)
    assert (parsed.old_size, parsed.proof, parsed.note) == (2, proof, note)
    assert parse_add_checkpoint(add_checkpoint_request(0, [], note)).proof == []
    with pytest.raises(NoteError):
        parse_add_checkpoint("old 01\n\n" + note)
    text = tlog_proof(7, proof, note, b"leaf")
    assert text.startswith("c2sp.org/tlog-proof@v1\nextra bGVhZg==\nindex 7\n")
    p = parse_tlog_proof(text)
    assert (p.index, p.audit_path, p.note, p.extra) == (7, proof, note, b"leaf")
