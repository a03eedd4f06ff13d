"""``backup`` and ``restore``: the whole ledger — database and keys — to a folder and back (ADR 0013)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click

from ledger.backup import DATABASE_FILES, backup, check_restored, restore
from ledger.errors import IntegrityFailure, UsageError
from ledger.keys import resolve_keys_dir
from ledger.sealed_keys import BackupSecret, key_file, passphrase_from
from ledger.store import Ledger
from replay.trust import TrustPolicy
from replay.verify import verify as verify_log
from service.app import db_option, format_option, keys_option, main, note, trust_options
from service.output import emit_json, progress_bar, stdout

PASSPHRASE_ENV = "LOKIKIRJA_BACKUP_PASSPHRASE"


def _bar(description: str, total: float | None, unit: str) -> AbstractContextManager[Callable[[float], None]]:
    return progress_bar(description, total, unit=unit, bytes_mode=unit == "bytes")


def _secret(passphrase_file: str | None, key_path: str | None, *, new: bool) -> tuple[BackupSecret, bool]:
    """The backup's secret: ``--key-file``, else ``--passphrase-file``, else ``$LOKIKIRJA_BACKUP_PASSPHRASE``.
    Returns it and whether a new key file was made."""
    if key_path is not None and passphrase_file is not None:
        raise UsageError("give either --passphrase-file or --key-file, not both")
    if key_path is not None:
        return key_file(Path(key_path).expanduser(), create=new)
    secret = passphrase_from(PASSPHRASE_ENV, passphrase_file, new=new)
    if secret is None:
        raise UsageError(f"the keys in a backup are encrypted: give a passphrase ({PASSPHRASE_ENV} or "
                         "--passphrase-file FILE) or --key-file FILE")
    return secret, False


def secret_options(f: Any) -> Any:
    f = click.option("--key-file", "key_path", metavar="FILE", default=None,
                     help="Encrypt the keys with the 32-byte backup key in FILE instead of a passphrase "
                          "(backup: made, 0600, if FILE does not exist; keep it apart from the backups).")(f)
    return click.option("--passphrase-file", "passphrase_file", metavar="FILE", default=None,
                        help=f"Read the passphrase from FILE (default: ${PASSPHRASE_ENV}).")(f)


@main.command("backup")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@secret_options
@db_option
@keys_option
@format_option("table", "json")
def backup_command(folder: str, passphrase_file: str | None, key_path: str | None, db: str | None,
                   keys: str | None, fmt: str) -> None:
    """Back the whole ledger up into DIR (new or empty; 0700): the database and the keys, while it is
    in use.

    The database is copied from one consistent snapshot — SQLite with its online backup API,
    PostgreSQL with pg_dump (client tools on PATH) — so ingest, serve and followers go on
    meanwhile. The keys are encrypted with AES-256-GCM under a key derived from the passphrase
    (scrypt; at least 12 characters) or under a backup key file. manifest.json, written last,
    names the backend, the latest signed checkpoint in the copy and every file's SHA-256. Files
    are 0600. json: the manifest. Restore with `lokikirja restore`; docs/operations.md has the
    recovery drill.

    Example: lokikirja backup /backups/2026-12-02 --passphrase-file /etc/lokikirja/backup.pass
    """
    secret, made = _secret(passphrase_file, key_path, new=True)
    if made:
        note(f"wrote a new backup key to {key_path}: keep it apart from the backups, which cannot be restored "
             "without it")
    started = time.perf_counter()
    with Ledger.open(db, keys) as ledger:
        manifest = backup(ledger, Path(folder).expanduser().absolute(), secret, bar=_bar)
    seconds = time.perf_counter() - started
    if fmt == "json":
        emit_json(manifest)
        return
    checkpoint = manifest["checkpoint"]
    database = manifest["files"][DATABASE_FILES[manifest["backend"]]]
    sealed_with = "the passphrase" if manifest["keys"]["sealed_with"] == "passphrase" else f"the key in {key_path}"
    stdout.print(f"Backed up {manifest['log']['events']} events of {manifest['source']} into {folder} "
                 f"in {seconds:.1f} s ({database['bytes'] / 1e6:.1f} MB database; keys sealed with "
                 f"{sealed_with}).", highlight=False, soft_wrap=True)
    stdout.print("latest checkpoint: " + ("none yet" if checkpoint is None else
                 f"tree size {checkpoint['tree_size']}, root {checkpoint['root_hash']}"), highlight=False,
                 soft_wrap=True)


@main.command("restore")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
@secret_options
@db_option
@keys_option
@trust_options()
@format_option("table", "json")
def restore_command(folder: str, passphrase_file: str | None, key_path: str | None, db: str | None,
                    keys: str | None, fmt: str, policy: TrustPolicy) -> None:
    """Restore the backup in DIR into an empty store (--db) and a key folder without keys (--keys),
    then verify it as `lokikirja verify` does.

    Refuses (exit 2, nothing changed) a store that already holds data, a key folder that holds
    keys, a wrong passphrase or key file. Every file's SHA-256 is checked against the manifest
    first (exit 1 if one differs). A PostgreSQL backup goes into a database of any name, in a
    schema of the backup's name (the database is created if missing); run the grants of
    docs/integrity.md §6 again afterwards. Then the whole log is verified against the signed
    checkpoints, and the restored latest checkpoint must be the manifest's: exit 1 otherwise.
    --log-key and --witness-key pin the trust as for `verify`. json: {"restored": {...},
    "verify": the verify report}.

    Example: lokikirja restore /backups/2026-12-02 --db postgresql://ledger@db2/lokikirja --keys keys
    """
    secret, _ = _secret(passphrase_file, key_path, new=False)
    started = time.perf_counter()
    restored = restore(Path(folder).expanduser().absolute(), db, resolve_keys_dir(keys), secret, bar=_bar)
    restored_in = time.perf_counter() - started
    with Ledger.open(db, restored.keys_dir, need_keys=False) as ledger:
        with progress_bar("verify", ledger.max_position()) as advance:
            report = verify_log(ledger, advance, policy=policy)
        if report.ok:
            check_restored(ledger, restored.manifest)
    manifest = restored.manifest
    doc = {"restored": {"backend": manifest["backend"], "db": restored.target.display, "keys": str(restored.keys_dir),
                        "from": str(folder), "created_at": manifest["created_at"], "events": manifest["log"]["events"],
                        "checkpoint": manifest["checkpoint"], "seconds": round(restored_in, 3)},
           "verify": report.to_json()}
    if fmt == "json":
        emit_json(doc)
    else:
        stdout.print(f"Restored {manifest['log']['events']} events (backup of {manifest['source']} taken "
                     f"{manifest['created_at']}) into {restored.target.display} in {restored_in:.1f} s; keys in "
                     f"{restored.keys_dir}.", highlight=False, soft_wrap=True)
        stdout.print(f"verify: {'OK' if report.ok else 'TAMPERING FOUND'}: {report.events} events, "
                     f"{report.checkpoints} checkpoint(s) verified", highlight=False, soft_wrap=True)
    if not report.ok:
        bad = report.first_bad
        where = "" if bad is None else f" at position {bad.position}: {bad.reason}"
        raise IntegrityFailure(f"the restored store fails verification{where} (it is left in place for inspection)")
    if report.uncovered:
        note(f"{report.uncovered} event(s) after the latest checkpoint are not covered by a signature yet")
