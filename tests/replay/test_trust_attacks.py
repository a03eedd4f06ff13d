"""The operator as attacker (issue: proof that holds against the ledger's own operator), on both
backends: whoever runs the store holds its signing key and can rewrite its tables. Each attack
passes the store's own check — which is why that check says it relied on the store's key — and
is caught by ``verify`` (and ``verify-bundle``) under a pinned policy: the log's verifier key
obtained out of band, and a witness the supervisor runs."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.checkpoints import log_verifier, sign_checkpoint
from ledger.keys import key_id
from ledger.store import Ledger
from ledger.witness import Witness
from ledger.witnesses import add as add_witness
from ledger.witnesses import submit
from tests.conftest import Cli, fresh_db_url
from tests.support.tampering import Attacker, ingest, views
from tests.support.witnesses import RunningWitness, make_witness


def grow(ledger: Ledger, *batches: tuple[int, int]) -> None:
    """Ingest ``(start, n)`` batches, each sealed, signed and submitted to the witnesses."""
    for start, n in batches:
        ingest(ledger, views(n, start))
        sign_checkpoint(ledger)
        submit(ledger, force=True)


def label(vkey: str) -> str:
    """``name+keyid`` of a vkey (its base64 key may hold "+" itself)."""
    return "+".join(vkey.split("+", 2)[:2])


class Setup:
    def __init__(self, ledger: Ledger, cli: Cli, witness: RunningWitness) -> None:
        self.ledger, self.cli, self.witness = ledger, cli, witness
        self.log_vkey = str(log_verifier(ledger))
        self.witness_vkey = str(Witness(witness.folder).verifier)
        self.policy = ["--log-key", self.log_vkey, "--witness-key", self.witness_vkey]

    def verify(self, *args: str, check: int) -> dict:
        result = self.cli("verify", "--format", "json", *args, check=check)
        doc = json.loads(result.stdout)
        if check == 1:
            assert len(result.stderr.strip().splitlines()) == 1 and "tampered" in result.stderr
        return doc


@pytest.fixture
def setup(ledger: Ledger, cli: Cli, tmp_path: Path):
    witness = make_witness(tmp_path, "avi.example/w1", str(log_verifier(ledger)))
    add_witness(ledger, witness.url, str(Witness(witness.folder).verifier))
    grow(ledger, (0, 300), (300, 300), (600, 100))  # checkpoints 300, 600, 700, each cosigned
    yield Setup(ledger, cli, witness)
    witness.stop()


def test_an_intact_log_verifies_under_the_pinned_policy_and_names_the_keys_it_relied_on(setup: Setup):
    doc = setup.verify(*setup.policy, check=0)
    trust = doc["trust"]
    assert trust["policy"] == "pinned" and trust["log_keys"] == [label(setup.log_vkey)]
    assert trust["witness_keys"] == [label(setup.witness_vkey)] and trust["quorum"] == 1
    assert trust["witnessed_size"] == 700
    assert [w["tree_size"] for w in trust["witnesses_seen"]] == [700]
    table = setup.cli("verify", *setup.policy, check=0).stdout
    assert f"pinned log key {label(setup.log_vkey)}" in table and "witnessed up to tree size 700" in table
    plain = setup.cli("verify", check=0)
    assert "which the store itself holds, not a pinned key" in plain.stdout
    unpinned = setup.cli("verify", "--format", "json", check=0)
    assert set(json.loads(unpinned.stdout)) == {"ok", "events", "checkpoints", "first_bad"}
    assert "which the store itself holds, not a pinned key" in unpinned.stderr


def test_a_full_rewrite_re_signed_with_the_operators_own_key_fails_under_the_pinned_key(
        setup: Setup, keys_dir: Path, tmp_path: Path):
    attacker = Attacker(setup.ledger)
    attacker.set_actor(attacker.positions()[450], "u:someone-else")
    attacker.cut_seal(0)
    own = tmp_path / "operator-keys"
    own.mkdir(mode=0o700)
    for name in ("master.key", "index.key"):
        shutil.copy(keys_dir / name, own / name)
    signing = Ed25519PrivateKey.generate()
    (own / "signing.key").write_text(base64.b64encode(signing.private_bytes_raw()).decode() + "\n")
    public = signing.public_key().public_bytes_raw()
    attacker.use_signing_key(public, key_id(public))
    attacker.close()
    setup.cli("checkpoint", env={"LOKIKIRJA_KEYS": str(own)}, check=0)

    assert setup.verify(check=0)["ok"] is True  # the store's own key: the rewrite passes
    bad = setup.verify("--log-key", setup.log_vkey, check=1)["first_bad"]
    assert bad["reason"].startswith("forged checkpoint") and "pinned log key" in bad["reason"]
    assert setup.verify(*setup.policy, check=1)["first_bad"]["reason"].startswith("forged checkpoint")


def test_a_tail_rewritten_after_deleting_the_latest_checkpoints_is_caught_by_the_witness(setup: Setup):
    attacker = Attacker(setup.ledger)
    attacker.cut_seal(300)  # checkpoints 600 and 700, their cosignatures and the seal after 300: gone
    attacker.set_actor(attacker.positions()[450], "u:someone-else")
    attacker.close()
    signed = setup.cli("checkpoint", check=0).stdout  # re-sealed and signed with the log's real key
    assert "witness avi.example/w1" in signed and "refused" in signed  # the witness will not cosign it

    assert setup.verify(check=0)["ok"] is True
    assert setup.verify("--log-key", setup.log_vkey, check=0)["ok"] is True  # the real key signed it
    bad = setup.verify(*setup.policy, check=1)["first_bad"]
    assert bad["reason"].startswith("rewritten after it was witnessed")
    assert "avi.example/w1" in bad["reason"] and "tree size 700" in bad["reason"]


def test_a_rolled_back_tail_is_caught(setup: Setup):
    attacker = Attacker(setup.ledger)
    attacker.delete_tail(600)
    attacker.close()
    assert setup.verify(check=0)["ok"] is True
    bad = setup.verify(*setup.policy, check=1)["first_bad"]
    assert bad["reason"].startswith("rolled back") and "700" in bad["reason"]


def test_a_deleted_latest_checkpoint_is_caught(setup: Setup):
    attacker = Attacker(setup.ledger)
    attacker.delete_checkpoints_above(600)
    attacker.close()
    bad = setup.verify(*setup.policy, check=1)["first_bad"]
    assert bad["reason"].startswith("rolled back") and "covers only 600" in bad["reason"]


def test_a_bundle_forged_under_a_fresh_key_fails_under_the_pinned_key(
        setup: Setup, backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    genuine = tmp_path / "genuine.json"
    setup.cli("dossier", "c:7", "--as", "u:appeals-1", "--purpose", "appeal 2026/1", "--format", "bundle",
              "--out", str(genuine), check=0)
    ok = setup.cli("verify-bundle", str(genuine), *setup.policy, check=0).stdout
    assert "(pinned)" in ok and label(setup.log_vkey) in ok and label(setup.witness_vkey) in ok

    forger = Cli(fresh_db_url(backend, tmp_path, request), tmp_path / "forger-keys", tmp_path)
    forger("init", check=0)
    batch = tmp_path / "same-events.jsonl"
    batch.write_text("".join(json.dumps(e) + "\n" for e in views(700)))
    forger("ingest", str(batch), check=0)
    forged = tmp_path / "forged.json"
    forger("dossier", "c:7", "--as", "u:appeals-1", "--purpose", "appeal 2026/1", "--format", "bundle",
           "--out", str(forged), check=0)
    unpinned = setup.cli("verify-bundle", str(forged), check=0)
    assert "not pinned" in unpinned.stdout  # it says what it relied on: the bundle's own key
    result = setup.cli("verify-bundle", str(forged), "--log-key", setup.log_vkey, check=1)
    assert "pinned log key" in result.stderr


def test_a_fork_shown_to_the_witness_is_refused_and_the_witness_keeps_its_state(
        setup: Setup, backend: str, keys_dir: Path, tmp_path: Path, request: pytest.FixtureRequest):
    root = setup.verify(*setup.policy, check=0)
    twin_keys = tmp_path / "twin-keys"
    shutil.copytree(keys_dir, twin_keys)  # the operator runs a second store under the same key and origin
    twin, _ = Ledger.init(fresh_db_url(backend, tmp_path, request), twin_keys)
    with twin:
        assert str(log_verifier(twin)) == setup.log_vkey
        add_witness(twin, setup.witness.url, setup.witness_vkey)
        ingest(twin, views(800, 5000))
        sign_checkpoint(twin)
        [outcome] = submit(twin, force=True)
    assert outcome.status == "refused" and "HTTP 422" in outcome.detail
    status = json.loads(setup.cli("witness", "status", "--dir", str(setup.witness.folder), "--format", "json",
                                  check=0).stdout)
    assert status["logs"][0]["tree_size"] == 700 and status["refused"][-1]["status"] == 422
    assert setup.verify(*setup.policy, check=0)["trust"] == root["trust"]


def test_a_restarted_witness_goes_on_from_its_state(setup: Setup, tmp_path: Path):
    setup.witness.stop()
    batch = tmp_path / "more.jsonl"
    batch.write_text("".join(json.dumps(e) + "\n" for e in views(50, 700)))
    ingested = setup.cli("ingest", str(batch), check=0)  # a witness that is down delays nothing
    assert "avi.example/w1" in ingested.stderr and "unreachable" in ingested.stderr
    setup.witness.start()
    assert "cosigned" in setup.cli("checkpoint", check=0).stdout
    assert setup.verify(*setup.policy, check=0)["trust"]["witnessed_size"] == 750


def test_two_witnesses_one_stopped_mid_run(ledger: Ledger, cli: Cli, tmp_path: Path):
    log_vkey = str(log_verifier(ledger))
    w1, w2 = (make_witness(tmp_path, f"avi.example/w{i}", log_vkey) for i in (1, 2))
    try:
        keys = [str(Witness(w.folder).verifier) for w in (w1, w2)]
        for w, k in zip((w1, w2), keys, strict=True):
            add_witness(ledger, w.url, k)
        grow(ledger, (0, 300))
        w2.stop()
        batch = tmp_path / "second.jsonl"
        batch.write_text("".join(json.dumps(e) + "\n" for e in views(300, 300)))
        ingested = cli("ingest", str(batch), check=0)
        assert "avi.example/w2" in ingested.stderr and "unreachable" in ingested.stderr
        note = cli("checkpoint", "--format", "note", check=0).stdout
        assert "\u2014 avi.example/w1 " in note and "\u2014 avi.example/w2 " not in note
        policy = ["--log-key", log_vkey, *(a for k in keys for a in ("--witness-key", k))]
        both = json.loads(cli("verify", "--format", "json", *policy, "--witnesses", "2", check=0).stdout)["trust"]
        assert both["witnessed_size"] == 300 and any("not reachable" in n for n in both["notes"])
        one = json.loads(cli("verify", "--format", "json", *policy, "--witnesses", "1", check=0).stdout)["trust"]
        assert one["witnessed_size"] == 600
        w2.start()
        assert "avi.example/w2" in cli("checkpoint", check=0).stdout
        both = json.loads(cli("verify", "--format", "json", *policy, "--witnesses", "2", check=0).stdout)["trust"]
        assert both["witnessed_size"] == 600
    finally:
        w1.stop()
        w2.stop()
