"""What a v2 evidence bundle proves beyond its events' inclusion: that it holds *every* event of
the people and registers it concerns (the subject index), and that the dossier it shows is what the
rules conclude from those events.

The dossier is recomputed from the proven records alone, with the same ``policies`` code the read
model uses (:class:`~policies.world.InMemoryWorld` in place of the database): responsibility,
each event's findings, each decision's acting organisation, competence and lawfulness, as of the
bundle's ``--at`` and ``--known-at``. Two inputs cannot come from one person's events and are
taken from the bundle, bounded and said so: ``ACCESS_BULK`` (it counts the official's views of
*other* people) and the horizon (the latest valid time in the whole log, for a transfer episode
still open); the horizon must lie between the latest proven event and ``--at``.
Personal fields stay ciphertext in the proven records: a summary is compared with its personal
values as wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from ledger.events import LEDGER_TYPES, PERSONAL_FIELDS
from ledger.records import StoredFact
from ledger.subject_index import INDEX_TYPE, ORGANISATIONS, index_keys
from ledger.submap import MapProof, MapProofError, verify_map_proof
from policies.case import judge_customer
from policies.judge import judgement
from policies.localtime import wall_clock
from policies.world import InMemoryWorld
from projections.schema import from_micros, micros
from projections.world import as_fact
from replay.summary import summary

Fail = Callable[[str], None]
_PERSONAL = "\x00personal\x00"
_BULK = "ACCESS_BULK (it counts the official's views of other people, which the evidence does not hold)"
NOT_RECOMPUTED = f"{_BULK} and the log's horizon are taken from the bundle"
BULK_TAKEN = f"{_BULK} is taken from the report"


def needed_keys(customer: str, facts: Iterable[StoredFact]) -> set[str]:
    """The subjects whose complete history a dossier of ``customer`` rests on: the customer, the
    organisation register, every official acting in the customer's events and every employer they
    name."""
    keys = {customer, ORGANISATIONS}
    for f in facts:
        if f.type == "ledger.queried":
            continue
        if f.actor.startswith("u:"):
            keys.add(f.actor)
        if isinstance(employer := f.data.get("employer"), str):
            keys.add(employer)
    return keys


def check_completeness(fail: Fail, index_doc: Any, proven: Mapping[int, StoredFact],
                       leaf_of: Mapping[str, int], customers: Iterable[str], tree_size: int) -> bool:
    """The subject proofs lead to the root committed in the log, and the bundle holds exactly the
    events they list. ``proven``: the proven facts by leaf index; ``leaf_of``: event id → leaf
    index. Returns whether the customers' completeness is proven."""
    if not isinstance(index_doc, dict) or not isinstance(index_doc.get("subjects"), dict):
        fail("the bundle carries no subject index proofs: nothing shows it holds every event of the person")
        return False
    leaf = leaf_of.get(str(index_doc.get("event")), -1)
    committed = proven.get(leaf)
    if committed is None or committed.type != INDEX_TYPE:
        fail("the subject index commitment it refers to is not among the proven events")
        return False
    root, covered = committed.data["root"], committed.data["tree_size"]
    if leaf >= tree_size:
        fail("the subject index commitment is not in the signed checkpoint")
        return False
    ok = True
    keys: dict[str, MapProof] = {}
    for key, raw in index_doc["subjects"].items():
        try:
            proof = MapProof.from_json(raw)
            if proof.key != key:
                raise MapProofError(f"the proof filed under {key} is of {proof.key}")
            if proof.root.hex() != root or proof.tree_size != covered:
                raise MapProofError("it is not against the root committed in the log")
            verify_map_proof(proof)
        except MapProofError as e:
            fail(f"the subject index proof of {key} fails: {e}")
            ok = False
            continue
        keys[key] = proof
    needed: set[str] = set()
    for customer in customers:
        needed |= needed_keys(customer, [f for f in proven.values() if customer in _keys(f)])
    for key in sorted(needed - set(keys)):
        fail(f"the bundle does not prove it holds every event of {key} (no subject index proof)")
        ok = False
    for key, proof in sorted(keys.items()):
        listed = set(proof.positions)
        for leaf in proof.positions:
            fact = proven.get(leaf)
            if fact is None:
                fail(f"the event at position {leaf} of {key} is missing from the bundle (the subject index lists it)")
                ok = False
            elif key not in _keys(fact):
                fail(f"the event at position {leaf} does not name {key}, though the subject index lists it there")
                ok = False
        for leaf, fact in sorted(proven.items()):
            if leaf < covered and leaf not in listed and key in _keys(fact):
                fail(f"event {fact.id_text} at position {leaf} names {key} but the subject index does not list it")
                ok = False
    return ok


def _keys(fact: StoredFact) -> set[str]:
    return index_keys(fact.type, fact.data)


def recompute(customer: str, facts: Iterable[StoredFact], *, at: int | None, known_at: int | None,
              horizon: datetime | None, bulk: set[str]) -> dict[str, Any]:
    """The dossier's conclusions from proven facts (see the module docstring): ``at`` µs since
    the epoch, ``known_at`` a log position, ``bulk`` the views the bundle says ``ACCESS_BULK`` fired on."""
    within = [f for f in facts if f.type != INDEX_TYPE and (at is None or micros(f.at) <= at)
              and (known_at is None or (f.position or 0) <= known_at)]
    world = InMemoryWorld(as_fact(f) for f in within if f.type not in LEDGER_TYPES)
    timeline = [f for f in within if customer in _keys(f) and f.type != "ledger.queried"]
    case = judge_customer(customer, [as_fact(f) for f in timeline], world, horizon=horizon, bulk=bulk)
    found, history = case.findings, case.history
    by_id = {f.id_text: f for f in within}
    shown = {f.id_text for f in timeline}
    missing = sorted(e for e in found if e not in shown and e not in by_id)
    timeline += [by_id[e] for e in found if e not in shown and e in by_id]
    timeline.sort(key=lambda f: (micros(f.at), f.id_text))
    decisions = []
    for f in timeline:
        if f.type == "decision.made":
            judged = case.judgements.get(f.id_text) or judgement(as_fact(f), world)
            outcome = judged.decision
            assert outcome is not None  # every decision.made is judged for competence
            decisions.append({"decision": f.data["decision"], "kind": f.data["kind"], "org": outcome.org,
                              "competent": outcome.competent, "lawful": outcome.lawful})
    intervals = [] if history is None else [{"org": org, "from": _iso(a), "to": _iso(b)}
                                            for org, a, b in history.responsibility_intervals()]
    return {"customer": customer, "at": _iso(horizon) if at is None else _iso(from_micros(at)),
            "responsibility": intervals, "timeline": timeline, "findings": found, "decisions": decisions,
            "missing": missing}


def _iso(t: datetime | None) -> str | None:
    return None if t is None else wall_clock(t).isoformat()


def compare(fail: Fail, shown: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    """Field by field, what the bundle's dossier shows against what its proven events give."""
    for event in expected["missing"]:
        fail(f"a finding falls on event {event}, which the bundle does not hold")
    for name in ("customer", "at"):
        if shown.get(name) != expected[name]:
            fail(f"the dossier's {name} shows {shown.get(name)!r} but the proven events give {expected[name]!r}")
    if shown.get("responsibility") != expected["responsibility"]:
        fail(f"the dossier's responsibility shows {_brief(shown.get('responsibility'))} but the proven events give "
             f"{_brief(expected['responsibility'])}")
    _compare_timeline(fail, shown.get("timeline") or [], expected)
    _compare_decisions(fail, shown.get("decisions") or [], expected["decisions"])


def _brief(intervals: Any) -> str:
    if not isinstance(intervals, list):
        return repr(intervals)
    return "; ".join(f"{i.get('org')} {i.get('from')}–{i.get('to') or 'now'}" for i in intervals if isinstance(i, dict))


def _compare_timeline(fail: Fail, shown: list[Any], expected: Mapping[str, Any]) -> None:
    facts: list[StoredFact] = expected["timeline"]
    entries = {e.get("event"): e for e in shown if isinstance(e, dict)}
    wanted = {f.id_text for f in facts}
    for f in facts:
        if f.id_text not in entries:
            fail(f"the dossier leaves out event {f.id_text} ({f.type} at {f.at_text}), which the proven events hold")
    for event in entries:
        if event not in wanted:
            fail(f"the dossier shows event {event}, which is not among the customer's proven events as of its date")
    if [e for e in entries if e in wanted] != [f.id_text for f in facts if f.id_text in entries]:
        fail("the dossier's timeline is not in the order of the events' valid time")
    for f in facts:
        entry = entries.get(f.id_text)
        if entry is None:
            continue
        truth = {"type": f.type, "at": f.at_text, "recorded_at": f.recorded_text, "actor": f.actor,
                 "findings": sorted(set(expected["findings"].get(f.id_text, [])))}
        for name, value in truth.items():
            if entry.get(name) != value:
                fail(f"timeline entry {f.id_text}: {name} shows {entry.get(name)!r} but the proven record gives "
                     f"{value!r}")
        if not _summary_matches(f, entry.get("summary")):
            fail(f"timeline entry {f.id_text}: the summary {entry.get('summary')!r} is not what the proven record says "
                 f"({_summary_of(f).replace(_PERSONAL, '…')!r})")


def _summary_of(f: StoredFact) -> str:
    personal = PERSONAL_FIELDS.get(f.type, ())
    return summary(f.type, {k: _PERSONAL if k in personal else v for k, v in f.data.items()})


def _summary_matches(f: StoredFact, shown: Any) -> bool:
    if not isinstance(shown, str):
        return False
    pattern = ".*".join(re.escape(part) for part in _summary_of(f).split(_PERSONAL))
    return re.fullmatch(pattern, shown, flags=re.DOTALL) is not None


def _compare_decisions(fail: Fail, shown: list[Any], expected: list[dict[str, Any]]) -> None:
    entries = {d.get("decision"): d for d in shown if isinstance(d, dict)}
    for want in expected:
        entry = entries.pop(want["decision"], None)
        if entry is None:
            fail(f"the dossier leaves out decision {want['decision']}")
            continue
        for name in ("kind", "org", "competent", "lawful"):
            if entry.get(name) != want[name]:
                fail(f"decision {want['decision']}: {name} shows {entry.get(name)!r} but the proven events give "
                     f"{want[name]!r}")
    for decision in entries:
        fail(f"the dossier shows decision {decision}, which is not among the proven events")
