"""``checkpoint``, ``proof inclusion`` / ``proof consistency`` and ``verify`` (CONTRACT §6–7)."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import click

from ledger.checkpoints import (
    checkpoint_at,
    checkpoint_note,
    consistency_proof,
    inclusion_proof,
    public_key,
    sign_checkpoint,
)
from ledger.errors import IntegrityFailure, UsageError
from ledger.note import tlog_proof
from ledger.store import Ledger
from ledger.subject_index import committed_index
from replay.trust import TrustPolicy, require_trusted
from replay.verify import verify as verify_log
from service.app import db_option, format_option, keys_option, main, note, trust_options
from service.output import emit_json, progress_bar, stdout


def _fields(doc: dict[str, Any], fmt: str) -> None:
    """One document: JSON as it is, or ``field  value`` lines (hashes never cut; lists one item a line)."""
    if fmt == "json":
        emit_json(doc)
        return
    width = max(len(k) for k in doc)
    for name, value in doc.items():
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items or ["(none)"]):
            stdout.print(f"{name if i == 0 else '':<{width}}  {item}", highlight=False, soft_wrap=True)


@main.command()
@click.option("--public-key", "show_key", is_flag=True,
              help="Print the base64 Ed25519 key that verifies checkpoints instead (no private key needed).")
@db_option
@keys_option
@format_option("table", "json", "note")
def checkpoint(show_key: bool, db: str | None, keys: str | None, fmt: str) -> None:
    """Seal everything appended so far, sign the checkpoint of the Merkle tree and have the
    witnesses cosign it.

    A new checkpoint is signed only when the log has grown since the latest one; otherwise the
    latest, which is still the checkpoint of the current tree, is printed. It is signed twice
    with the log's Ed25519 key: the JSON form over the canonical bytes in docs/integrity.md, and
    as a C2SP checkpoint note under the log's origin (--format note prints the note with every
    cosignature). Then every witness (`lokikirja witnesses add`) is asked to cosign it; which
    did is reported (on stderr with --format json or note).

    Example: lokikirja checkpoint --format note; lokikirja checkpoint --public-key
    """
    if show_key:
        with Ledger.open(db, keys, need_keys=False) as ledger:
            key_id, key = public_key(ledger)
        encoded = base64.b64encode(key).decode()
        if fmt == "json":
            emit_json({"key_id": key_id, "public_key": encoded})
        else:
            stdout.print(encoded, highlight=False)
        return
    from ledger.witnesses import submit
    from service.pipeline import seal_new_facts

    with Ledger.open(db, keys) as ledger:
        seal_new_facts(ledger)
        doc = sign_checkpoint(ledger)
        outcomes = submit(ledger, force=True)
        _checkpoint, signed = checkpoint_note(ledger, doc["tree_size"])
    if fmt == "note":
        stdout.file.write(signed.encode())
        stdout.file.flush()
    else:
        _fields(doc, fmt)
    for o in outcomes:
        line = o.describe()
        if fmt == "table":
            stdout.print(line, highlight=False, soft_wrap=True)
        else:
            note(line)


@main.group()
def proof() -> None:
    """RFC 6962 proofs that any independent verifier can check (docs/integrity.md)."""


def _event_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise UsageError(f"{text!r} is not an event id (a UUID)") from None


@proof.command("inclusion")
@click.argument("event_id", metavar="EVENT_ID")
@click.option("--tree-size", type=click.IntRange(min=1), default=None,
              help="Prove against this tree size (default: the latest checkpoint's).")
@db_option
@trust_options()
@format_option("table", "json", "tlog-proof")
def inclusion(event_id: str, tree_size: int | None, db: str | None, fmt: str, policy: TrustPolicy) -> None:
    """Prove that an event is in the log: its leaf, the audit path and the root it leads to.

    Without --tree-size the proof is made against the latest checkpoint, so its root_hash is the
    signed one (`lokikirja checkpoint`). --format tlog-proof prints a c2sp.org/tlog-proof@v1 (the
    leaf bytes as its extra data, then the checkpoint note with its cosignatures). With --log-key
    (and --witness-key, --witnesses) the checkpoint must verify under those pinned keys, or exit 1.

    Example: lokikirja proof inclusion 9d2c0b8e-4f0c-4c52-a3f4-0f6b1e7d9a10 --format tlog-proof
    """
    with Ledger.open(db, need_keys=False) as ledger:
        doc = inclusion_proof(ledger, _event_id(event_id), tree_size)
        trust = _trusted(ledger, policy, doc["tree_size"])
        if fmt == "tlog-proof":
            _checkpoint, signed = checkpoint_note(ledger, doc["tree_size"])
    if fmt == "tlog-proof":
        stdout.file.write(tlog_proof(doc["leaf_index"], [bytes.fromhex(h) for h in doc["audit_path"]],
                                     signed.encode(), base64.b64decode(doc["leaf"])))
        stdout.file.flush()
    else:
        _fields(doc, fmt)
    _say_trust(trust, fmt)


def _trusted(ledger: Ledger, policy: TrustPolicy, tree_size: int) -> dict[str, Any] | None:
    """Under a pinned policy, the checkpoint of ``tree_size`` must verify with the pinned keys."""
    if not policy.pinned:
        return None
    try:
        checkpoint, signed = checkpoint_at(ledger, tree_size)
    except UsageError:
        raise IntegrityFailure(f"no signed checkpoint of tree size {tree_size}: nothing to check the proof "
                               "against under the pinned keys") from None
    return require_trusted(policy, checkpoint, signed)


def _say_trust(trust: dict[str, Any] | None, fmt: str) -> None:
    if trust is None:
        return
    line = "trusted: " + ", ".join(trust["relied_on"]) + " (pinned)"
    if fmt == "table":
        stdout.print(line, highlight=False, soft_wrap=True)
    else:
        note(line)


@proof.command("consistency")
@click.argument("old_size", type=click.IntRange(min=1), metavar="OLD_SIZE")
@click.argument("new_size", type=click.IntRange(min=1), metavar="NEW_SIZE")
@db_option
@trust_options()
@format_option("table", "json")
def consistency(old_size: int, new_size: int, db: str | None, fmt: str, policy: TrustPolicy) -> None:
    """Prove that the log of OLD_SIZE events is a prefix of the log of NEW_SIZE events.

    Hashes in RFC 6962 order (PROOF(m, D[n])). With --log-key the checkpoint of NEW_SIZE must
    verify under the pinned keys (and so must one of OLD_SIZE, if the store holds one), or exit 1.

    Example: lokikirja proof consistency 1000 2500 --format json
    """
    with Ledger.open(db, need_keys=False) as ledger:
        doc = consistency_proof(ledger, old_size, new_size)
        trust = _trusted(ledger, policy, new_size)
        if trust is not None:  # a pinned policy: the older checkpoint, if stored, must verify too
            try:
                old, old_note = checkpoint_at(ledger, old_size)
            except UsageError:
                old = None
            if old is not None:
                require_trusted(TrustPolicy(policy.log_keys), old, old_note)
    _fields(doc, fmt)
    _say_trust(trust, fmt)


@main.command()
@click.option("--read-model", "read_model", is_flag=True,
              help="Also derive the read model again from the log (in a scratch store) and compare every "
                   "table: deleted, added or altered findings are exit 1. Costs a rebuild.")
@db_option
@trust_options(urls=True)
@format_option("table", "json")
def verify(read_model: bool, db: str | None, fmt: str, policy: TrustPolicy) -> None:
    """Recompute every event's leaf and the root of every signed checkpoint; exit 1 on tampering.

    Names the first bad position, its event and what happened (altered, deleted, moved,
    reordered, inserted, replaced, truncated, forged checkpoint). Needs no private key: the
    public key comes from the store — unless it is pinned: with --log-key (the log's verifier
    key, obtained out of band) the store's key is never trusted; with --witness-key and
    --witnesses K, a quorum of those witnesses must have cosigned, and each witness is asked for
    the newest checkpoint it cosigned (the store must not be older, and its events must hash to
    that root). The verdict names the keys it relied on. Events appended after the latest
    checkpoint are reported as not yet covered and do not fail the check.

    Example: lokikirja verify --log-key "$(cat avi-pinned-log.vkey)" --witness-key "$(cat witness.vkey)"
    """
    derived = None
    with Ledger.open(db, need_keys=False) as ledger:
        events = ledger.max_position()
        indexed = committed_index(ledger)  # the subject index is checked in a second pass over the log
        with progress_bar("verify" + (" (the log, then the subject index)" if indexed else ""),
                          events * (2 if indexed else 1)) as advance:
            report = verify_log(ledger, advance, policy=policy, index_progress=advance)
        if read_model:
            from replay.verify_readmodel import verify_read_model

            with progress_bar("derive the read model", ledger.max_position()) as advance:
                derived = verify_read_model(ledger, advance)
    if fmt == "json":
        doc = report.to_json()
        if derived is not None:
            doc["read_model"] = derived.to_json()
        emit_json(doc)
    else:
        verdict = "OK" if report.ok else "TAMPERING FOUND"
        stdout.print(f"{verdict}: {report.events} events, {report.checkpoints} checkpoint(s) verified", highlight=False)
        if report.first_bad is not None:
            bad = report.first_bad
            stdout.print(f"first bad position: {bad.position}  event: {bad.event or '-'}", highlight=False)
            stdout.print(bad.reason, highlight=False)
        for line in _trust_lines(report.trust or {}):
            stdout.print(line, highlight=False, soft_wrap=True)
        if derived is not None:
            stdout.print(f"read model: {'OK' if derived.ok else 'ALTERED'} ({derived.tables} tables derived again "
                         f"from {derived.facts} facts)" + (f": {derived.difference}" if derived.difference else ""),
                         highlight=False, soft_wrap=True)
    passed = report.ok and (derived is None or derived.ok)
    if passed and fmt != "table" and (report.trust or {}).get("policy") != "pinned":
        note(f"trust: {(report.trust or {}).get('statement', '')}")
    if passed and report.uncovered:
        note(f"{report.uncovered} event(s) appended after the latest checkpoint are not yet covered by a signature; "
             "run `lokikirja checkpoint`")
    if not report.ok and report.first_bad is not None:
        bad = report.first_bad
        where = f"position {bad.position}" if bad.position is not None else "the end of the log"
        raise IntegrityFailure(f"the log was tampered with at {where}: {bad.reason}")
    if derived is not None and derived.difference is not None:
        raise IntegrityFailure(f"the read model was tampered with: {derived.difference}")


def _trust_lines(trust: dict[str, Any]) -> list[str]:
    """The verdict's trust part for people: which keys it relied on."""
    if trust.get("policy") != "pinned":
        return [f"trust: {trust.get('statement', '')}"]
    lines = [f"trust: pinned log key {', '.join(trust['log_keys'])}"]
    if trust.get("witness_keys"):
        witnessed = trust.get("witnessed_size")
        lines.append(f"witnesses: {', '.join(trust['witness_keys'])}; quorum {trust['quorum']}; "
                     + (f"witnessed up to tree size {witnessed}" if witnessed is not None else "nothing witnessed"))
    lines += [f"witness view: {w['witness']} at {w['url']} cosigned tree size {w['tree_size']} at {w['cosigned_at']}"
              for w in trust.get("witnesses_seen", [])]
    lines += [f"note: {n}" for n in trust.get("notes", [])]
    return lines
