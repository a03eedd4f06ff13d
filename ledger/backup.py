"""Backup and restore of a whole ledger: its database and its keys (ADR 0013, docs/operations.md).

A backup is a folder (0700) of three files (0600):

- ``database.sqlite`` or ``database.pgdump``: the database from one consistent snapshot, taken
  while the ledger is in use (``ledger/snapshot.py``);
- ``keys.enc``: the key folder sealed under a passphrase or a backup key file (``ledger/sealed_keys.py``);
- ``manifest.json``, written last (a folder without it is not a backup): format version, backend,
  when, the log's position and the latest signed checkpoint in the snapshot, the key ids, and the
  SHA-256 of every other file.

:func:`restore` puts a backup into an empty target and a key folder without keys, in an order that
leaves nothing behind on a refusal: the manifest, the target's emptiness, every checksum and the
keys' seal are all checked before anything is written. What it restored is then verified by the
caller exactly as ``lokikirja verify`` does, and :func:`check_restored` holds the restored latest
checkpoint against the manifest's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.backend import Target
from ledger.checkpoints import latest_checkpoint
from ledger.errors import BadBackup, IntegrityFailure, UsageError
from ledger.keys import KEY_FILES, KeyRing, _write_secret, fsync_folder
from ledger.sealed_keys import BackupSecret, key_folder_files, seal, unseal
from ledger.snapshot import Bar, copy_database, create_private, load_database, no_bar, sha256_of, target_is_empty
from ledger.store import BACKENDS, Ledger, resolve_target

FORMAT = "lokikirja-backup"
VERSION = 1
MANIFEST = "manifest.json"
KEYS_FILE = "keys.enc"
DATABASE_FILES = {name: backend.backup_file for name, backend in BACKENDS.items()}
# every file a key folder can hold (keys, and keys half-way through a rotation): a restore writes none over them
KEY_FOLDER_FILES = (*KEY_FILES.values(), "signing.key.next", "signing.key.pending", "master.key.pending")


def _write_private(path: Path, data: bytes) -> None:
    with os.fdopen(create_private(path), "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _prepare_folder(folder: Path) -> bool:
    """A new folder (0700), or an existing empty one; returns whether it was created."""
    if folder.exists():
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder")
        if any(folder.iterdir()):
            raise UsageError(f"the folder {folder} is not empty; give a new folder for each backup")
        os.chmod(folder, 0o700)
        return False
    if not folder.parent.is_dir():
        raise UsageError(f"the folder {folder.parent} does not exist")
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)  # whatever the umask
    return True


def backup(ledger: Ledger, folder: Path, secret: BackupSecret, *, bar: Bar = no_bar) -> dict[str, Any]:
    """Back the open ledger (opened with its keys) up into ``folder``; returns the manifest.
    On any failure nothing is left in ``folder`` (and a folder it created is removed)."""
    created = _prepare_folder(folder)
    started = datetime.now(UTC)
    try:
        copied = copy_database(ledger, folder, bar)
        ring = ledger.keys
        keys = key_folder_files(ring.folder, {KEY_FILES["signing"]: ring.signing.private_bytes_raw(),
                                              KEY_FILES["master"]: ring.master, KEY_FILES["index"]: ring.index})
        _write_private(folder / KEYS_FILE, seal(keys, secret))
        manifest = {
            "format": FORMAT, "version": VERSION, "lokikirja": metadata.version("lokikirja"),
            "backend": ledger.db.kind, "source": ledger.target.display,
            "schema": ledger.target.schema,
            "created_at": started.isoformat(),
            "log": {"position": copied.position, "events": copied.events},
            "checkpoint": copied.checkpoint,
            "keys": {"sealed_with": "passphrase" if secret.passphrase is not None else "key-file",
                     "signing_key_id": ring.signing_key_id, "master_key_id": ring.master_key_id,
                     "index_key_id": ring.index_key_id},
            "files": {copied.file.name: {"sha256": copied.sha256, "bytes": copied.size},
                      KEYS_FILE: {"sha256": sha256_of(folder / KEYS_FILE),
                                  "bytes": (folder / KEYS_FILE).stat().st_size}},
        }
        _write_private(folder / MANIFEST, json.dumps(manifest, indent=2).encode() + b"\n")
        fsync_folder(folder)
    except BaseException:
        for name in (MANIFEST, KEYS_FILE, *DATABASE_FILES.values()):
            (folder / name).unlink(missing_ok=True)
        if created:
            folder.rmdir()
        raise
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of the backup in ``folder``; :class:`BadBackup` when it is not one."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BadBackup(f"no backup folder {folder}")
    try:
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise BadBackup(f"{folder} holds no {MANIFEST}: not a Lokikirja backup, or one that did not finish") from None
    except ValueError:
        raise BadBackup(f"{path} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadBackup(f"{path} is not the manifest of a Lokikirja backup")
    if manifest.get("version") != VERSION:
        raise BadBackup(f"this backup has format version {manifest.get('version')}; this Lokikirja reads {VERSION}")
    backend, files = manifest.get("backend"), manifest.get("files")
    if backend not in DATABASE_FILES or not isinstance(files, dict) \
            or set(files) != {DATABASE_FILES[backend], KEYS_FILE}:
        raise BadBackup(f"{path} does not list the files of a {backend} backup")
    return manifest


def check_files(folder: Path, manifest: dict[str, Any], bar: Bar = no_bar) -> None:
    """Every file the manifest lists is there with its SHA-256; else :class:`IntegrityFailure`."""
    total = sum(int(f.get("bytes", 0)) for f in manifest["files"].values())
    with bar("check the backup", total, "bytes") as advance:
        for name, expected in sorted(manifest["files"].items()):
            path = folder / name
            if not path.is_file():
                raise IntegrityFailure(f"the backup lacks {name}; nothing was restored")
            if sha256_of(path, advance) != expected.get("sha256"):
                raise IntegrityFailure(f"{name} does not match its SHA-256 in the manifest: the backup was altered "
                                       "or damaged; nothing was restored")


@dataclass(frozen=True)
class Restored:
    """What :func:`restore` did: the manifest it followed, the target and the key folder."""

    manifest: dict[str, Any]
    target: Target
    keys_dir: Path


def _check_target(target: Target, manifest: dict[str, Any]) -> None:
    if target.kind != manifest["backend"]:
        other = BACKENDS[manifest["backend"]].described
        raise UsageError(f"this is a {manifest['backend']} backup: restore it into {other}")
    target.check_restorable(manifest)
    if not target_is_empty(target):
        raise UsageError(f"{target.display} already holds a store; restore only into an empty one "
                         "(nothing was changed)")


def _open_keys(folder: Path, manifest: dict[str, Any], secret: BackupSecret) -> dict[str, bytes]:
    """The sealed key files, which must be the keys the manifest names."""
    files = unseal((folder / KEYS_FILE).read_bytes(), secret)
    wanted = manifest.get("keys") or {}
    if not set(files) <= set(KEY_FOLDER_FILES):  # only names of a key folder are ever written
        raise BadBackup("keys.enc holds files that are not a ledger's keys")
    try:
        ring = KeyRing(signing=Ed25519PrivateKey.from_private_bytes(files[KEY_FILES["signing"]]),
                       master=files[KEY_FILES["master"]], index=files[KEY_FILES["index"]])
    except (KeyError, ValueError):
        raise BadBackup("keys.enc does not hold the three keys of a ledger") from None
    if (ring.signing_key_id, ring.master_key_id, ring.index_key_id) != (
            wanted.get("signing_key_id"), wanted.get("master_key_id"), wanted.get("index_key_id")):
        raise BadBackup("keys.enc does not hold the keys the manifest names")
    return files


def restore(folder: Path, db: str | None, keys_dir: Path, secret: BackupSecret, *, bar: Bar = no_bar) -> Restored:
    """Restore the backup in ``folder`` into the empty store ``db`` and the key folder ``keys_dir``
    (which must hold no key). Refusals change nothing; a failure while writing removes what was
    written. The restored store is then opened with the restored keys (which must be its keys)."""
    manifest = read_manifest(folder)
    target = resolve_target(db)
    _check_target(target, manifest)
    keys_dir = keys_dir.expanduser().resolve()
    present = [name for name in KEY_FOLDER_FILES if (keys_dir / name).exists()]
    if present:
        raise UsageError(f"the key folder {keys_dir} already holds keys ({', '.join(sorted(present))}); "
                         "restore into a new key folder")
    check_files(folder, manifest, bar)
    keys = _open_keys(folder, manifest, secret)
    made_folder = not keys_dir.exists()
    try:
        _write_keys(keys_dir, keys)
        load_database(folder / DATABASE_FILES[manifest["backend"]], target, bar)
        with Ledger.open(db, keys_dir) as ledger:  # the restored keys must be the store's
            ledger.set_meta({"keys_dir": str(keys_dir)})
    except BaseException:
        for name in keys:
            (keys_dir / name).unlink(missing_ok=True)
        if made_folder and keys_dir.is_dir() and not any(keys_dir.iterdir()):
            keys_dir.rmdir()
        raise
    return Restored(manifest, target, keys_dir)


def _write_keys(folder: Path, keys: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    for name, material in sorted(keys.items()):
        _write_secret(folder / name, material)
    fsync_folder(folder)


def check_restored(ledger: Ledger, manifest: dict[str, Any]) -> None:
    """The restored store's latest signed checkpoint is the one the manifest names."""
    latest = latest_checkpoint(ledger)
    if (None if latest is None else latest.to_json()) != manifest.get("checkpoint"):
        raise IntegrityFailure("the restored store's latest checkpoint is not the one the manifest names")
