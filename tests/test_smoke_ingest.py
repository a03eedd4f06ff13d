"""Smoke: ingest through the real CLI on both backends."""

import json

from tests.factories import ev, write_jsonl


def test_ingest_twice_is_idempotent(cli, tmp_path):
    events = [ev("record.viewed", "2022-03-14T09:12:00+02:00", "u:hki-1", subject=f"c:{i}",
                 purpose="service_guidance", categories=["identity"]) for i in range(3)]
    path = write_jsonl(tmp_path / "a.jsonl", events)
    cli("init", check=0)
    first = cli("ingest", str(path), "--format", "json", check=0)
    assert json.loads(first.stdout) == {"ingested": 3, "duplicates": 0}
    again = cli("ingest", str(path), "--format", "json", check=0)
    assert json.loads(again.stdout) == {"ingested": 0, "duplicates": 3}
