"""A person's report that proves itself (issue 16): ``access-log`` and ``subject-report`` say up
to which signed checkpoint they are complete, and with ``--evidence`` write a file that
``verify-report`` checks offline — a view left out, added or changed fails, naming it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.conftest import Cli
from tests.e2e.test_evidence_bundle_v2 import _store


def _report(cli: Cli, tmp_path: Path, command: str, customer: str) -> tuple[dict[str, Any], str]:
    path = tmp_path / f"{command}.json"
    shown = cli(command, "--subject", customer, "--as", "u:dpo-1", "--purpose", "request 2026/14",
                "--evidence", str(path), check=0).stdout
    return json.loads(path.read_text()), shown


def _verify(cli: Cli, tmp_path: Path, doc: dict[str, Any]) -> Any:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc))
    return cli("verify-report", str(path))


def test_an_access_log_proves_its_completeness_and_every_edit_fails(cli: Cli, tmp_path: Path):
    customer, _decided = _store(cli, tmp_path)
    doc, shown = _report(cli, tmp_path, "access-log", customer)
    assert "Complete up to checkpoint" in " ".join(shown.split())
    assert doc["complete_up_to"]["tree_size"] >= 1 and doc["rows"]
    ok = _verify(cli, tmp_path, doc)
    assert ok.returncode == 0 and "complete" in ok.stdout, ok.stderr
    edits = {
        "a view left out": (lambda d: d["rows"].pop(0), "leaves out the view"),
        "an organisation changed": (lambda d: d["rows"][0].update(org="area:elsewhere"), "org shows"),
        "a purpose changed": (lambda d: d["rows"][0].update(purpose="pay_subsidy"), "purpose shows"),
        "a finding removed": (lambda d: next(r for r in d["rows"] if set(r["findings"]) - {"ACCESS_BULK"}).update(
            findings=[]), "findings shows"),
        "the view's event dropped with its proof": (_drop_view, "is missing from the bundle"),
    }
    for what, (edit, named) in edits.items():
        edited = copy.deepcopy(doc)
        edit(edited)
        result = _verify(cli, tmp_path, edited)
        assert result.returncode == 1, f"{what}: an edited report passed"
        assert named in result.stderr, f"{what}: {result.stderr}"


def _drop_view(doc: dict[str, Any]) -> None:
    event = doc["rows"][0]["event"]
    doc["rows"].pop(0)
    doc["events"] = [e for e in doc["events"] if e["event"] != event]
    del doc["proofs"][event]


def test_a_subject_report_proves_itself_and_a_hidden_finding_fails(cli: Cli, tmp_path: Path):
    customer, _decided = _store(cli, tmp_path)
    doc, _shown = _report(cli, tmp_path, "subject-report", customer)
    assert _verify(cli, tmp_path, doc).returncode == 0
    flagged = copy.deepcopy(doc)
    row = next(r for r in flagged["rows"] if r["finding"])
    row["finding"] = False
    result = _verify(cli, tmp_path, flagged)
    assert result.returncode == 1 and "finding shows False" in result.stderr, result.stderr
    shorter = copy.deepcopy(doc)
    shorter["rows"].pop()
    result = _verify(cli, tmp_path, shorter)
    assert result.returncode == 1 and "the proven events hold" in result.stderr
