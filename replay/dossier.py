"""The dispute dossier of one customer: what was known, who was responsible and who was competent,
at the moment of each event — with a signed checkpoint and an inclusion proof for every event.

``build_dossier`` judges the customer's events with a :class:`~replay.bounded.BoundedWorld`
(facts with ``at ≤ --at`` and, with ``--known-at``, ``position ≤ P``) through ``policies`` — the
rules of the read model, not a copy of them. Personal data is shown decrypted unless erased.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.checkpoints import inclusion_proofs, latest_checkpoint
from ledger.collector import collector_paused
from ledger.db import Cursor
from ledger.errors import UnknownSubject
from ledger.events import Rule
from ledger.privacy import personal_subject, reveal
from ledger.records import StoredFact
from ledger.store import Ledger
from policies import monitoring
from policies.case import judge_customer
from policies.judge import Judgement
from policies.localtime import wall_clock
from projections import queries
from projections.schema import from_micros, micros
from projections.world import as_fact
from replay.bounded import BoundedWorld, Bounds
from replay.summary import summary


def _positions(ledger: Ledger, cur: Cursor, customer: str, bounds: Bounds) -> list[int]:
    extra, params = bounds.sql()
    db, out = ledger.db, set()
    for table, column in (("v_customer_facts", "customer"), ("v_views", "subject"), ("v_decisions", "customer"),
                          ("v_others", "customer")):
        out.update(position for (position,) in cur.execute(
            f"SELECT position FROM {db.table(table)} WHERE {column} = %s{extra}", [customer, *params]))
    # the erasure of the customer's personal data (its valid time is checked on the fact itself)
    out.update(position for (position,) in cur.execute(
        f"SELECT position FROM {db.table('v_erased')} WHERE customer = %s"
        + (" AND position <= %s" if bounds.position is not None else ""),
        [customer] + ([bounds.position] if bounds.position is not None else [])))
    return sorted(out)


def last_position(ledger: Ledger, customer: str) -> int:
    """The log position of the customer's latest fact (0: none): a checkpoint covering it proves
    every event a dossier of the customer lists."""
    with ledger.db.read() as cur:
        return max(_positions(ledger, cur, customer, Bounds()), default=0)


def _bulk(ledger: Ledger, cur: Cursor, views: list[StoredFact], bounds: Bounds) -> set[str]:
    """Views on which ACCESS_BULK fires, over each viewer's views within bounds (only the
    timeline's own views are read: :func:`policies.case.judge_customer`).

    A view's bulk state depends only on the same user's earlier views, so a bound on valid time
    alone changes nothing for the views within it: the read model's findings answer, however many
    views their users made. Bounded by what was known (a log position), later-recorded views are
    left out and the rule is run again over each viewer's views within bounds."""
    if bounds.position is None:
        return _stored_bulk(ledger, cur, views)
    fired: set[str] = set()
    extra, params = bounds.sql()
    for user in sorted({f.actor for f in views if f.actor.startswith("u:")}):
        rows = cur.execute(f"SELECT at, event, subject FROM {ledger.db.table('v_views')} WHERE usr = %s{extra} "
                           "ORDER BY at, event", [user, *params]).fetchall()
        seq = [monitoring.BulkView(at=from_micros(at), event=e, subject=s) for at, e, s in rows]
        fired.update(v.event for v, st in zip(seq, monitoring.bulk_states(seq), strict=True) if st.triggered)
    return fired


def _stored_bulk(ledger: Ledger, cur: Cursor, views: list[StoredFact]) -> set[str]:
    found = queries.findings_by_event(ledger.db, cur, [f.id_text for f in views])
    return {event for event, rules_ in found.items() if Rule.ACCESS_BULK.value in rules_}


def _iso(t: datetime | None) -> str | None:
    return None if t is None else wall_clock(t).isoformat()


def build_dossier(ledger: Ledger, customer: str, bounds: Bounds = Bounds(), *,
                  unproven: dict[str, str] | None = None) -> dict[str, Any]:
    """The dossier of ``customer`` within ``bounds`` (CONTRACT §6 ``dossier`` JSON). An event that
    cannot be proven included (altered after sealing) raises — or, with ``unproven``, goes without
    a proof and is noted there with the reason. Built with the cycle collector paused
    (``ledger.collector``): its walks were a third of the slowest builds."""
    with collector_paused():
        return _build(ledger, customer, bounds, unproven)


def _build(ledger: Ledger, customer: str, bounds: Bounds, unproven: dict[str, str] | None) -> dict[str, Any]:
    with ledger.db.read() as cur:
        world = BoundedWorld(ledger.db, cur, bounds)
        history = world.customer(customer)
        positions = _positions(ledger, cur, customer, bounds)
        if history is None and not positions:
            raise UnknownSubject(f"the ledger knows nothing of {customer}" +
                                 ("" if bounds.unbounded else " within the given bounds"))
        facts = [f for f in ledger.facts_at(positions) if bounds.at is None or micros(f.at) <= bounds.at]
        world.preload(facts)
        horizon = world.horizon()
        case = judge_customer(customer, [as_fact(f) for f in facts], world, horizon=horizon,
                              bulk=_bulk(ledger, cur, [f for f in facts if f.type == "record.viewed"], bounds))
        findings = case.findings
        extra = sorted(set(findings) - {f.id_text for f in facts})
        facts += list(ledger.facts_by_id([UUID(e) for e in extra]).values())
        facts.sort(key=lambda f: (micros(f.at), f.id_text))  # integers compare faster than aware times
        decisions = [_decision(f, case.judgements[f.id_text]) for f in facts if f.type == "decision.made"]
    return _document(ledger, customer, bounds, horizon, history, facts, findings, decisions, unproven)


def _decision(fact: StoredFact, judged: Judgement) -> dict[str, Any]:
    """A decision as the dossier lists it (:attr:`policies.judge.Judgement.decision`)."""
    outcome = judged.decision
    assert outcome is not None  # every decision.made is judged for competence
    return {"decision": fact.data["decision"], "kind": fact.data["kind"], "org": outcome.org,
            "competent": outcome.competent, "lawful": outcome.lawful, "rule_set": outcome.rule_set,
            "event": str(fact.id)}


def _document(ledger: Ledger, customer: str, bounds: Bounds, horizon: datetime | None, history: Any,
              facts: list[StoredFact], findings: dict[str, list[str]],
              decisions: list[dict[str, Any]], unproven: dict[str, str] | None) -> dict[str, Any]:
    subjects = {s for f in facts if (s := personal_subject(f.type, f.data))}
    with ledger.db.read() as cur:
        keys = ledger.data_keys.for_reading(cur, subjects) if subjects else {}
    timeline = [{"event": (event := f.id_text), "type": f.type, "at": f.at_text,
                 "recorded_at": f.recorded_text, "actor": f.actor,
                 "summary": summary(f.type, reveal(f.type, event, f.data, keys)),
                 "findings": sorted(set(findings.get(event, [])))} for f in facts]
    checkpoint = latest_checkpoint(ledger)
    covered = [f.id for f in facts if checkpoint is not None]
    failed: dict[UUID, str] | None = None if unproven is None else {}
    proofs = inclusion_proofs(ledger, covered, checkpoint.tree_size, unproven=failed) if covered and checkpoint else {}
    if unproven is not None and failed:
        unproven.update({str(uid): why for uid, why in failed.items()})
    intervals = [] if history is None else [
        {"org": org, "from": _iso(start), "to": _iso(end)} for org, start, end in history.responsibility_intervals()]
    return {"customer": customer, "at": _iso(horizon) if bounds.at is None else _iso(from_micros(bounds.at)),
            "responsibility": intervals, "timeline": timeline,
            "decisions": [{k: d[k] for k in ("decision", "kind", "org", "competent", "lawful")} for d in decisions],
            "checkpoint": None if checkpoint is None else checkpoint.to_json(),
            "proofs": {str(uid): proof for uid, proof in proofs.items()}}

