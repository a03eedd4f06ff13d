"""A portable evidence bundle: one file an appeal board or a court can check with no database.

Version 2 (``lokikirja-evidence-bundle/v2``, written now) adds what proves the dossier's
conclusions and its completeness (``replay/bundle_check.py``): ``request`` (``at``, ``known_at``),
``horizon``, every event the rules need — the customer's, the organisation register's, the acting
officials' and the named employers' — each with its inclusion proof, and ``index``: the
``ledger.index_committed`` fact's id and, per subject, its subject-index proof. ``verify-bundle``
then recomputes the dossier from the proven records and names any field that differs, any event
left out or added, and any index proof that fails. Version 1 bundles are still checked as before.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger import merkle
from ledger.checkpoints import Checkpoint, checkpoint_at, inclusion_proofs, previous_public_keys, public_key
from ledger.errors import IntegrityFailure, UsageError
from ledger.events import LEDGER_TYPES, Rule
from ledger.keys import key_id
from ledger.note import NoteError, SignedNote
from ledger.records import StoredFact
from ledger.seal import Seal, leaf_bytes
from ledger.store import Ledger
from ledger.subject_index import SubjectIndex
from ledger.submap import MapProof
from projections.schema import from_micros, micros
from replay.bounded import BoundedWorld, Bounds
from replay.bundle_check import NOT_RECOMPUTED, check_completeness, compare, needed_keys, recompute
from replay.trust import TrustPolicy, describe, require_trusted

FORMAT_V1 = "lokikirja-evidence-bundle/v1"
FORMAT = "lokikirja-evidence-bundle/v2"


def build_bundle(ledger: Ledger, dossier: dict[str, Any], bounds: Bounds = Bounds()) -> dict[str, Any]:
    """The evidence bundle of a dossier built with ``bounds`` (see the module docstring). The
    dossier's checkpoint must cover the subject index's latest commitment
    (:func:`ledger.checkpoints.commit_subject_index` before the dossier is built)."""
    if dossier.get("checkpoint") is None:
        raise UsageError("there is no checkpoint yet; run `lokikirja checkpoint` first")
    customer = dossier["customer"]
    evidence = collect_evidence(ledger, [customer], dossier["checkpoint"],
                                extra=[UUID(e["event"]) for e in dossier["timeline"]])
    with ledger.db.read() as cur:
        horizon = BoundedWorld(ledger.db, cur, bounds).horizon()
    return {**evidence, "format": FORMAT, "customer": customer, "created": datetime.now(UTC).isoformat(),
            "request": {"at": None if bounds.at is None else from_micros(bounds.at).isoformat(),
                        "known_at": bounds.position},
            "horizon": None if horizon is None else horizon.isoformat(), "dossier": dossier}


def collect_evidence(ledger: Ledger, customers: Sequence[str], checkpoint: dict[str, Any], *,
                     extra: Sequence[UUID] = ()) -> dict[str, Any]:
    """What proves every event of ``customers`` — and of the officials and registers their events
    rest on — against ``checkpoint``: ``events`` (as stored), their inclusion ``proofs``, ``index``
    (the commitment's id and each subject's index proof), the checkpoint, its note and key."""
    size = checkpoint["tree_size"]
    subjects, index_position = _subject_proofs(ledger, customers, size)
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        positions = seal.positions_of_leaves(cur, sorted({p for proof in subjects.values() for p in proof.positions}))
    facts = ledger.facts_at([*positions.values(), index_position])
    ids = sorted({f.id for f in facts} | set(extra))
    stored = ledger.facts_by_id(ids)
    proofs = inclusion_proofs(ledger, ids, size)
    index_event = next(f.id_text for f in facts if f.position == index_position)
    events = [{"event": str(uid), "position": stored[uid].position, "leaf_index": proofs[uid]["leaf_index"],
               "state": base64.b64encode(stored[uid].to_stored_event().state).decode()} for uid in ids]
    return {**_signed_part(ledger, checkpoint), "events": events, "proofs": {str(uid): p for uid, p in proofs.items()},
            "index": {"event": index_event, "subjects": {k: p.to_json() for k, p in sorted(subjects.items())}}}


def _subject_proofs(ledger: Ledger, customers: Sequence[str], size: int) -> tuple[dict[str, MapProof], int]:
    """The subject-index proofs that the events of ``customers`` rest on, and the log position of
    the commitment they are against (which the checkpoint of ``size`` leaves must cover)."""
    index = SubjectIndex(ledger)
    seal = Seal(ledger)
    proofs: dict[str, MapProof] = {}
    position = None
    for customer in customers:
        proofs[customer], position = index.prove(customer)
    if position is None:
        raise UsageError("no customer to prove")
    with ledger.db.read() as cur:
        leaf = seal.leaves_at(cur, [position]).get(position)
        own = seal.positions_of_leaves(cur, sorted({p for c in customers for p in proofs[c].positions}))
    if leaf is None or leaf.leaf_index >= size:
        raise UsageError("the subject index's latest commitment is not in the checkpoint; "
                         "run `lokikirja checkpoint` and ask again")
    facts = ledger.facts_at(list(own.values()))
    for key in sorted(set().union(*(needed_keys(c, facts) for c in customers)) - set(customers)):
        proofs[key], at = index.prove(key)
        if at != position:
            raise UsageError("the subject index was committed anew while the evidence was gathered; ask again")
    return proofs, position


def _signed_part(ledger: Ledger, checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint, its signed note and the public key that signed it."""
    kid, key = public_key(ledger)
    signer = checkpoint["key_id"]
    kid, key = next(((i, k) for i, k in previous_public_keys(ledger) if i == signer and i != kid), (kid, key))
    try:
        _checkpoint, signed = checkpoint_at(ledger, checkpoint["tree_size"])
    except UsageError:
        signed = None
    return {"checkpoint": checkpoint, "public_key": base64.b64encode(key).decode(), "key_id": kid,
            "note": None if signed is None else signed.encode()}


def build_bundle_v1(ledger: Ledger, dossier: dict[str, Any]) -> dict[str, Any]:
    """A version 1 bundle (the timeline's events and proofs only): what :func:`proof_statuses`
    checks a dossier page's events with."""
    if dossier.get("checkpoint") is None:
        raise UsageError("there is no checkpoint yet; run `lokikirja checkpoint` first")
    proofs = dossier["proofs"]
    ids = [UUID(e["event"]) for e in dossier["timeline"] if e["event"] in proofs]
    facts = ledger.facts_by_id(ids)
    events = [{"event": str(uid), "position": facts[uid].position, "leaf_index": proofs[str(uid)]["leaf_index"],
               "state": base64.b64encode(facts[uid].to_stored_event().state).decode()} for uid in ids]
    return {**_signed_part(ledger, dossier["checkpoint"]), "format": FORMAT_V1, "customer": dossier["customer"],
            "created": datetime.now(UTC).isoformat(), "dossier": dossier, "events": events, "proofs": proofs}


@dataclass
class BundleReport:
    """The outcome of :func:`verify_bundle`; ``proven``: the events whose proof checked out."""

    ok: bool = True
    events: int = 0
    problems: list[str] = field(default_factory=list)
    proven: set[str] = field(default_factory=set)
    why: dict[str, str] = field(default_factory=dict)  # event → why it is not proven
    trust: dict[str, Any] = field(default_factory=dict)  # the keys the verdict relied on
    customer: str | None = None
    complete: bool | None = None  # v2: the subject index proves the bundle holds every event of the person
    attested: str | None = None  # v2: what is taken from the bundle rather than recomputed

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)

    def fail_event(self, event: str, reason: str) -> None:
        self.why.setdefault(event, reason)
        self.fail(f"event {event}: {reason}")

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"ok": self.ok, "events": self.events, "problems": self.problems}
        if self.complete is not None:
            doc["complete"] = self.complete and self.ok
            doc["not_recomputed"] = self.attested
        if self.trust.get("policy") == "pinned":
            doc["trust"] = self.trust
        return doc


def read_json(path: Path, what: str) -> Any:
    """The JSON document in ``path``; a missing or unreadable file is a usage error naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UsageError(f"{path}: not a JSON {what}") from None


def load_bundle(path: Path) -> dict[str, Any]:
    doc = read_json(path, "evidence bundle")
    if not isinstance(doc, dict) or doc.get("format") not in (FORMAT, FORMAT_V1):
        raise UsageError(f"{path}: not a Lokikirja evidence bundle ({FORMAT} or {FORMAT_V1})")
    return doc


def verify_bundle(doc: dict[str, Any], policy: TrustPolicy | None = None) -> BundleReport:
    """Check a bundle with no database and no private key (see the module docstring)."""
    report = BundleReport()
    checkpoint, signed = check_signature(report, doc, policy or TrustPolicy())
    if checkpoint is None:
        return report
    stored = {e.get("event"): e for e in doc.get("events", []) if isinstance(e, dict)}
    if doc.get("format") == FORMAT:
        _check_v2(report, doc, stored, checkpoint)
    else:
        for entry in doc.get("dossier", {}).get("timeline", []):
            _check_event(report, entry, stored.get(entry["event"]), doc.get("proofs", {}).get(entry["event"]),
                         checkpoint)
    if not signed:
        report.proven.clear()  # a path to an unsigned root proves nothing
    return report


def check_signature(report: BundleReport, doc: dict[str, Any], policy: TrustPolicy) -> tuple[Checkpoint | None, bool]:
    """The evidence's checkpoint (``None``: malformed) and whether its signature holds — under the
    pinned keys of ``policy`` when it has any, else with the evidence's own public key (said so)."""
    try:
        key = base64.b64decode(doc["public_key"], validate=True)
        checkpoint = Checkpoint.from_json(doc["checkpoint"])
        note = SignedNote.parse(doc["note"]) if doc.get("note") else None
    except (KeyError, TypeError, binascii.Error, UsageError, NoteError) as e:
        report.fail(f"the bundle's key, checkpoint or note is malformed: {e}")
        return None, False
    if policy.pinned:
        try:
            report.trust = require_trusted(policy, checkpoint, note)
            return checkpoint, True
        except IntegrityFailure as e:
            report.trust = describe(policy)
            report.fail(f"{e} — the bundle's own key {doc.get('key_id')} is not trusted under the pinned policy")
            return checkpoint, False
    signed = key_id(key) == doc.get("key_id") and checkpoint.verifies_with(key)
    report.trust = describe(policy, log_keys=[f"the bundle's own public key (key id {doc.get('key_id')})"])
    if not signed:
        report.fail("the checkpoint's signature does not verify with the bundle's public key")
    return checkpoint, signed


def proven_facts(report: BundleReport, doc: dict[str, Any],
                 checkpoint: Checkpoint) -> tuple[dict[int, StoredFact], dict[str, int]]:
    """The evidence's events proven included in ``checkpoint``: by leaf index, and event id → leaf."""
    proven: dict[int, StoredFact] = {}
    leaf_of: dict[str, int] = {}
    for entry in doc.get("events", []):
        if not isinstance(entry, dict):
            continue
        event = str(entry.get("event"))
        fact = _proven_fact(report, event, entry, doc.get("proofs", {}).get(event), checkpoint)
        if fact is not None:
            proven[entry["leaf_index"]] = fact
            leaf_of[event] = entry["leaf_index"]
    return proven, leaf_of


def _check_v2(report: BundleReport, doc: dict[str, Any], stored: dict[str, Any], checkpoint: Checkpoint) -> None:
    """Every event's inclusion, the subject index's completeness, and the dossier recomputed."""
    proven, leaf_of = proven_facts(report, doc, checkpoint)
    dossier = doc.get("dossier") or {}
    for entry in dossier.get("timeline") or []:
        if isinstance(entry, dict) and entry.get("event") not in stored:
            report.fail_event(str(entry.get("event")), "no stored record or proof in the bundle")
    customer = report.customer = str(doc.get("customer"))
    if dossier.get("customer") != customer:
        report.fail(f"the dossier is of {dossier.get('customer')!r} but the bundle of {customer!r}")
    report.complete = check_completeness(report.fail, doc.get("index"), proven, leaf_of, [customer],
                                         checkpoint.tree_size)
    try:
        request = doc.get("request") or {}
        at = None if request.get("at") is None else micros(datetime.fromisoformat(request["at"]))
        known_at = request.get("known_at")
        horizon = None if doc.get("horizon") is None else datetime.fromisoformat(doc["horizon"])
    except (TypeError, ValueError) as e:
        report.fail(f"the bundle's request or horizon is malformed: {e}")
        return
    latest = max((f.at for f in proven.values() if f.type not in LEDGER_TYPES
                  and (at is None or micros(f.at) <= at) and (known_at is None or (f.position or 0) <= known_at)),
                 default=None)
    if horizon is not None and ((latest is not None and horizon < latest) or (at is not None and micros(horizon) > at)):
        report.fail(f"the bundle's horizon {doc['horizon']} is not between its latest proven event and its --at")
    bulk = {e.get("event") for e in dossier.get("timeline") or []
            if isinstance(e, dict) and Rule.ACCESS_BULK.value in (e.get("findings") or [])}
    expected = recompute(customer, proven.values(), at=at, known_at=known_at, horizon=horizon, bulk=bulk)
    compare(report.fail, dossier, expected)
    report.attested = NOT_RECOMPUTED


def _included(stored: dict[str, Any], proof: dict[str, Any], checkpoint: Checkpoint) -> bytes:
    """The stored record's bytes, once its leaf hashes to the proof's and the audit path leads to
    the checkpoint's root (raises ``ProofError``, or ``KeyError``/``ValueError``… on a malformed entry)."""
    state = base64.b64decode(stored["state"], validate=True)
    leaf_hash = merkle.leaf_hash(leaf_bytes(stored["leaf_index"], stored["position"], state))
    if leaf_hash.hex() != proof["leaf_hash"] or proof["tree_size"] != checkpoint.tree_size:
        raise merkle.ProofError("its leaf or tree size differs from the proof's")
    merkle.verify_inclusion(stored["leaf_index"], checkpoint.tree_size, leaf_hash,
                            [bytes.fromhex(h) for h in proof["audit_path"]], checkpoint.root_hash)
    return state


def _proven_fact(report: BundleReport, event: str, stored: dict[str, Any], proof: dict[str, Any] | None,
                 checkpoint: Checkpoint) -> StoredFact | None:
    if proof is None:
        report.fail_event(event, "no inclusion proof in the bundle")
        return None
    report.events += 1
    try:
        fact = StoredFact.from_state(_included(stored, proof, checkpoint), stored["position"])
        if fact.id_text != event:
            raise merkle.ProofError(f"the proven record is of event {fact.id_text}")
    except (KeyError, TypeError, ValueError, binascii.Error, merkle.ProofError) as e:
        report.fail_event(event, f"not proven included in the signed checkpoint ({e})")
        return None
    report.proven.add(event)
    return fact


def proof_statuses(ledger: Ledger, dossier: dict[str, Any], unproven: dict[str, str] | None = None) -> dict[str, str]:
    """Each timeline event's verification status, checked as ``verify-bundle`` checks it: its stored
    record, re-read and re-hashed, leads by its audit path to the root of the signed checkpoint, and
    the signature verifies with the ledger's public key. ``"proven"``, or why not (``unproven``: the
    reasons :func:`~replay.dossier.build_dossier` noted for events it could not prove)."""
    timeline = [e["event"] for e in dossier["timeline"]]
    if dossier.get("checkpoint") is None:
        return dict.fromkeys(timeline, "no signed checkpoint yet")
    report = verify_bundle(build_bundle_v1(ledger, dossier))
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
        record = json.loads(_included(stored, proof, checkpoint))
    except (KeyError, TypeError, ValueError, binascii.Error, merkle.ProofError) as e:
        report.fail_event(event, f"not proven included in the signed checkpoint ({e})")
        return
    shown = (entry["event"], entry["type"], datetime.fromisoformat(entry["at"]), entry["actor"])
    proven = (record["id"], record["type"], datetime.fromisoformat(record["at"]), record["actor"])
    if shown != proven:
        report.fail_event(event, "the dossier's entry does not match the proven record")
    else:
        report.proven.add(event)
