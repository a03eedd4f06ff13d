"""The ledger's keys sealed for a backup: encrypted under a passphrase or a separate backup key.

A backup holds the database and the keys; the keys must not travel in clear beside the data they
protect (the master key unwraps every customer's data key). :func:`seal` writes them as one
JSON document, ``keys.enc``::

    {"format": "lokikirja-sealed-keys/1", "cipher": "AES-256-GCM",
     "kdf": {"name": "scrypt", "salt": b64, "n": 131072, "r": 8, "p": 1}   (a passphrase)
          | {"name": "key-file", "key_id": hex16},                          (a backup key file)
     "nonce": b64, "ciphertext": b64}

The plaintext is canonical JSON ``{"files": {name: base64 material}}`` (``signing.key``,
``master.key``, ``index.key`` and a prepared ``signing.key.next``); the header (format, cipher,
kdf) is the GCM associated data, so its parameters cannot be swapped without the tag failing. A
wrong passphrase or key file is :class:`~ledger.errors.BadBackup`, never a traceback.

A backup key file is 32 random bytes, base64, one line (as the key folder's files); kept apart
from the backups, it opens them without a passphrase to type (a scheduled job).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ledger.errors import BadBackup, UsageError
from ledger.keys import key_id

FORMAT = "lokikirja-sealed-keys/1"
CIPHER = "AES-256-GCM"
SCRYPT = {"n": 2**17, "r": 8, "p": 1}  # 128 MiB and about half a second per derivation (RFC 7914 §2)
MIN_PASSPHRASE = 12  # characters


@dataclass(frozen=True, repr=False)
class BackupSecret:
    """What seals a backup's keys: a passphrase, or the 32-byte key of a backup key file."""

    passphrase: str | None = None
    key: bytes | None = None
    key_file: Path | None = None

    def __repr__(self) -> str:
        return "BackupSecret(passphrase)" if self.passphrase is not None else f"BackupSecret(key file {self.key_file})"

    @property
    def key_id(self) -> str | None:
        """The public name of a backup key (``None`` for a passphrase)."""
        return None if self.key is None else key_id(b"backup:" + self.key)


def passphrase(text: str, *, new: bool) -> BackupSecret:
    """A passphrase as given (one trailing line end dropped, Unicode NFC); a new one has at least
    :data:`MIN_PASSPHRASE` characters."""
    text = unicodedata.normalize("NFC", text.removesuffix("\n").removesuffix("\r"))
    if not text:
        raise UsageError("the backup passphrase is empty")
    if new and len(text) < MIN_PASSPHRASE:
        raise UsageError(f"the backup passphrase must have at least {MIN_PASSPHRASE} characters")
    return BackupSecret(passphrase=text)


def key_file(path: Path, *, create: bool) -> tuple[BackupSecret, bool]:
    """The backup key in ``path``; with ``create``, a new one is written there (0600) when the file
    does not exist. Returns the secret and whether it was created."""
    made = False
    if create and not path.exists():
        if not path.parent.is_dir():
            raise UsageError(f"the folder {path.parent} of the backup key file does not exist")
        from ledger.keys import _write_secret

        _write_secret(path, secrets.token_bytes(32))
        made = True
    try:
        raw = base64.b64decode(path.read_text().strip(), validate=True)
    except FileNotFoundError:
        raise UsageError(f"no backup key file {path}") from None
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"{path} is not a backup key file (one line of base64)") from None
    if len(raw) != 32:
        raise UsageError(f"{path} is not a backup key file (its key must be 32 bytes)")
    return BackupSecret(key=raw, key_file=path), made


def _canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _aead_key(secret: BackupSecret, kdf: dict[str, Any]) -> bytes:
    if kdf["name"] == "key-file":
        if secret.key is None:
            raise BadBackup("this backup's keys were sealed with a backup key file: give --key-file")
        if secret.key_id != kdf["key_id"]:
            raise BadBackup(f"the key file {secret.key_file} is not the one this backup's keys were sealed with")
        return secret.key
    if secret.passphrase is None:
        raise BadBackup("this backup's keys were sealed with a passphrase, not a key file: give the passphrase")
    salt = base64.b64decode(kdf["salt"])
    return Scrypt(salt=salt, length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(secret.passphrase.encode())


def seal(files: dict[str, bytes], secret: BackupSecret) -> bytes:
    """``keys.enc``: ``files`` (name → raw key material) encrypted under ``secret``."""
    if secret.passphrase is not None:
        kdf: dict[str, Any] = {"name": "scrypt", "salt": base64.b64encode(secrets.token_bytes(16)).decode(), **SCRYPT}
    else:
        kdf = {"name": "key-file", "key_id": secret.key_id}
    header = {"format": FORMAT, "cipher": CIPHER, "kdf": kdf}
    nonce = secrets.token_bytes(12)
    plain = _canonical({"files": {name: base64.b64encode(m).decode() for name, m in sorted(files.items())}})
    sealed = AESGCM(_aead_key(secret, kdf)).encrypt(nonce, plain, _canonical(header))
    doc = {**header, "nonce": base64.b64encode(nonce).decode(), "ciphertext": base64.b64encode(sealed).decode()}
    return json.dumps(doc, indent=2, sort_keys=True).encode() + b"\n"


def unseal(blob: bytes, secret: BackupSecret) -> dict[str, bytes]:
    """The key files of ``keys.enc`` (name → raw material); :class:`BadBackup` when the secret
    does not open them or the document is not a sealed key set."""
    try:
        doc = json.loads(blob)
        header = {"format": doc["format"], "cipher": doc["cipher"], "kdf": doc["kdf"]}
        nonce, sealed = base64.b64decode(doc["nonce"]), base64.b64decode(doc["ciphertext"])
    except (ValueError, KeyError, TypeError):
        raise BadBackup("keys.enc is not a sealed key set of a Lokikirja backup") from None
    if header["format"] != FORMAT or header["cipher"] != CIPHER:
        raise BadBackup(f"keys.enc is sealed as {header['format']}; this Lokikirja reads {FORMAT}")
    try:
        plain = AESGCM(_aead_key(secret, header["kdf"])).decrypt(nonce, sealed, _canonical(header))
    except InvalidTag:
        what = "passphrase" if secret.passphrase is not None else f"key file {secret.key_file}"
        raise BadBackup(f"the {what} does not open this backup's keys (wrong {what.split()[0]}, "
                        "or keys.enc was altered)") from None
    except (KeyError, TypeError, ValueError):
        raise BadBackup("keys.enc names a key derivation this Lokikirja does not know") from None
    return {name: base64.b64decode(m) for name, m in json.loads(plain)["files"].items()}


def key_folder_files(folder: Path | None, ring_files: dict[str, bytes]) -> dict[str, bytes]:
    """What a backup seals: the ring's three keys as loaded (from the folder or the environment),
    plus a prepared next signing key (``keys rotate-signing --prepare``), which verifiers may already pin."""
    files = dict(ring_files)
    if folder is not None and (folder / "signing.key.next").is_file():
        files["signing.key.next"] = base64.b64decode((folder / "signing.key.next").read_text().strip())
    return files


def passphrase_from(env: str, file: str | os.PathLike[str] | None, *, new: bool) -> BackupSecret | None:
    """The passphrase of ``--passphrase-file`` or of the environment variable ``env``, if any."""
    if file is not None:
        try:
            return passphrase(Path(file).read_text(encoding="utf-8"), new=new)
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
            raise UsageError(f"cannot read the passphrase file {file}") from None
    text = os.environ.get(env)
    return passphrase(text, new=new) if text is not None else None
