"""The transparency-log text formats of C2SP, pure (no I/O): signed notes, verifier keys,
checkpoints, Ed25519 cosignatures, the witness protocol's request body and tlog proofs.

- ``c2sp.org/signed-note``: a text ending in ``\\n``, a blank line, then signature lines
  ``— <key name> base64(u32be key id ‖ signature)``. An Ed25519 key (type ``0x01``) signs the text;
  its key id is ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]``; its verifier key (*vkey*) is
  ``<name>+<hex key id>+base64(0x01 ‖ public key)``.
- ``c2sp.org/tlog-checkpoint``: the note text is ``<origin>\\n<tree size>\\n<base64 root>\\n``
  (Lokikirja writes no extension lines).
- ``c2sp.org/tlog-cosignature`` (v1, Ed25519, type ``0x04``): the signature is
  ``u64be(timestamp) ‖ Ed25519(cosignature/v1\\ntime <timestamp>\\n ‖ checkpoint text)``.
- ``c2sp.org/tlog-witness``: ``old <size>\\n``, base64 consistency-proof lines, a blank line, the note.
- ``c2sp.org/tlog-proof@v1``: header, ``index <i>``, base64 audit-path lines, a blank line, the note.

Go's ``golang.org/x/mod/sumdb/note`` and ``sumdb/tlog`` accept what this module writes
(``tests/interop/``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
ALGORITHMS = {ED25519: "Ed25519 note signature", COSIGNATURE_V1: "Ed25519 cosignature/v1"}
DASH = "\u2014"
MAX_SIGNATURES = 100
MAX_PROOF_LINES = 63
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
_SPACE = re.compile(r"\s")
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


class NoteError(ValueError):
    """A text that is not of the C2SP form it claims, or a signature that does not verify."""


def valid_name(name: str) -> bool:
    """A key name (and a checkpoint origin, which names the log's key): non-empty, no Unicode
    space, no ``+``, no control character."""
    return bool(name) and not _SPACE.search(name) and "+" not in name and all(ord(c) >= 0x20 for c in name)


def key_hash(name: str, algorithm: int, public_key: bytes) -> int:
    """The 32-bit key id: ``SHA-256(name ‖ 0x0A ‖ algorithm ‖ public key)[:4]``, big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None


def _decimal(text: str, what: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise NoteError(f"{what} {text!r} is not a decimal number without leading zeros")
    return int(text)


# ---------------------------------------------------------------------- keys


@dataclass(frozen=True)
class VerifierKey:
    """A public key by name, as a vkey: ``name+hexid+base64(type ‖ key)``."""

    name: str
    algorithm: int
    public_key: bytes

    @property
    def key_hash(self) -> int:
        return key_hash(self.name, self.algorithm, self.public_key)

    @property
    def key_id(self) -> str:
        """The key id as it appears in the vkey: 8 lowercase hex digits."""
        return f"{self.key_hash:08x}"

    def __str__(self) -> str:
        material = base64.b64encode(bytes([self.algorithm]) + self.public_key).decode()
        return f"{self.name}+{self.key_id}+{material}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Parse a vkey; its key id must match its name and key (Ed25519 types 0x01 and 0x04)."""
        parts = text.strip().split("+", 2)  # the base64 key may hold "+" itself
        if len(parts) != 3:
            raise NoteError(f"{text!r} is not a verifier key (name+keyid+base64 key)")
        name, hexid, material = parts
        if not valid_name(name) or not re.fullmatch(r"[0-9a-f]{8}", hexid):
            raise NoteError(f"{text!r} is not a verifier key: bad name or key id")
        raw = _b64decode(material, "the verifier key's key material")
        if len(raw) != 33 or raw[0] not in ALGORITHMS:
            raise NoteError(f"the verifier key {name}+{hexid} is not an Ed25519 key of type 0x01 or 0x04")
        key = cls(name, raw[0], raw[1:])
        if key.key_id != hexid:
            raise NoteError(f"the verifier key {name}+{hexid}: its key id does not match its name and key")
        return key

    def verify(self, text: bytes, signature: bytes) -> int | None:
        """Whether ``signature`` (without the key id) signs ``text``: ``None`` if not; else the
        cosignature's timestamp (type 0x04), or 0 for a plain Ed25519 note signature."""
        public = Ed25519PublicKey.from_public_bytes(self.public_key)
        timestamp = 0
        if self.algorithm == COSIGNATURE_V1:
            if len(signature) != 72:
                return None
            timestamp = struct.unpack(">Q", signature[:8])[0]
            text, signature = cosigned_message(text.decode(), timestamp), signature[8:]
        try:
            public.verify(signature, text)
        except (InvalidSignature, ValueError):
            return None
        return timestamp


@dataclass(frozen=True)
class NoteSigner:
    """A private Ed25519 key that signs notes under ``name``: the log (type 0x01) or a witness
    (type 0x04, cosignatures)."""

    name: str
    private: Ed25519PrivateKey
    algorithm: int = ED25519

    def __post_init__(self) -> None:
        if not valid_name(self.name):
            raise NoteError(f"{self.name!r} cannot name a key: no spaces, no '+', not empty")

    def __repr__(self) -> str:
        return f"NoteSigner({self.verifier})"

    @property
    def verifier(self) -> VerifierKey:
        return VerifierKey(self.name, self.algorithm, self.private.public_key().public_bytes_raw())

    def sign(self, text: str, timestamp: int | None = None) -> Signature:
        """The signature of ``text`` (a cosignature needs ``timestamp``, POSIX seconds, > 0)."""
        message = text.encode()
        prefix = b""
        if self.algorithm == COSIGNATURE_V1:
            if not timestamp or timestamp <= 0 or timestamp >= 2**63:
                raise NoteError("a cosignature needs a positive timestamp")
            message, prefix = cosigned_message(text, timestamp), struct.pack(">Q", timestamp)
        return Signature(self.name, self.verifier.key_hash, prefix + self.private.sign(message))


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: the header, the time line, then the checkpoint's note text."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


# ---------------------------------------------------------------------- notes


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, 32-bit key id and the signature bytes after the id."""

    name: str
    key_hash: int
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_hash.to_bytes(4, "big") + self.signature).decode()
        return f"{DASH} {self.name} {encoded}\n"

    @classmethod
    def parse(cls, line: str) -> Signature:
        if not line.startswith(DASH + " "):
            raise NoteError("a signature line must start with an em dash and a space")
        name, _, encoded = line[2:].rstrip("\n").partition(" ")
        raw = _b64decode(encoded, "a signature") if encoded else b""
        if not valid_name(name) or len(raw) < 5 or " " in encoded:
            raise NoteError(f"malformed signature line {line.rstrip()!r}")
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True)
class Verified:
    """A signature that verified with a known key (``timestamp``: a cosignature's, else 0)."""

    key: VerifierKey
    timestamp: int


@dataclass(frozen=True)
class SignedNote:
    text: str
    signatures: tuple[Signature, ...] = field(default_factory=tuple)

    def encode(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def with_signatures(self, more: Iterable[Signature]) -> SignedNote:
        """This note with ``more`` signatures appended (a key's repeated signature is kept once)."""
        seen = {(s.name, s.key_hash) for s in self.signatures}
        added = []
        for s in more:
            if (s.name, s.key_hash) not in seen:
                seen.add((s.name, s.key_hash))
                added.append(s)
        return SignedNote(self.text, self.signatures + tuple(added))

    @classmethod
    def parse(cls, message: str) -> SignedNote:
        """Split a signed note into its text and signature lines (nothing is verified here)."""
        if any(ord(c) < 0x20 and c != "\n" for c in message):
            raise NoteError("a note must not contain control characters other than newline")
        split = message.rfind("\n\n")
        if split < 0 or not message.endswith("\n"):
            raise NoteError("not a signed note: no blank line before the signatures, or no final newline")
        text, block = message[: split + 1], message[split + 2 :]
        lines = block.splitlines(keepends=True)
        if not lines or len(lines) > MAX_SIGNATURES:
            raise NoteError("a signed note needs between 1 and 100 signature lines")
        return cls(text, tuple(Signature.parse(line) for line in lines))

    def verify(self, keys: Sequence[VerifierKey]) -> list[Verified]:
        """The signatures made by ``keys`` (matched by name and key id; others are ignored). A
        signature by a known key that does not verify rejects the whole note."""
        known = {(k.name, k.key_hash): k for k in keys}
        out: list[Verified] = []
        seen: set[tuple[str, int]] = set()
        for s in self.signatures:
            key = known.get((s.name, s.key_hash))
            if key is None or (s.name, s.key_hash) in seen:
                continue
            seen.add((s.name, s.key_hash))
            timestamp = key.verify(self.text.encode(), s.signature)
            if timestamp is None:
                raise NoteError(f"the signature of {s.name}+{key.key_id} does not verify: the note was altered "
                                "or the signature forged")
            out.append(Verified(key, timestamp))
        return out


# ---------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class CheckpointText:
    """The note text of a tlog checkpoint: origin, tree size, root hash (no extension lines)."""

    origin: str
    tree_size: int
    root_hash: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root_hash).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> CheckpointText:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise NoteError("a checkpoint's text is at least three non-empty lines, each ending in a newline")
        origin, size, root = lines[:3]
        digest = _b64decode(root, "the checkpoint's root hash")
        if len(digest) != 32:
            raise NoteError("the checkpoint's root hash is not 32 bytes")
        return cls(origin, _decimal(size, "the tree size"), digest)


# ---------------------------------------------------------------------- protocol bodies


def add_checkpoint_request(old_size: int, proof: Sequence[bytes], note: str) -> str:
    """The body of ``POST /add-checkpoint`` (c2sp.org/tlog-witness)."""
    lines = [f"old {old_size}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n"]
    return "".join(lines) + note


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: list[bytes]
    note: str


def parse_add_checkpoint(body: str) -> AddCheckpoint:
    head, sep, note = body.partition("\n\n")
    if not sep:
        raise NoteError("the request has no blank line between the proof and the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise NoteError("the request must start with an `old <size>` line")
    old = _decimal(lines[0][4:], "the old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise NoteError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = [_b64decode(line, "a consistency proof line") for line in lines[1:]]
    if any(len(h) != 32 for h in proof):
        raise NoteError("a consistency proof line is not a 32-byte hash")
    return AddCheckpoint(old, proof, note)


def tlog_proof(index: int, audit_path: Sequence[bytes], note: str, extra: bytes | None = None) -> str:
    """A ``c2sp.org/tlog-proof@v1``: the entry's index, its RFC 6962 audit path and the checkpoint."""
    lines = [TLOG_PROOF_HEADER + "\n"]
    if extra is not None:
        lines.append(f"extra {base64.b64encode(extra).decode()}\n")
    lines.append(f"index {index}\n")
    lines += [base64.b64encode(h).decode() + "\n" for h in audit_path]
    return "".join(lines) + "\n" + note


@dataclass(frozen=True)
class TlogProof:
    index: int
    audit_path: list[bytes]
    note: str
    extra: bytes | None = None


def parse_tlog_proof(text: str) -> TlogProof:
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != TLOG_PROOF_HEADER:
        raise NoteError(f"not a tlog proof: the first line must be {TLOG_PROOF_HEADER}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra, rest = _b64decode(rest[0][6:], "the extra data"), rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise NoteError("a tlog proof needs an `index <i>` line")
    index = _decimal(rest[0][6:], "the index")
    path = [_b64decode(line, "an audit path line") for line in rest[1:]]
    if any(len(h) != 32 for h in path):
        raise NoteError("an audit path line is not a 32-byte hash")
    return TlogProof(index, path, note, extra)
