"""Rotating the log's signing key without breaking old proofs (docs/integrity.md §8), on both
backends: prepare the next key, let the witness accept it, switch; old checkpoints and bundles
stay valid for whoever pins the old key, new ones need the new key, and the unpinned check knows both."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.checkpoints import log_verifier
from ledger.store import Ledger
from ledger.witness import Witness
from ledger.witnesses import add as add_witness
from tests.conftest import Cli
from tests.replay.test_trust_attacks import grow
from tests.support.tampering import views
from tests.support.witnesses import lokikirja, make_witness


def test_a_rotated_signing_key_keeps_old_proofs_valid(ledger: Ledger, cli: Cli, tmp_path: Path):
    old = str(log_verifier(ledger))
    witness = make_witness(tmp_path, "avi.example/rotation", old)
    try:
        witness_vkey = str(Witness(witness.folder).verifier)
        add_witness(ledger, witness.url, witness_vkey)
        grow(ledger, (0, 300))
        before = tmp_path / "before.json"
        cli("dossier", "c:7", "--as", "u:appeals-1", "--purpose", "appeal 2026/2", "--format", "bundle",
            "--out", str(before), check=0)

        new = cli("keys", "rotate-signing", "--prepare", check=0).stdout.strip()
        assert new.split("+")[0] == old.split("+")[0] and new != old  # same origin, another key
        assert cli("keys", "rotate-signing", "--prepare", check=0).stdout.strip() == new  # made once
        lokikirja("witness", "add-log", new, "--dir", str(witness.folder))
        switched = json.loads(cli("keys", "rotate-signing", "--format", "json", check=0).stdout)
        assert switched["vkey"] == new and cli("keys", "verifier", check=0).stdout.strip() == new

        batch = tmp_path / "after.jsonl"
        batch.write_text("".join(json.dumps(e) + "\n" for e in views(300, 300)))
        ingested = cli("ingest", str(batch), check=0)
        assert "did not cosign" not in ingested.stderr  # the witness took the new key's checkpoint

        unpinned = json.loads(cli("verify", "--format", "json", check=0).stdout)
        total = unpinned["events"]  # 600 and the dossier's own ledger.queried
        both = ["--log-key", old, "--log-key", new, "--witness-key", witness_vkey]
        trust = json.loads(cli("verify", "--format", "json", *both, check=0).stdout)["trust"]
        assert trust["witnessed_size"] == total
        only_old = json.loads(cli("verify", "--format", "json", "--log-key", old, check=1).stdout)
        assert only_old["first_bad"]["reason"].startswith(f"forged checkpoint: the checkpoint of tree size {total}")
        only_new = json.loads(cli("verify", "--format", "json", "--log-key", new, check=1).stdout)
        assert only_new["first_bad"]["reason"].startswith("forged checkpoint: the checkpoint of tree size 300")

        cli("verify-bundle", str(before), check=0)
        cli("verify-bundle", str(before), "--log-key", old, "--witness-key", witness_vkey, check=0)
        cli("verify-bundle", str(before), "--log-key", new, check=1)
    finally:
        witness.stop()
