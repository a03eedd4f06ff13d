"""A portable evidence bundle: one file an appeal board or a court can check with no database.

``{"format": "lokikirja-evidence-bundle/v1", "customer", "created", "dossier": {…},
"events": [{"event", "position", "leaf_index", "state"}], "checkpoint": {…}, "public_key", "key_id",
"proofs": {event: inclusion proof}, "note": "<the checkpoint as a C2SP signed note, with its
witnesses' cosignatures>"}`` — ``state`` is the stored record exactly as stored (base64;
personal fields are ciphertext there, readable in the dossier part).

:func:`verify_bundle` checks, offline: the checkpoint's Ed25519 signature — with the pinned log
key(s) of a :class:`~replay.trust.TrustPolicy` when one is given (the bundle's own key is then
never trusted, and a quorum of pinned witnesses must have cosigned its note), else with the
bundle's own public key, which the report says; every event's leaf (``ledger.seal.leaf_bytes``
of its stored bytes) hashes to its proof's leaf hash and its RFC 6962 audit path leads to the
signed root; and each timeline entry of the dossier agrees with its stored record (id, type, valid time, actor).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger import merkle
from ledger.checkpoints import Checkpoint, checkpoint_at, previous_public_keys, public_key
from ledger.errors import IntegrityFailure, UsageError
from ledger.keys import key_id
from ledger.note import NoteError, SignedNote
from ledger.seal import leaf_bytes
from ledger.store import Ledger
from replay.trust import TrustPolicy, describe, require_trusted

FORMAT = "lokikirja-evidence-bundle/v1"


def build_bundle(ledger: Ledger, dossier: dict[str, Any]) -> dict[str, Any]:
    """The evidence bundle of a dossier (see the module docstring): its checkpoint and proofs, with
    each proven event's record as stored now."""
    if dossier.get("checkpoint") is None:
        raise UsageError("there is no checkpoint yet; run `lokikirja checkpoint` first")
    proofs = dossier["proofs"]
    ids = [UUID(e["event"]) for e in dossier["timeline"] if e["event"] in proofs]
    facts = ledger.facts_by_id(ids)
    kid, key = public_key(ledger)
    signer = dossier["checkpoint"]["key_id"]
    kid, key = next(((i, k) for i, k in previous_public_keys(ledger) if i == signer and i != kid), (kid, key))
    try:
        _checkpoint, signed = checkpoint_at(ledger, dossier["checkpoint"]["tree_size"])
    except UsageError:
        signed = None
    events = [{"event": str(uid), "position": facts[uid].position, "leaf_index": proofs[str(uid)]["leaf_index"],
               "state": base64.b64encode(facts[uid].to_stored_event().state).decode()} for uid in ids]
    return {"format": FORMAT, "customer": dossier["customer"], "created": datetime.now(UTC).isoformat(),
            "dossier": dossier, "events": events, "checkpoint": dossier["checkpoint"],
            "public_key": base64.b64encode(key).decode(), "key_id": kid, "proofs": proofs,
            "note": None if signed is None else signed.encode()}


@dataclass
class BundleReport:
    """The outcome of :func:`verify_bundle`; ``proven``: the events whose proof checked out."""

    ok: bool = True
    events: int = 0
    problems: list[str] = field(default_factory=list)
    proven: set[str] = field(default_factory=set)
    why: dict[str, str] = field(default_factory=dict)  # event → why it is not proven
    trust: dict[str, Any] = field(default_factory=dict)  # the keys the verdict relied on

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    def fail_event(self, event: str, reason: str) -> None:
        self.why.setdefault(event, reason)
        self.fail(f"event {event}: {reason}")

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"ok": self.ok, "events": self.events, "problems": self.problems}
        if self.trust.get("policy") == "pinned":
            doc["trust"] = self.trust
        return doc


def load_bundle(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UsageError(f"{path}: not a JSON evidence bundle") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UsageError(f"{path}: not a Lokikirja evidence bundle ({FORMAT})")
    return doc


def verify_bundle(doc: dict[str, Any], policy: TrustPolicy | None = None) -> BundleReport:
    """Check a bundle with no database and no private key (see the module docstring)."""
    report = BundleReport()
    policy = policy or TrustPolicy()
    try:
        key = base64.b64decode(doc["public_key"], validate=True)
        checkpoint = Checkpoint.from_json(doc["checkpoint"])
        note = SignedNote.parse(doc["note"]) if doc.get("note") else None
    except (KeyError, TypeError, binascii.Error, UsageError, NoteError) as e:
        report.fail(f"the bundle's key, checkpoint or note is malformed: {e}")
        return report
    if policy.pinned:
        try:
            report.trust = require_trusted(policy, checkpoint, note)
            signed = True
        except IntegrityFailure as e:
            signed = False
            report.trust = describe(policy)
            report.fail(f"{e} — the bundle's own key {doc.get('key_id')} is not trusted under the pinned policy")
    else:
        signed = key_id(key) == doc.get("key_id") and checkpoint.verifies_with(key)
        report.trust = describe(policy, log_keys=[f"the bundle's own public key (key id {doc.get('key_id')})"])
        if not signed:
            report.fail("the checkpoint's signature does not verify with the bundle's public key")
    stored = {e.get("event"): e for e in doc.get("events", [])}
    for entry in doc.get("dossier", {}).get("timeline", []):
        _check_event(report, entry, stored.get(entry["event"]), doc.get("proofs", {}).get(entry["event"]), checkpoint)
    if not signed:
        report.proven.clear()  # a path to an unsigned root proves nothing
    return report


def proof_statuses(ledger: Ledger, dossier: dict[str, Any], unproven: dict[str, str] | None = None) -> dict[str, str]:
    """Each timeline event's verification status, checked as ``verify-bundle`` checks it: its stored
    record, re-read and re-hashed, leads by its audit path to the root of the signed checkpoint, and
    the signature verifies with the ledger's public key. ``"proven"``, or why not (``unproven``: the
    reasons :func:`~replay.dossier.build_dossier` noted for events it could not prove)."""
    timeline = [e["event"] for e in dossier["timeline"]]
    if dossier.get("checkpoint") is None:
        return dict.fromkeys(timeline, "no signed checkpoint yet")
    report = verify_bundle(build_bundle(ledger, dossier))
    why = {**report.why, **(unproven or {})}
    fallback = report.problems[0] if report.problems else "not proven"
    return {e: "proven" if e in report.proven else why.get(e, fallback) for e in timeline}


def _check_event(report: BundleReport, entry: dict[str, Any], stored: dict[str, Any] | None,
                 proof: dict[str, Any] | None, checkpoint: Checkpoint) -> None:
    event = entry["event"]
    if stored is None or proof is None:
        report.fail_event(event, "no stored record or proof in the bundle")
        return
    report.events += 1
    try:
        state = base64.b64decode(stored["state"], validate=True)
        leaf_hash = merkle.leaf_hash(leaf_bytes(stored["leaf_index"], stored["position"], state))
        if leaf_hash.hex() != proof["leaf_hash"] or proof["tree_size"] != checkpoint.tree_size:
            raise merkle.ProofError("its leaf or tree size differs from the proof's")
        merkle.verify_inclusion(stored["leaf_index"], checkpoint.tree_size, leaf_hash,
                                [bytes.fromhex(h) for h in proof["audit_path"]], checkpoint.root_hash)
        record = json.loads(state)
    except (KeyError, TypeError, ValueError, binascii.Error, merkle.ProofError) as e:
        report.fail_event(event, f"not proven included in the signed checkpoint ({e})")
        return
    shown = (entry["event"], entry["type"], datetime.fromisoformat(entry["at"]), entry["actor"])
    proven = (record["id"], record["type"], datetime.fromisoformat(record["at"]), record["actor"])
    if shown != proven:
        report.fail_event(event, "the dossier's entry does not match the proven record")
    else:
        report.proven.add(event)
