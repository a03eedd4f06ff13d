"""Evidence bundles v2 through the real command line: a bundle proves its dossier's conclusions
and its completeness, and every edit a new user tried (issue 16) fails with a sentence naming it."""

from __future__ import annotations

import collections
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

Edit = Callable[[dict[str, Any]], None]


def _store(cli: Cli, tmp_path: Path) -> tuple[str, str]:
    """A simulated experiment; returns a customer with a finding the rules recompute (not
    ACCESS_BULK) and one with a decision."""
    cli("init", check=0)
    events = tmp_path / "events.jsonl"
    cli("simulate", "--customers", "150", "--days", "45", "--seed", "11", "--out", str(events),
        "--truth", str(tmp_path / "truth.jsonl"), check=0)
    cli("ingest", str(events), check=0)
    findings = json.loads(cli("findings", "--format", "json", check=0).stdout)
    judged = collections.Counter(f["subject"] for f in findings
                                 if (f["subject"] or "").startswith("c:") and f["rule"] != "ACCESS_BULK")
    deciders = [json.loads(line)["data"]["customer"] for line in events.read_text().splitlines()
                if '"decision.made"' in line]
    return judged.most_common(1)[0][0], deciders[0]


def _bundle(cli: Cli, tmp_path: Path, customer: str, *extra: str) -> dict[str, Any]:
    out = tmp_path / f"{customer.replace(':', '_')}{len(extra)}.json"
    cli("dossier", customer, "--as", "u:appeals-1", "--purpose", "appeal 2026/88", "--format", "bundle",
        "--out", str(out), *extra, check=0)
    return json.loads(out.read_text())


def _verify(cli: Cli, tmp_path: Path, doc: dict[str, Any]) -> Any:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    return cli("verify-bundle", str(path))


def _first(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e for e in doc["dossier"]["timeline"] if e["type"] == kind)


def _drop_event(doc: dict[str, Any]) -> None:
    event = doc["dossier"]["timeline"][1]["event"]
    doc["events"] = [e for e in doc["events"] if e["event"] != event]
    del doc["proofs"][event]
    doc["dossier"]["timeline"] = [e for e in doc["dossier"]["timeline"] if e["event"] != event]


def _drop_finding(doc: dict[str, Any]) -> None:
    entry = next(e for e in doc["dossier"]["timeline"] if set(e["findings"]) - {"ACCESS_BULK"})
    entry["findings"] = [r for r in entry["findings"] if r == "ACCESS_BULK"]


def _forge_index_proof(doc: dict[str, Any]) -> None:
    proof = doc["index"]["subjects"][doc["customer"]]
    proof["positions"] = proof["positions"][:-1]


DECISION_EDITS: dict[str, tuple[Edit, str]] = {
    "a decision's summary": (lambda d: _first(d, "decision.made").update(
        summary=_first(d, "decision.made")["summary"].replace(" in ", " refused in ")), "the summary"),
    "the lawful flag": (lambda d: d["dossier"]["decisions"][0].update(
        lawful=not d["dossier"]["decisions"][0]["lawful"]), "lawful shows"),
    "the responsible organisation": (lambda d: d["dossier"]["responsibility"][0].update(org="area:elsewhere"),
                                     "responsibility shows"),
    "the deciding organisation": (lambda d: d["dossier"]["decisions"][0].update(org="te:elsewhere"), "org shows"),
    "the as-of date": (lambda d: d["dossier"].update(at="2021-01-01T00:00:00+02:00"), "at shows"),
    "a deleted timeline entry": (lambda d: d["dossier"]["timeline"].pop(0), "leaves out event"),
    "a whole event dropped": (_drop_event, "is missing from the bundle"),
    "an index proof missing an event": (_forge_index_proof, "subject index proof of"),
}


def test_bundle_v2_verifies_and_every_edit_fails_naming_what_changed(cli: Cli, tmp_path: Path):
    judged, decided = _store(cli, tmp_path)
    bundle = _bundle(cli, tmp_path, decided)
    assert bundle["format"] == "lokikirja-evidence-bundle/v2"
    ok = _verify(cli, tmp_path, bundle)
    assert ok.returncode == 0, ok.stderr
    assert "complete" in ok.stdout and decided in ok.stdout
    for what, (edit, named) in DECISION_EDITS.items():
        edited = copy.deepcopy(bundle)
        edit(edited)
        result = _verify(cli, tmp_path, edited)
        assert result.returncode == 1, f"{what}: an edited bundle passed\n{result.stdout}"
        assert named in result.stderr, f"{what}: {result.stderr}"
    found = _bundle(cli, tmp_path, judged)
    assert _verify(cli, tmp_path, found).returncode == 0
    _drop_finding(found)
    result = _verify(cli, tmp_path, found)
    assert result.returncode == 1 and "findings shows" in result.stderr, result.stderr


def test_a_bundle_as_of_a_past_date_verifies_and_its_json_says_complete(cli: Cli, tmp_path: Path):
    _judged, decided = _store(cli, tmp_path)
    bundle = _bundle(cli, tmp_path, decided, "--at", "2021-03-20")
    assert bundle["request"]["at"] is not None
    path = tmp_path / "past.json"
    path.write_text(json.dumps(bundle))
    report = json.loads(cli("verify-bundle", str(path), "--format", "json", check=0).stdout)
    assert report["ok"] and report["complete"] and "ACCESS_BULK" in report["not_recomputed"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=False)
def test_a_version_1_bundle_is_still_read(cli: Cli, tmp_path: Path, backend: str):
    _judged, decided = _store(cli, tmp_path)
    bundle = _bundle(cli, tmp_path, decided)
    old = {k: bundle[k] for k in ("customer", "created", "dossier", "checkpoint", "public_key", "key_id", "note")}
    timeline = {e["event"] for e in bundle["dossier"]["timeline"]}
    old |= {"format": "lokikirja-evidence-bundle/v1",
            "events": [e for e in bundle["events"] if e["event"] in timeline],
            "proofs": {k: v for k, v in bundle["proofs"].items() if k in timeline}}
    assert _verify(cli, tmp_path, old).returncode == 0
