"""A person's access report that proves itself: ``access-log`` and ``subject-report`` answers
written with ``--evidence FILE``, which ``lokikirja verify-report FILE`` checks with no database.

``{"format": "lokikirja-person-report/v1", "kind": "access-log"|"subject-report", "customers",
"window": {"since", "until"}, "rows": [the command's JSON rows], "complete_up_to": {…},
"events", "proofs", "index", "checkpoint", "note", "public_key", "key_id"}`` — the evidence part as
in a v2 bundle (``replay/bundle.py``). The checker verifies the checkpoint's signature, every event's
inclusion, that the subject index proves the report holds *every* event of each customer up to
the committed tree size, and then recomputes the rows from the proven records with ``policies``:
a view or decision left out, added or changed is named. ``ACCESS_BULK`` is taken from the rows (it
counts the official's views of other people).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger.checkpoints import commit_subject_index
from ledger.errors import UsageError
from ledger.events import LEDGER_TYPES, Rule
from ledger.private_files import write_private
from ledger.records import StoredFact
from ledger.store import Ledger
from ledger.witnesses import submit
from policies.judge import judgement
from policies.world import InMemoryWorld
from projections.queries import Window
from projections.schema import from_micros, micros
from projections.world import as_fact
from replay.bundle import BundleReport, check_signature, collect_evidence, proven_facts, read_json
from replay.bundle_check import BULK_TAKEN, check_completeness
from replay.trust import TrustPolicy

FORMAT = "lokikirja-person-report/v1"
KINDS = ("access-log", "subject-report")


def completeness(ledger: Ledger) -> dict[str, Any]:
    """Commit the subject index, sign a checkpoint covering it and have the witnesses cosign it:
    what a person's report is complete up to (``tree_size``, ``signed_at``, ``key_id``)."""
    checkpoint = commit_subject_index(ledger)
    submit(ledger)  # the configured witnesses cosign it now (one that is down delays nothing; verifiers say so)
    return {"tree_size": checkpoint["tree_size"], "signed_at": checkpoint["timestamp"],
            "key_id": checkpoint["key_id"], "checkpoint": checkpoint}


def complete_sentence(done: dict[str, Any], customers: Sequence[str]) -> str:
    who = ", ".join(customers) if customers else "this person"
    return (f"Complete up to checkpoint {done['tree_size']} (signed {done['signed_at']}): the subject index committed "
            f"in the signed log proves no event of {who} before it is left out.")


def report_document(ledger: Ledger, *, kind: str, customers: Sequence[str], window: Window,
                    rows: list[dict[str, Any]], done: dict[str, Any]) -> dict[str, Any]:
    """The self-proving report of ``rows`` (already answered), complete up to ``done``."""
    if not customers:
        raise UsageError("the ledger knows no such customer: there is nothing to prove")
    evidence = collect_evidence(ledger, customers, done["checkpoint"])
    return {"format": FORMAT, "kind": kind, "customers": list(customers),
            "window": {"since": _iso(window.since), "until": _iso(window.until)}, "rows": rows,
            "complete_up_to": {k: done[k] for k in ("tree_size", "signed_at", "key_id")}, **evidence}


def write_report(ledger: Ledger, path: Path, **answer: Any) -> None:
    """Write :func:`report_document` to ``path`` (0600: it holds pseudonymous personal data)."""
    write_private(path, json.dumps(report_document(ledger, **answer), ensure_ascii=False, indent=1))


def _iso(value: int | None) -> str | None:
    return None if value is None else from_micros(value).isoformat()


def load_report(path: Path) -> dict[str, Any]:
    doc = read_json(path, "report")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("kind") not in KINDS:
        raise UsageError(f"{path}: not a Lokikirja person report ({FORMAT}); "
                         "write one with `access-log` or `subject-report` and --evidence FILE")
    return doc


def verify_report(doc: dict[str, Any], policy: TrustPolicy | None = None) -> BundleReport:
    """Check a person report offline (see the module docstring)."""
    report = BundleReport()
    checkpoint, signed = check_signature(report, doc, policy or TrustPolicy())
    if checkpoint is None:
        return report
    proven, leaf_of = proven_facts(report, doc, checkpoint)
    customers = [str(c) for c in doc.get("customers") or []]
    report.customer = ", ".join(customers)
    report.complete = check_completeness(report.fail, doc.get("index"), proven, leaf_of, customers,
                                         checkpoint.tree_size)
    try:
        window = doc.get("window") or {}
        since, until = (None if window.get(k) is None else micros(datetime.fromisoformat(window[k]))
                        for k in ("since", "until"))
    except (TypeError, ValueError) as e:
        report.fail(f"the report's window is malformed: {e}")
        return report
    rows = doc.get("rows") if isinstance(doc.get("rows"), list) else []
    expected = _rows(doc["kind"], proven.values(), customers, since, until, rows)
    _compare_rows(report, doc["kind"], rows, expected)
    report.attested = BULK_TAKEN
    if not signed:
        report.proven.clear()
    return report


def _rows(kind: str, facts: Iterable[StoredFact], customers: Sequence[str], since: int | None, until: int | None,
          shown: list[Any]) -> list[dict[str, Any]]:
    facts = [f for f in facts if f.type not in LEDGER_TYPES]
    world = InMemoryWorld(as_fact(f) for f in facts)
    wanted = set(customers)
    bulk = {r.get("event") for r in shown
            if isinstance(r, dict) and Rule.ACCESS_BULK.value in (r.get("findings") or [])}
    mine = [f for f in facts if (since is None or micros(f.at) >= since) and (until is None or micros(f.at) <= until)
            and ((f.type == "record.viewed" and f.data["subject"] in wanted)
                 or (kind == "subject-report" and f.type == "decision.made" and f.data["customer"] in wanted))]
    mine.sort(key=lambda f: (micros(f.at), f.id_text))
    out = []
    for f in mine:
        judged = judgement(as_fact(f), world)
        found = sorted(set(judged.rules) | ({Rule.ACCESS_BULK.value} if f.id_text in bulk else set()))
        org = judged.org
        if kind == "access-log":
            out.append({"event": f.id_text, "at": f.at_text, "user": f.actor, "org": org, "subject": f.data["subject"],
                        "purpose": f.data["purpose"], "categories": f.data["categories"], "findings": found})
        elif f.type == "record.viewed":
            out.append({"at": f.at_text, "org": org, "purpose": f.data["purpose"], "categories": f.data["categories"],
                        "kind": None, "finding": bool(found)})
        else:
            out.append({"at": f.at_text, "org": org, "purpose": None, "categories": None, "kind": f.data["kind"],
                        "finding": bool(found)})
    return out


def _compare_rows(report: BundleReport, kind: str, shown: list[Any], expected: list[dict[str, Any]]) -> None:
    if kind == "access-log":
        by_event = {r.get("event"): r for r in shown if isinstance(r, dict)}
        for want in expected:
            row = by_event.pop(want["event"], None)
            if row is None:
                report.fail(f"the report leaves out the view {want['event']} at {want['at']} by {want['user']}, which "
                            "the proven events hold")
                continue
            for name, value in want.items():
                if row.get(name) != value:
                    report.fail(f"row {want['event']}: {name} shows {row.get(name)!r} but the proven record gives "
                                f"{value!r}")
        for event in by_event:
            report.fail(f"the report shows a view {event} that is not among the person's proven events")
        return
    if len(shown) != len(expected):
        report.fail(f"the report shows {len(shown)} views and decisions but the proven events hold {len(expected)}")
    for i, (row, want) in enumerate(zip(shown, expected, strict=False), 1):
        if not isinstance(row, dict):
            report.fail(f"row {i} is not a row")
            continue
        for name in ("at", "org", "purpose", "categories", "kind", "finding"):
            if name == "finding" and want["kind"] is None and want["finding"] is False and row.get(name) is True:
                continue  # a view flagged for ACCESS_BULK alone: not recomputable here, taken as shown
            if row.get(name) != want[name]:
                report.fail(f"row {i} ({want['at']}): {name} shows {row.get(name)!r} but the proven record gives "
                            f"{want[name]!r}")
