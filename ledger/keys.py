"""The ledger's keys: where they live, how they are made, and how they are loaded.

A key folder (``init --keys DIR``, env ``LOKIKIRJA_KEYS``, default ``./lokikirja-keys/``) holds
three files, each created with mode 0600 and never logged:

- ``signing.key``  Ed25519 private key (raw 32 bytes, base64) that signs checkpoints;
- ``master.key``   AES-256 key that wraps every per-subject data key (``ledger/privacy.py``);
- ``index.key``    HMAC-SHA-256 key of the HETU blind index and of content fingerprints.

Each can instead come from the environment (``LOKIKIRJA_SIGNING_KEY``, ``LOKIKIRJA_MASTER_KEY``,
``LOKIKIRJA_INDEX_KEY``, base64), which wins over the folder.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import KeyMismatch, NotInitialised

DEFAULT_KEYS_DIR = "lokikirja-keys"
KEY_FILES = {"signing": "signing.key", "master": "master.key", "index": "index.key"}
ENV_NAMES = {
    "signing": "LOKIKIRJA_SIGNING_KEY",
    "master": "LOKIKIRJA_MASTER_KEY",
    "index": "LOKIKIRJA_INDEX_KEY",
}


def key_id(material: bytes) -> str:
    """A short public name of a key: the first 16 hex digits of SHA-256 of its public form."""
    return hashlib.sha256(material).hexdigest()[:16]


@dataclass(frozen=True)
class KeyRing:
    """The three keys a ledger works with. ``repr`` never shows key material."""

    signing: Ed25519PrivateKey
    master: bytes
    index: bytes
    folder: Path | None = None

    def __repr__(self) -> str:
        return f"KeyRing(signing={self.signing_key_id}, master={self.master_key_id})"

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing.public_key()

    @property
    def public_key_bytes(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def signing_key_id(self) -> str:
        return key_id(self.public_key_bytes)

    @property
    def master_key_id(self) -> str:
        return key_id(b"master:" + self.master)

    @property
    def index_key_id(self) -> str:
        return key_id(b"index:" + self.index)


def resolve_keys_dir(keys: str | os.PathLike[str] | None) -> Path:
    """The key folder: the argument, else ``LOKIKIRJA_KEYS``, else ``./lokikirja-keys``."""
    return Path(keys or os.environ.get("LOKIKIRJA_KEYS") or DEFAULT_KEYS_DIR).expanduser()


def fsync_folder(folder: Path) -> None:
    """Make a rename or link in ``folder`` durable: fsync the folder itself."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_secret(path: Path, material: bytes) -> None:
    """Write a key file (0600) whole or not at all, and never over another: it is written aside
    and then linked into place, so a process setting up the same store at the same moment either
    makes the file or finds it complete (and uses that one)."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64encode(material) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(aside, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    finally:
        aside.unlink(missing_ok=True)


def create_keys(folder: Path) -> KeyRing:
    """Create any missing key file in ``folder`` (0700) and return the ring; never overwrites."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    fresh = {
        "signing": lambda: Ed25519PrivateKey.generate().private_bytes_raw(),
        "master": lambda: secrets.token_bytes(32),
        "index": lambda: secrets.token_bytes(32),
    }
    for name, make in fresh.items():
        path = folder / KEY_FILES[name]
        if not path.exists() and not os.environ.get(ENV_NAMES[name]):
            _write_secret(path, make())
    return load_keys(folder)


def _material(folder: Path, name: str) -> bytes:
    from_env = os.environ.get(ENV_NAMES[name])
    path = folder / KEY_FILES[name]
    try:
        text = from_env if from_env else path.read_text()
    except FileNotFoundError:
        raise NotInitialised(
            f"no {name} key in {folder} (run `lokikirja init`, or set --keys / LOKIKIRJA_KEYS)"
        ) from None
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise KeyMismatch(f"the {name} key is not valid base64") from None
    if len(raw) != 32:
        raise KeyMismatch(f"the {name} key must be 32 bytes")
    return raw


def load_keys(folder: Path) -> KeyRing:
    """Load the ring from ``folder`` and the environment; a missing key is ``NotInitialised``."""
    return KeyRing(
        signing=Ed25519PrivateKey.from_private_bytes(_material(folder, "signing")),
        master=_material(folder, "master"),
        index=_material(folder, "index"),
        folder=folder,
    )


def replace_master_key(folder: Path, new_master: bytes) -> None:
    """Atomically replace ``master.key`` (used by key rotation after every data key is re-wrapped)."""
    tmp = folder / "master.key.new"
    if tmp.exists():
        tmp.unlink()
    _write_secret(tmp, new_master)
    os.replace(tmp, folder / KEY_FILES["master"])
