"""Checkpoint, RFC 6962 proofs and verification over real HTTP, checked with the RFC's own algorithms."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.factories import event_id
from tests.http.harness import LiveServer

merkle = pytest.importorskip("ledger.merkle", reason="the Merkle seal (ledger/merkle.py) is not there yet")
pytest.importorskip("ledger.checkpoints", reason="signed checkpoints (ledger/checkpoints.py) are not there yet")
pytest.importorskip("replay.verify", reason="verification (replay/verify.py) is not there yet")


def test_the_checkpoint_is_signed_by_the_public_key_and_proofs_lead_to_its_root(scenario_server: LiveServer):
    from ledger.checkpoints import Checkpoint

    with scenario_server.client("avi") as client:
        checkpoint = client.get("/v1/checkpoint").json()
        key = client.get("/v1/public-key").json()
        proof = client.get(f"/v1/proofs/inclusion/{event_id('v-own')}").json()
    assert Checkpoint.from_json(checkpoint).verifies_with(base64.b64decode(key["public_key"]))
    assert proof["tree_size"] == checkpoint["tree_size"] and proof["root_hash"] == checkpoint["root_hash"]
    leaf_hash = hashlib.sha256(b"\x00" + base64.b64decode(proof["leaf"])).digest()  # RFC 6962 §2.1
    assert leaf_hash.hex() == proof["leaf_hash"]
    merkle.verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf_hash,
                            [bytes.fromhex(h) for h in proof["audit_path"]], bytes.fromhex(checkpoint["root_hash"]))


def test_consistency_proofs_verify_and_bad_sizes_are_refused(scenario_server: LiveServer):
    with scenario_server.client("ingest") as client:
        size = client.get("/v1/checkpoint").json()["tree_size"]
        proof = client.get("/v1/proofs/consistency", params={"first": 10, "second": size}).json()
        assert client.get("/v1/proofs/consistency", params={"first": 0, "second": size}).status_code == 422
        assert client.get("/v1/proofs/consistency", params={"first": size, "second": 10 * size}).status_code == 400
        assert client.get(f"/v1/proofs/inclusion/{event_id('v-own')}").status_code == 403
    merkle.verify_consistency(10, size, bytes.fromhex(proof["first_root"]), bytes.fromhex(proof["second_root"]),
                              [bytes.fromhex(h) for h in proof["proof"]])


def test_verify_reports_an_intact_log_and_unknown_events_are_404(scenario_server: LiveServer):
    with scenario_server.client("dpo-hki") as client:
        report = client.get("/v1/verify").json()
        unknown = client.get("/v1/proofs/inclusion/00000000-0000-4000-8000-000000000000")
        malformed = client.get("/v1/proofs/inclusion/not-a-uuid")
    assert report["ok"] is True and report["first_bad"] is None and report["checkpoints"] >= 1
    assert unknown.status_code == 404 and malformed.status_code == 422


def test_the_checkpoint_note_and_the_log_key_are_served_and_verify(scenario_server: LiveServer):
    from ledger.note import CheckpointText, SignedNote, VerifierKey

    with scenario_server.client("avi") as client:
        checkpoint = client.get("/v1/checkpoint").json()
        note = client.get("/v1/checkpoint/note")
        vkey = client.get("/v1/log-key")
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    key = VerifierKey.parse(vkey.text)
    signed = SignedNote.parse(note.text)
    assert [v.key for v in signed.verify([key])] == [key]
    text = CheckpointText.parse(signed.text)
    assert (text.tree_size, text.root_hash.hex()) == (checkpoint["tree_size"], checkpoint["root_hash"])
    assert text.origin == key.name


def test_inclusion_proofs_are_scoped_and_recorded_like_every_read(scenario_server: LiveServer):
    """Issue 17.7: the proof's leaf is the stored record, so a DPO gets proofs only of events about
    its organisation's customers or users; every request is recorded, refusals included."""
    own, others = event_id("v-own"), event_id("bulk-05")  # u:hki-1 viewing c:a6; u:te-bulk viewing c:b05

    def recorded() -> list[dict]:
        return [f.data for f in scenario_server.facts("ledger.queried")
                if f.actor == scenario_server.user("dpo-hki") and f.data.get("command") == "proof inclusion"]

    before = len(recorded())
    with scenario_server.client("dpo-hki") as client:
        assert client.get(f"/v1/proofs/inclusion/{own}", params={"purpose": "complaint 2026/7"}).status_code == 200
        refused = client.get(f"/v1/proofs/inclusion/{others}")
    assert refused.status_code == 403 and "outside the scope" in refused.text
    with scenario_server.client("avi") as client:
        assert client.get(f"/v1/proofs/inclusion/{others}").status_code == 200
    mine = recorded()[before:]
    assert [(q.get("subject"), bool(q.get("refused"))) for q in mine] == [("c:a6", False), ("c:b05", True)]
