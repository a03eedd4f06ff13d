"""The dispute dossier: judged by each event's own moment, replayable as of a valid time and as
known at a log position, with an inclusion proof for every event listed."""

from __future__ import annotations

import base64
import io
import json
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

import orjson
import pytest

from ledger import merkle
from ledger.checkpoints import commit_subject_index
from ledger.errors import IntegrityFailure
from ledger.ingest import ingest_stream
from ledger.records import canonical_json
from ledger.store import Ledger
from projections.schema import micros
from replay.bounded import Bounds
from replay.bundle import build_bundle, build_bundle_v1, proof_statuses, verify_bundle
from replay.dossier import build_dossier
from service.pipeline import after_append
from tests.factories import ev, event_id, hetu, write_jsonl
from tests.scenarios import EVENTS, KEY_OF
from tests.support.tampering import Attacker

WHO = ("--as", "u:appeals-1", "--purpose", "appeal 2026/88")


def _ingest(ledger: Ledger, events: list[dict]) -> None:
    data = "".join(json.dumps(e) + "\n" for e in events).encode()
    report = ingest_stream(ledger, "events", io.BytesIO(data))
    after_append(ledger, report.ingested)


def test_a_decision_lawful_when_made_stays_lawful_after_the_customer_moved_away(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    doc = json.loads(cli("dossier", "c:a1", *WHO, "--format", "json", check=0).stdout)
    assert set(doc) == {"customer", "at", "responsibility", "timeline", "decisions", "checkpoint", "proofs"}
    assert [r["org"] for r in doc["responsibility"]] == ["te:uusimaa", "area:helsinki", "area:espoo"]
    decisions = {d["decision"]: d for d in doc["decisions"]}
    made = decisions["d:d-ok"]               # start-up grant by Helsinki in April, before the move to Espoo
    assert (made["org"], made["competent"], made["lawful"]) == ("area:helsinki", "area:helsinki", True)
    wrong = decisions["d:d-pay-city-by-area"]   # the area may not subsidise itself
    assert (wrong["competent"], wrong["lawful"]) == ("a TE office", False)
    assert decisions["d:d-pay-city-by-te"]["lawful"] is True
    assert "Asiakas c:a1" in next(e["summary"] for e in doc["timeline"] if e["type"] == "customer.registered")
    swedish = json.loads(cli("dossier", "c:a5", *WHO, "--format", "json", check=0).stdout)
    in_language = {d["decision"]: d["lawful"] for d in swedish["decisions"]}
    assert in_language == {"d:d-lang-sv-ok": True, "d:d-lang-fi": False}  # a Swedish speaker answered in Finnish


def test_the_html_dossier_is_written_in_the_language_asked_for(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    finnish = cli("dossier", "c:a1", *WHO, "--format", "html", check=0).stdout
    assert '<html lang="fi">' in finnish and "Vastuu asiakkaasta" in finnish and "TE-toimisto" in finnish
    assert "Palkkatuki" in finnish and "klo" in finnish  # a decision kind's label, a time in Finnish form
    swedish = cli("dossier", "c:a1", *WHO, "--format", "html", "--lang", "sv", check=0).stdout
    assert '<html lang="sv">' in swedish and "Ansvar för kunden" in swedish and "Lönesubvention" in swedish
    assert " kl. " in swedish and "pay_subsidy" in swedish  # the raw kind stays in small print


def test_the_dossier_names_the_same_findings_as_the_read_model(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    findings = json.loads(cli("findings", "--subject", "c:a1", "--format", "json", check=0).stdout)
    doc = json.loads(cli("dossier", "c:a1", *WHO, "--format", "json", check=0).stdout)
    from_dossier = {(e["event"], r) for e in doc["timeline"] for r in e["findings"]}
    assert {(f["event"], f["rule"]) for f in findings} <= from_dossier
    assert len(from_dossier) == len({(f["event"], f["rule"]) for f in findings})


def test_every_event_listed_has_an_inclusion_proof_under_the_signed_checkpoint(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    doc = json.loads(cli("dossier", "c:a5", *WHO, "--format", "json", check=0).stdout)
    root = bytes.fromhex(doc["checkpoint"]["root_hash"])
    assert set(doc["proofs"]) == {e["event"] for e in doc["timeline"]}
    for proof in doc["proofs"].values():
        leaf_hash = merkle.leaf_hash(base64.b64decode(proof["leaf"]))
        assert leaf_hash.hex() == proof["leaf_hash"]
        merkle.verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf_hash,
                                [bytes.fromhex(h) for h in proof["audit_path"]], root)


def test_as_of_a_valid_time_equals_a_ledger_that_only_ever_held_the_facts_up_to_then(ledger, tmp_path, request):
    cutoff = "2021-05-11T00:00:00+03:00"
    _ingest(ledger, EVENTS)
    bounded = build_dossier(ledger, "c:a1", Bounds(at=micros(datetime.fromisoformat(cutoff))))
    from tests.conftest import fresh_db_url

    early = [e for e in EVENTS if datetime.fromisoformat(e["at"]) <= datetime.fromisoformat(cutoff)]
    with Ledger.init(fresh_db_url(ledger.target.kind, tmp_path, request), tmp_path / "keys2")[0] as past:
        _ingest(past, early)
        replayed = build_dossier(past, "c:a1")
    strip = lambda doc: [(e["event"], e["findings"]) for e in doc["timeline"]]  # noqa: E731
    assert strip(bounded) == strip(replayed)
    assert bounded["responsibility"] == replayed["responsibility"]
    assert bounded["decisions"] == replayed["decisions"]
    assert [r["org"] for r in bounded["responsibility"]] == ["te:uusimaa", "area:helsinki"]


def test_as_known_at_a_position_shows_what_the_late_transfer_changed(ledger):
    late = [e for e in EVENTS if KEY_OF[e["id"]] == "to-hki-a1"]
    _ingest(ledger, [e for e in EVENTS if e not in late])
    known_before = ledger.max_position()
    _ingest(ledger, late)
    then = build_dossier(ledger, "c:a1", Bounds(position=known_before))
    now = build_dossier(ledger, "c:a1")
    view = event_id("v-ok")
    rules_then = next(e["findings"] for e in then["timeline"] if e["event"] == view)
    rules_now = next(e["findings"] for e in now["timeline"] if e["event"] == view)
    assert "ACCESS_OUTSIDE_OWN_CUSTOMERS" in rules_then        # before the transfer was recorded
    assert "ACCESS_OUTSIDE_OWN_CUSTOMERS" not in rules_now


def test_bulk_viewing_is_named_by_each_views_own_moment_and_what_was_known(ledger):
    def view(customer: int, minute: int) -> dict:
        return ev("record.viewed", f"2022-03-14T10:{minute:02d}:00+02:00", "u:browser", key=f"bulk-{customer}",
                  subject=f"c:b{customer}", purpose="service_guidance", categories=["identity"])

    # 49 distinct customers by 10:49, the 49th being c:b0; the 50th view, recorded later, is stamped 10:10
    registered = ev("customer.registered", "2022-03-01T09:00:00+02:00", customer="c:b0", hetu=hetu(date(1990, 5, 17)),
                    org="te:uusimaa", home_municipality="091", birth_date="1990-05-17",
                    earnings_related_eligible=True, immigrant_or_foreign_language=False, language="fi")
    _ingest(ledger, [registered, view(0, 49), *(view(i, i) for i in range(1, 49))])
    known_before = ledger.max_position()
    _ingest(ledger, [view(49, 10)])

    def bulk(bounds: Bounds = Bounds()) -> list[str]:
        doc = build_dossier(ledger, "c:b0", bounds)
        return [rule for e in doc["timeline"] if e["event"] == event_id("bulk-0") for rule in e["findings"]]

    assert "ACCESS_BULK" in bulk()                                  # the view at 10:49 made it 50
    assert "ACCESS_BULK" not in bulk(Bounds(position=known_before))  # before the 10:10 view was recorded
    assert "ACCESS_BULK" in bulk(Bounds(at=micros(datetime.fromisoformat("2022-03-14T10:49:00+02:00"))))
    assert bulk(Bounds(at=micros(datetime.fromisoformat("2022-03-14T10:48:59+02:00")))) == []


@pytest.mark.parametrize("args", [("dossier", "c:a1"), ("dossier", "c:a1", "--as", "u:x"),
                                  ("dossier", "u:x", *WHO), ("dossier", "c:nobody", *WHO)])
def test_refusals_are_usage_errors(cli, tmp_path: Path, args):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS[:10])), check=0)
    result = cli(*args, check=2)
    assert result.stderr.strip() and "Traceback" not in result.stderr


def test_an_evidence_bundle_verifies_offline_and_any_change_is_caught(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    bundle = tmp_path / "evidence.json"
    cli("dossier", "c:a1", *WHO, "--format", "bundle", "--out", str(bundle), check=0)
    ok = cli("verify-bundle", str(bundle), "--format", "json", env={"LOKIKIRJA_DB": "/nonexistent/x.db"}, check=0)
    assert json.loads(ok.stdout)["ok"] is True
    doc = json.loads(bundle.read_text())
    state = bytearray(base64.b64decode(doc["events"][3]["state"]))
    state[-5] ^= 1
    doc["events"][3]["state"] = base64.b64encode(bytes(state)).decode()
    bundle.write_text(json.dumps(doc))
    bad = cli("verify-bundle", str(bundle), check=1)
    assert doc["events"][3]["event"] in bad.stderr


def test_each_events_verification_status_names_the_one_altered_after_sealing(ledger: Ledger):
    _ingest(ledger, EVENTS)
    doc = build_dossier(ledger, "c:a6")
    assert set(proof_statuses(ledger, doc).values()) == {"proven"}
    victim = doc["timeline"][1]["event"]
    attacker = Attacker(ledger)
    try:
        position = ledger.facts_by_id([UUID(victim)])[UUID(victim)].position
        record = orjson.loads(attacker.row(position)[1])
        record["actor"] = "u:someone-else"
        attacker.set_state(position, canonical_json(record))
    finally:
        attacker.close()
    with pytest.raises(IntegrityFailure, match=f"stored event {victim} no longer matches its seal"):
        build_dossier(ledger, "c:a6")  # the contract's dossier has a proof for every event, or is refused
    unproven: dict[str, str] = {}
    doc = build_dossier(ledger, "c:a6", unproven=unproven)
    assert set(unproven) == {victim} and victim not in doc["proofs"]
    statuses = proof_statuses(ledger, doc, unproven)
    assert "no longer matches its seal" in statuses.pop(victim)
    assert set(statuses.values()) == {"proven"}
    assert not verify_bundle(build_bundle_v1(ledger, doc)).ok  # the events' proofs alone
    commit_subject_index(ledger)
    doc = build_dossier(ledger, "c:a6", unproven={})
    with pytest.raises(IntegrityFailure, match=f"stored event {victim} no longer matches its seal"):
        build_bundle(ledger, doc)  # a complete bundle (v2) of a tampered store is refused


def test_as_known_at_a_date_and_time_on_the_command_line(cli, tmp_path: Path):
    cli("init", check=0)
    cli("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0)
    who = ("--as", "u:appeals-1", "--purpose", "appeal 2026/88")
    everything = json.loads(cli("dossier", "c:a1", *who, "--format", "json", check=0).stdout)
    now = datetime.now().astimezone().isoformat()
    known = json.loads(cli("dossier", "c:a1", *who, "--known-at-time", now, "--format", "json", check=0).stdout)
    assert [e["event"] for e in known["timeline"]] == [e["event"] for e in everything["timeline"]]
    before = cli("dossier", "c:a1", *who, "--known-at-time", "2021-01-01T12:00", check=2)
    assert "knows nothing of c:a1 within the given bounds" in before.stderr
    both = cli("dossier", "c:a1", *who, "--known-at", "3", "--known-at-time", now, check=2)
    assert "not both" in both.stderr
