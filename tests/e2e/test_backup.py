"""Backup and restore through the real CLI, on SQLite and PostgreSQL (ADR 0013): a restored store
gives byte-identical findings and the same latest signed checkpoint; a backup taken while another
process ingests restores and verifies; a wrong passphrase, a tampered file and a store that is not
empty are refused in one sentence, leaving nothing behind."""

from __future__ import annotations

import json
import os
import stat
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.conftest import MAINTENANCE_DSN, Cli

PASSPHRASE = {"LOKIKIRJA_BACKUP_PASSPHRASE": "a long and honest test passphrase"}


@pytest.fixture
def restore_db(backend: str, db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty target for a restore: a file path, or a database not created yet (dropped after the
    test) with the schema name of the store backed up (a schema is not renamed on restore)."""
    if backend == "sqlite":
        yield str(tmp_path / "restored.db")
        return
    request.getfixturevalue("pg_database")
    name = f"lokikirja_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    parts = urlsplit(db_url)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    with psycopg.connect(MAINTENANCE_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _simulate(cli: Cli, tmp_path: Path, customers: int, days: int) -> Path:
    source = tmp_path / "events.jsonl"
    cli("simulate", "--customers", str(customers), "--days", str(days), "--seed", "7", "--out", str(source), check=0)
    return source


def _parts(source: Path, n: int) -> list[Path]:
    """The events cut into ``n`` files in log order (each a transaction of its own when ingested)."""
    lines = source.read_text().splitlines(keepends=True)
    size = -(-len(lines) // n)
    parts = []
    for i in range(n):
        part = source.with_name(f"part{i}.jsonl")
        part.write_text("".join(lines[i * size:(i + 1) * size]))
        parts.append(part)
    return parts


def test_a_restored_store_gives_the_same_findings_and_the_same_signed_checkpoint(
        cli: Cli, tmp_path: Path, restore_db: str):
    cli("init", check=0)
    cli("ingest", str(_simulate(cli, tmp_path, 150, 12)), check=0)
    findings = cli("findings", "--format", "json", check=0).stdout
    checkpoint = json.loads(cli("checkpoint", "--format", "json", check=0).stdout)

    backup = tmp_path / "backup"
    manifest = json.loads(cli("backup", str(backup), "--format", "json", env=PASSPHRASE, check=0).stdout)
    assert manifest["checkpoint"] == checkpoint
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert sorted(p.name for p in backup.iterdir()) == sorted([*manifest["files"], "manifest.json"])
    assert {stat.S_IMODE(p.stat().st_mode) for p in backup.iterdir()} == {0o600}
    assert json.loads((backup / "manifest.json").read_text()) == manifest

    restored = Cli(restore_db, tmp_path / "restored-keys", tmp_path)
    report = json.loads(restored("restore", str(backup), "--format", "json", env=PASSPHRASE, check=0).stdout)
    assert report["verify"] == {"ok": True, "events": manifest["log"]["events"], "checkpoints": 1, "first_bad": None}
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "restored-keys").iterdir()} == {0o600}
    assert restored("findings", "--format", "json", check=0).stdout == findings
    assert json.loads(restored("checkpoint", "--format", "json", check=0).stdout) == checkpoint
    restored("verify", check=0)


def test_a_backup_taken_while_another_process_ingests_restores_and_verifies(
        cli: Cli, tmp_path: Path, restore_db: str):
    parts = _parts(_simulate(cli, tmp_path, 400, 20), 8)
    cli("ingest", str(parts[0]), check=0)
    done: list[int] = []

    def ingest_the_rest() -> None:  # one process per part: appends, sealing and checkpoints go on
        done.extend(cli("ingest", str(part), check=0).returncode for part in parts[1:])

    ingesting = threading.Thread(target=ingest_the_rest)
    ingesting.start()
    backup = tmp_path / "backup"
    manifest = json.loads(cli("backup", str(backup), "--format", "json", env=PASSPHRASE, check=0).stdout)
    ingesting.join()
    total = sum(len(part.read_text().splitlines()) for part in parts)
    assert len(parts[0].read_text().splitlines()) <= manifest["log"]["events"] <= total
    assert done == [0] * (len(parts) - 1)

    restored = Cli(restore_db, tmp_path / "restored-keys", tmp_path)
    report = json.loads(restored("restore", str(backup), "--format", "json", env=PASSPHRASE, check=0).stdout)
    assert report["verify"]["ok"] and report["verify"]["events"] == manifest["log"]["events"]
    if manifest["checkpoint"] is not None:
        assert json.loads(restored("checkpoint", "--format", "json", check=0).stdout)["tree_size"] >= \
            manifest["checkpoint"]["tree_size"]
    # what the backup lacks is what was ingested after it: ingesting everything again completes it
    restored("ingest", *map(str, parts), check=0)
    assert restored("findings", "--format", "json", check=0).stdout == \
        cli("findings", "--format", "json", check=0).stdout
    restored("verify", check=0)


@pytest.fixture
def backed_up(tmp_path: Path) -> tuple[Cli, Path]:
    """A small SQLite store and its backup (passphrase)."""
    cli = Cli(str(tmp_path / "ledger.db"), tmp_path / "keys", tmp_path)
    cli("init", check=0)
    cli("ingest", str(_simulate(cli, tmp_path, 30, 5)), check=0)
    cli("backup", str(tmp_path / "backup"), env=PASSPHRASE, check=0)
    return cli, tmp_path / "backup"


def _refused(result_stderr: str) -> str:
    lines = result_stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result_stderr
    return lines[0]


def test_a_wrong_passphrase_is_refused_in_one_sentence_and_nothing_is_written(backed_up: tuple[Cli, Path],
                                                                                  tmp_path: Path):
    _, backup = backed_up
    target = Cli(str(tmp_path / "restored.db"), tmp_path / "restored-keys", tmp_path)
    result = target("restore", str(backup), env={"LOKIKIRJA_BACKUP_PASSPHRASE": "not the passphrase at all"},
                    check=2)
    assert "passphrase does not open" in _refused(result.stderr)
    assert not (tmp_path / "restored.db").exists() and not (tmp_path / "restored-keys").exists()


def test_a_tampered_backup_file_is_rejected_by_its_checksum(backed_up: tuple[Cli, Path], tmp_path: Path):
    _, backup = backed_up
    database = backup / "database.sqlite"
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0x01
    database.write_bytes(bytes(data))
    target = Cli(str(tmp_path / "restored.db"), tmp_path / "restored-keys", tmp_path)
    result = target("restore", str(backup), env=PASSPHRASE, check=1)
    assert "database.sqlite does not match its SHA-256" in _refused(result.stderr)
    assert not (tmp_path / "restored.db").exists() and not (tmp_path / "restored-keys").exists()


def test_a_store_that_is_not_empty_is_never_overwritten(backed_up: tuple[Cli, Path], tmp_path: Path):
    cli, backup = backed_up
    before = (tmp_path / "ledger.db").read_bytes()
    result = cli("restore", str(backup), "--keys", str(tmp_path / "other-keys"), env=PASSPHRASE, check=2)
    assert "already holds a store" in _refused(result.stderr)
    assert (tmp_path / "ledger.db").read_bytes() == before
    keys_taken = cli("restore", str(backup), "--db", str(tmp_path / "new.db"), env=PASSPHRASE, check=2)
    assert "already holds keys" in _refused(keys_taken.stderr)
    assert not (tmp_path / "new.db").exists()


def test_a_manifest_naming_another_checkpoint_fails_the_restore(backed_up: tuple[Cli, Path], tmp_path: Path):
    _, backup = backed_up
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["checkpoint"]["root_hash"] = "00" * 32
    (backup / "manifest.json").write_text(json.dumps(manifest))
    target = Cli(str(tmp_path / "restored.db"), tmp_path / "restored-keys", tmp_path)
    result = target("restore", str(backup), env=PASSPHRASE, check=1)
    assert "latest checkpoint is not the one the manifest names" in result.stderr


def test_a_backup_key_file_made_at_backup_opens_it_and_no_other_does(tmp_path: Path):
    cli = Cli(str(tmp_path / "ledger.db"), tmp_path / "keys", tmp_path)
    cli("init", check=0)
    cli("ingest", str(_simulate(cli, tmp_path, 20, 3)), check=0)
    key = tmp_path / "backup.key"
    cli("backup", str(tmp_path / "backup"), "--key-file", str(key), check=0)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    other = tmp_path / "other.key"
    cli("backup", str(tmp_path / "unused"), "--key-file", str(other), check=0)

    target = Cli(str(tmp_path / "restored.db"), tmp_path / "restored-keys", tmp_path)
    wrong = target("restore", str(tmp_path / "backup"), "--key-file", str(other), check=2)
    assert "is not the one this backup's keys were sealed with" in _refused(wrong.stderr)
    target("restore", str(tmp_path / "backup"), "--key-file", str(key), check=0)
    assert target("findings", "--format", "json", check=0).stdout == cli("findings", "--format", "json", check=0).stdout


def test_a_backup_needs_a_secret_and_a_new_folder(backed_up: tuple[Cli, Path], tmp_path: Path):
    cli, backup = backed_up
    env = {"LOKIKIRJA_BACKUP_PASSPHRASE": ""}
    assert "passphrase is empty" in _refused(cli("backup", str(tmp_path / "b2"), env=env, check=2).stderr)
    short = {"LOKIKIRJA_BACKUP_PASSPHRASE": "short"}
    assert "at least 12 characters" in _refused(cli("backup", str(tmp_path / "b2"), env=short, check=2).stderr)
    assert "is not empty" in _refused(cli("backup", str(backup), env=PASSPHRASE, check=2).stderr)
    assert not (tmp_path / "b2").exists()
