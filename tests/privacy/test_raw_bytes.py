"""No HETU or name is ever in clear in the store, the read model, a finding or an error message.

The raw bytes are searched, not the API: the SQLite file with its -wal and -shm, or a
``pg_dump`` of the test's schema (where ``bytea`` is hex, so the hex forms are searched too).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import ev, write_jsonl
from tests.privacy.conftest import Run, log_size, sqlite_bytes
from tests.privacy.people import OWN_RECORD_CUSTOMER, people

WHO = ("--as", "u:dpo-1", "--purpose", "request 2026/14")


def _forms(needle: str) -> list[bytes]:
    """How a string can sit in the store: UTF-8, JSON-escaped ASCII, and hex (PostgreSQL bytea)."""
    raw = needle.encode()
    escaped = json.dumps(needle)[1:-1].encode()
    return sorted({raw, escaped, raw.hex().encode(), escaped.hex().encode()})


def _leaks(haystack: bytes, needles: list[str]) -> list[str]:
    return [n for n in needles if any(form in haystack for form in _forms(n))]


def _pg_dump(db_url: str) -> bytes:
    parts = urlsplit(db_url)
    schema = parse_qs(parts.query)["schema"][0]
    command = ["pg_dump", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
               "-U", parts.username or "postgres", "-n", schema, parts.path.lstrip("/")]
    return subprocess.run(command, capture_output=True, check=True, timeout=120).stdout


def _store_bytes(backend: str, db_url: str) -> bytes:
    return sqlite_bytes(db_url) if backend == "sqlite" else _pg_dump(db_url)


def test_no_hetu_or_name_is_in_the_raw_store_findings_or_reports(backend, db_url, cli, run: Run, tmp_path: Path):
    scenario = people(1000)
    cli("ingest", str(write_jsonl(tmp_path / "people.jsonl", scenario.events)), check=0)
    # queries that handle a HETU are recorded too: only its blind index may be stored
    run("access-log", "--hetu", scenario.hetus["c:p0010"], *WHO, "--format", "json")
    report = run("subject-report", "--hetu", scenario.hetus["c:p0011"], *WHO, "--format", "json").json()
    assert report, "the HETU was found through the blind index"
    findings = run("findings", "--format", "json").stdout
    assert any(f["rule"] == "ACCESS_OWN_RECORD" and f["subject"] == OWN_RECORD_CUSTOMER
               for f in json.loads(findings)), "the own-record rule works on blind indexes"

    stored = _store_bytes(backend, db_url)
    assert any(form in stored for form in _forms("c:p0500")), "the search sees the stored facts"
    assert _leaks(stored, scenario.needles) == []
    assert _leaks(findings.encode(), scenario.needles) == []
    assert _leaks(json.dumps(report).encode(), scenario.needles) == []


def test_error_messages_never_repeat_a_hetu_or_a_name(backend, cli, run: Run, tmp_path: Path):
    scenario = people(20, officials=2)
    run("ingest", str(write_jsonl(tmp_path / "good.jsonl", scenario.events)))
    registered = next(e for e in scenario.events if e["type"] == "customer.registered")
    data = registered["data"]
    bad_hetu = data["hetu"][:-1] + ("A" if data["hetu"][-1] != "A" else "B")
    lines = [
        {**registered, "data": {**data, "name": "Väinö Öhmanová"}},                   # same id, other content
        ev("customer.registered", "2021-03-01T06:00:00+02:00", **{**data, "customer": "c:x1", "hetu": bad_hetu}),
        ev("customer.registered", "2021-03-01T06:00:00+02:00", **{**data, "customer": "c:x2",
                                                                    "home_municipality": "91"}),
        ev("customer.registered", "2021-03-01T06:00:00+02:00", **{**data, "customer": "c:x3",
                                                                    "nimi": data["name"]}),
        ev("customer.changed", "2021-03-01T06:00:00+02:00", customer="c:x4", name=17),
        ev("user.registered", "2021-03-01T06:00:00+02:00", user="u:x5", org="keha", main_duties_under_act=True,
           hetu=data["hetu"] + "X"),
    ]
    failed = cli("ingest", str(write_jsonl(tmp_path / "bad.jsonl", lines)), check=2)
    assert failed.stderr.count("bad.jsonl:") >= len(lines)
    needles = [*scenario.needles, bad_hetu, "Väinö Öhmanová", data["hetu"] + "X"]
    assert _leaks((failed.stdout + failed.stderr).encode(), needles) == []
    for command in ("access-log", "subject-report"):
        refused = run(command, "--hetu", bad_hetu, *WHO, check=2)
        assert refused.stderr.strip().count("\n") == 0
        assert _leaks(refused.stderr.encode(), [bad_hetu]) == []
    for command, free_text in (("erase", "--reason"), ("subject-report", "--purpose")):
        refused = run(command, *(("c:p0001",) if command == "erase" else ("--subject", "c:p0001")),
                      "--as", "u:dpo-1", free_text, f"asked by {data['hetu']}", check=2)
        assert "personal identity code" in refused.stderr and _leaks(refused.stderr.encode(), needles) == []


@pytest.mark.parametrize("command", ["access-log", "subject-report"])
def test_a_request_without_as_or_purpose_is_refused_with_one_sentence_and_records_nothing(
        backend, db_url, keys_dir, run: Run, command: str, tmp_path: Path):
    run("ingest", str(write_jsonl(tmp_path / "p.jsonl", people(3, officials=2).events)))
    before = log_size(db_url, keys_dir)
    for args in (("--as", "u:dpo-1"), ("--purpose", "request 2026/14"), ()):
        refused = run(command, "--subject", "c:p0001", *args, check=2)
        assert refused.stderr.strip() and "\n" not in refused.stderr.strip()
    assert log_size(db_url, keys_dir) == before
