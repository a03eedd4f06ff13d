"""Pinned trust: what a verifier (AVI, a court, a data subject's counsel) relies on instead of the
keys the store or a bundle carries.

A :class:`TrustPolicy` is the log's verifier key(s) (``--log-key``, type 0x01, named by the log's
origin), the witnesses' verifier keys (``--witness-key``, type 0x04) and a quorum (``--witnesses
K``): a checkpoint is trusted when its signature verifies with a pinned log key, and *witnessed*
when at least K pinned witnesses cosigned it. Without a policy every check ends at the key the
store (or the bundle) holds, and the verdict says so.

Witnesses are also asked for the newest checkpoint they cosigned (``GET <url>/<origin
hash>/checkpoint``, c2sp.org/tlog-witness): a store whose latest checkpoint is older than that
was rolled back, and a store whose events do not hash to that root was rewritten after it was
witnessed (``replay/verify.py`` checks both).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ledger.checkpoints import Checkpoint
from ledger.errors import UsageError
from ledger.keys import key_id as raw_key_id
from ledger.note import COSIGNATURE_V1, ED25519, CheckpointText, NoteError, SignedNote, VerifierKey

TIMEOUT_S = 5.0


def _parse_keys(texts: Iterable[str], algorithm: int, option: str) -> tuple[VerifierKey, ...]:
    keys = []
    for text in texts:
        try:
            key = VerifierKey.parse(text)
        except NoteError as e:
            raise UsageError(f"{option}: {e}") from None
        if key.algorithm != algorithm:
            wanted = "0x01 (the log's Ed25519 key: `lokikirja keys verifier`)" if algorithm == ED25519 else \
                "0x04 (a witness's cosignature key: `lokikirja witness key`)"
            raise UsageError(f"{option}: {key.name}+{key.key_id} is not a key of type {wanted}")
        keys.append(key)
    return tuple(dict.fromkeys(keys))


def label(key: VerifierKey) -> str:
    return f"{key.name}+{key.key_id}"


@dataclass(frozen=True)
class TrustPolicy:
    log_keys: tuple[VerifierKey, ...] = ()
    witness_keys: tuple[VerifierKey, ...] = ()
    quorum: int = 0
    witness_urls: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, log_keys: Sequence[str] = (), witness_keys: Sequence[str] = (),
                     quorum: int | None = None, witness_urls: Sequence[str] = ()) -> TrustPolicy:
        logs = _parse_keys(log_keys, ED25519, "--log-key")
        witnesses = _parse_keys(witness_keys, COSIGNATURE_V1, "--witness-key")
        if (witnesses or quorum or witness_urls) and not logs:
            raise UsageError("a trust policy starts with the log's key: give --log-key VKEY "
                             "(from `lokikirja keys verifier`, obtained out of band)")
        k = (1 if witnesses else 0) if quorum is None else quorum
        if k > len(witnesses):
            raise UsageError(f"--witnesses {k}: only {len(witnesses)} witness key(s) are pinned with --witness-key")
        for url in witness_urls:
            if not url.startswith(("http://", "https://")):
                raise UsageError(f"--witness-url {url!r} is not an http:// or https:// URL")
        return cls(logs, witnesses, k, tuple(u.rstrip("/") for u in witness_urls))

    @property
    def pinned(self) -> bool:
        return bool(self.log_keys)

    def raw_log_keys(self) -> list[bytes]:
        return [k.public_key for k in self.log_keys]

    def origins(self) -> list[str]:
        return list(dict.fromkeys(k.name for k in self.log_keys))


# ---------------------------------------------------------------------- checkpoints under a policy


def log_key_of(policy: TrustPolicy, checkpoint: Checkpoint) -> VerifierKey | None:
    """The pinned log key whose key verifies ``checkpoint``'s signature, if any."""
    for key in policy.log_keys:
        if checkpoint.key_id == raw_key_id(key.public_key) and checkpoint.verifies_with(key.public_key):
            return key
    return None


@dataclass
class Witnessing:
    """The pinned witnesses' cosignatures found on one checkpoint's note, or why it fails."""

    cosigners: list[tuple[VerifierKey, int]] = field(default_factory=list)  # (key, timestamp)
    problem: str | None = None


def witnessing(policy: TrustPolicy, checkpoint: Checkpoint, note: SignedNote | None) -> Witnessing:
    """Check ``note`` (the checkpoint's C2SP note, if it has one) under the policy: it must say what
    the checkpoint says, a note signature by a pinned log key must verify, and so must every
    cosignature by a pinned witness key (a bad one is a forgery, never just ignored)."""
    out = Witnessing()
    if note is None:
        return out
    try:
        text = CheckpointText.parse(note.text)
    except NoteError as e:
        out.problem = f"its note is malformed ({e})"
        return out
    if (text.tree_size, text.root_hash) != (checkpoint.tree_size, checkpoint.root_hash):
        out.problem = "its note names another tree size or root than the signed checkpoint"
        return out
    try:
        signed = note.verify(list(policy.log_keys))
        if policy.log_keys and not signed:
            out.problem = "its note is not signed by the pinned log key"
            return out
        out.cosigners = [(v.key, v.timestamp) for v in note.verify(list(policy.witness_keys))]
    except NoteError as e:
        out.problem = str(e)
    return out


def require_trusted(policy: TrustPolicy, checkpoint: Checkpoint, note: SignedNote | None) -> dict[str, Any]:
    """Raise ``IntegrityFailure`` unless ``checkpoint`` verifies under the pinned policy (log key,
    note, quorum of cosignatures); returns the ``trust`` statement of what was relied on."""
    from ledger.errors import IntegrityFailure

    what = f"the checkpoint of tree size {checkpoint.tree_size} ({checkpoint.timestamp})"
    key = log_key_of(policy, checkpoint)
    if key is None:
        raise IntegrityFailure(f"{what} does not verify with the pinned log key "
                               f"{', '.join(label(k) for k in policy.log_keys)} (it names key id {checkpoint.key_id})")
    found = witnessing(policy, checkpoint, note)
    if found.problem is not None:
        raise IntegrityFailure(f"{what}: {found.problem}")
    cosigners = sorted({label(k) for k, _t in found.cosigners})
    if len(cosigners) < policy.quorum:
        raise IntegrityFailure(f"{what} is cosigned by {len(cosigners)} of the pinned witnesses, fewer than the "
                               f"quorum of {policy.quorum}; use an older, witnessed tree size"
                               " or wait for the witnesses")
    return describe(policy, relied_on=[label(key), *cosigners])


# ---------------------------------------------------------------------- witnesses' own view


@dataclass(frozen=True)
class WitnessView:
    """The newest checkpoint a pinned witness says it cosigned for the log (verified)."""

    witness: VerifierKey
    url: str
    tree_size: int
    root_hash: bytes
    timestamp: int

    @property
    def when(self) -> str:
        return datetime.fromtimestamp(self.timestamp, UTC).isoformat()

    def describe(self) -> str:
        return f"witness {label(self.witness)} cosigned tree size {self.tree_size} at {self.when}"


@dataclass
class WitnessReport:
    views: list[WitnessView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # witnesses that could not be asked, and why


def ask_witnesses(policy: TrustPolicy, urls: Sequence[str], *, timeout: float = TIMEOUT_S) -> WitnessReport:
    """Ask each witness URL for the newest checkpoint it cosigned of each pinned origin; keep the
    answers signed by a pinned log key and cosigned by a pinned witness key."""
    report = WitnessReport()
    if not policy.witness_keys:
        return report
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        for url in dict.fromkeys(urls):
            for origin in policy.origins():
                path = f"{url}/{hashlib.sha256(origin.encode()).hexdigest()}/checkpoint"
                try:
                    answer = client.get(path)
                except httpx.HTTPError as e:
                    report.notes.append(f"{url}: not reachable ({type(e).__name__}); rollback not checked against it")
                    continue
                if answer.status_code == 404:
                    report.notes.append(f"{url}: has cosigned no checkpoint of {origin}")
                    continue
                if answer.status_code != 200:
                    report.notes.append(f"{url}: answered HTTP {answer.status_code}")
                    continue
                report.views += _views_of(policy, url, answer.text, report.notes)
    answered = {v.witness for v in report.views}
    for key in policy.witness_keys:
        if key not in answered and not urls:
            report.notes.append(f"no URL known for the witness {label(key)} (give --witness-url, or `lokikirja "
                                "witnesses add` it): rollback not checked against it")
    return report


def _views_of(policy: TrustPolicy, url: str, text: str, notes: list[str]) -> list[WitnessView]:
    try:
        note = SignedNote.parse(text)
        checkpoint = CheckpointText.parse(note.text)
        if not note.verify(list(policy.log_keys)):
            notes.append(f"{url}: its checkpoint is not signed by the pinned log key")
            return []
        cosigned = note.verify(list(policy.witness_keys))
    except NoteError as e:
        notes.append(f"{url}: its checkpoint does not verify ({e})")
        return []
    if not cosigned:
        notes.append(f"{url}: its checkpoint carries no cosignature of a pinned witness")
    return [WitnessView(v.key, url, checkpoint.tree_size, checkpoint.root_hash, v.timestamp) for v in cosigned]


def describe(policy: TrustPolicy, **extra: Any) -> dict[str, Any]:
    """The ``trust`` part of a verdict: which keys it relied on."""
    if not policy.pinned:
        keys = ", ".join(extra.get("log_keys", [])) or "the store's key"
        return {"policy": "store key only", **extra,
                "statement": f"checked against {keys}, which the store itself holds, not a pinned key: an operator "
                             "who rewrote the log and re-signed it would pass; pin the log's key with --log-key"}
    return {"policy": "pinned", "log_keys": [label(k) for k in policy.log_keys],
            "witness_keys": [label(k) for k in policy.witness_keys], "quorum": policy.quorum, **extra}
