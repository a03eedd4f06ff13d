"""Master key rotation: every data key re-wrapped under a new master key, the old key removed,
the log untouched, and everything still decrypts — also after a rotation cut short."""

from __future__ import annotations

from pathlib import Path

import pytest

import ledger.privacy as privacy
from ledger.errors import KeyMismatch
from ledger.privacy import contract_json
from ledger.store import Ledger
from tests.factories import write_jsonl
from tests.privacy.conftest import Run, data_key_rows
from tests.scenarios import EVENTS

WHO = ("--as", "u:dpo-1", "--purpose", "rotation check")
NAME, SV_NAME = "Asiakas c:a1", "Asiakas c:a5"


def _names(db_url: str, keys_dir: Path) -> set[str]:
    with Ledger.open(db_url, keys_dir) as ledger:
        docs = contract_json(ledger, list(ledger.read_log()))
    return {d["data"]["name"] for d in docs if d["type"] == "customer.registered"}


def _state(db_url: str, keys_dir: Path) -> tuple[str, bytes]:
    """The meta table's master key id, and the whole log's stored bytes."""
    with Ledger.open(db_url, keys_dir, need_keys=False) as ledger:
        meta = ledger.meta()
        log = b"".join(f.to_stored_event().state for f in ledger.read_log())
    return meta["master_key_id"], log


def test_rotation_rewraps_every_key_removes_the_old_one_and_leaves_the_log(backend, db_url, keys_dir, run: Run,
                                                                         tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    old_key = (keys_dir / "master.key").read_bytes()
    old_id, log = _state(db_url, keys_dir)
    names = _names(db_url, keys_dir)
    assert NAME in names

    doc = run("keys", "rotate", "--keys", str(keys_dir), "--format", "json").json()
    assert doc["previous_master_key_id"] == old_id != doc["master_key_id"]
    assert doc["rewrapped"] == len(data_key_rows(db_url, keys_dir)) > 0

    assert sorted(p.name for p in keys_dir.iterdir()) == ["index.key", "master.key", "signing.key"]
    assert all(old_key not in p.read_bytes() for p in keys_dir.iterdir())
    new_id, new_log = _state(db_url, keys_dir)
    assert new_id == doc["master_key_id"] and new_log == log
    assert {m for _, m in data_key_rows(db_url, keys_dir).values()} == {new_id}
    assert _names(db_url, keys_dir) == names
    letter = run("subject-report", "--subject", "c:a5", *WHO, "--format", "html").stdout
    assert SV_NAME in letter and 'lang="sv"' in letter


def test_a_rotation_that_fails_before_its_commit_keeps_the_old_key(backend, db_url, keys_dir, run: Run,
                                                                  tmp_path: Path, monkeypatch):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    old_key = (keys_dir / "master.key").read_bytes()

    def broken(*_: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy.DataKeys, "rewrap_all", broken)
    with Ledger.open(db_url, keys_dir) as ledger, pytest.raises(RuntimeError):
        privacy.rotate_master_key(ledger)
    assert (keys_dir / "master.key").read_bytes() == old_key
    assert not (keys_dir / privacy.PENDING_MASTER).exists()
    assert NAME in _names(db_url, keys_dir)


def test_a_rotation_cut_short_after_its_commit_is_completed_by_the_next_rotate(backend, db_url, keys_dir, run: Run,
                                                                              tmp_path: Path, monkeypatch):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)))
    real_replace = privacy.os.replace

    def crash(*_: object) -> None:
        raise KeyboardInterrupt  # the process dies between the commit and the file swap

    monkeypatch.setattr(privacy.os, "replace", crash)
    with Ledger.open(db_url, keys_dir) as ledger, pytest.raises(KeyboardInterrupt):
        privacy.rotate_master_key(ledger)
    monkeypatch.setattr(privacy.os, "replace", real_replace)
    with pytest.raises(KeyMismatch):
        Ledger.open(db_url, keys_dir).close()

    run("keys", "rotate", "--keys", str(keys_dir))
    assert not (keys_dir / privacy.PENDING_MASTER).exists()
    assert NAME in _names(db_url, keys_dir)


def test_an_ingest_holding_the_old_master_key_cannot_store_keys_after_a_rotation(backend, db_url, keys_dir,
                                                                                run: Run, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS[:20])))
    with Ledger.open(db_url, keys_dir) as stale:
        run("keys", "rotate", "--keys", str(keys_dir))
        with stale.appending() as tx, pytest.raises(KeyMismatch):
            tx.data_keys(["c:new-after-rotation"])
