"""``verify --read-model`` (issue 17.5): deleting findings from the read model used to leave
``verify`` OK and ``findings`` silent until a rebuild. The read model is now derived again from the
log and compared, on both backends (on PostgreSQL with gaps in the positions)."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.store import Ledger
from tests.conftest import Cli
from tests.factories import write_jsonl
from tests.scenarios import EVENTS
from tests.support.tampering import Attacker


def _ingest(ledger: Ledger, cli: Cli, tmp_path: Path) -> None:
    half = len(EVENTS) // 2
    cli("ingest", str(write_jsonl(tmp_path / "a.jsonl", EVENTS[:half])), check=0)
    if ledger.db.kind == "postgres":
        Attacker(ledger).consume_positions(5)  # a legitimate gap: positions are not leaf numbers there
    cli("ingest", str(write_jsonl(tmp_path / "b.jsonl", EVENTS[half:])), check=0)


def test_an_untouched_read_model_is_what_the_log_derives(ledger: Ledger, cli: Cli, tmp_path: Path):
    _ingest(ledger, cli, tmp_path)
    doc = json.loads(cli("verify", "--read-model", "--format", "json", check=0).stdout)
    assert doc["ok"] is True and doc["read_model"]["ok"] is True and doc["read_model"]["difference"] is None
    assert doc["read_model"]["facts"] == doc["events"]
    assert "read model: OK" in cli("verify", "--read-model", check=0).stdout
    assert "read_model" not in json.loads(cli("verify", "--format", "json", check=0).stdout)


def test_deleted_findings_are_named(ledger: Ledger, cli: Cli, tmp_path: Path):
    _ingest(ledger, cli, tmp_path)
    findings = ledger.db.table("v_findings")
    attacker = Attacker(ledger)
    [(gone,)] = attacker.sql(f"SELECT finding FROM {findings} WHERE rule = 'ACCESS_OWN_RECORD'")
    attacker.sql(f"DELETE FROM {findings} WHERE rule = 'ACCESS_OWN_RECORD'")
    attacker.close()
    assert json.loads(cli("verify", "--format", "json", check=0).stdout)["ok"] is True  # the log is intact
    result = cli("verify", "--read-model", "--format", "json", check=1)
    doc = json.loads(result.stdout)
    assert doc["ok"] is True and doc["read_model"]["ok"] is False
    assert gone in doc["read_model"]["difference"] and "missing from the read model" in doc["read_model"]["difference"]
    assert "read model was tampered with" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_altered_rows_of_other_tables_are_named(ledger: Ledger, cli: Cli, tmp_path: Path):
    _ingest(ledger, cli, tmp_path)
    attacker = Attacker(ledger)
    attacker.sql(f"UPDATE {ledger.db.table('v_views')} SET purpose = 'service_guidance' "
                 "WHERE purpose <> 'service_guidance'")
    attacker.sql(f"UPDATE {ledger.db.table('v_findings')} SET severity = 'low' WHERE rule = 'GRANT_UNAUTHORISED'")
    attacker.close()
    first = json.loads(cli("verify", "--read-model", "--format", "json", check=1).stdout)["read_model"]["difference"]
    assert "GRANT_UNAUTHORISED" in first and "in its severity" in first
    cli("rebuild", check=0)
    assert json.loads(cli("verify", "--read-model", "--format", "json", check=0).stdout)["read_model"]["ok"]
