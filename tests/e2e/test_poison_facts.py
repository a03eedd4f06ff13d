"""A store that already holds facts at the edges of time (written before ingest checked valid
time, or by a range configured wide) keeps working: ingest, findings, rebuild, reports, dossier
and access history all answer, on both backends (issue 17, item 1: the read model is total)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ledger.ingest import ingest_stream
from ledger.store import Ledger
from ledger.validtime import ValidTime
from tests.conftest import Cli
from tests.factories import ev, write_jsonl
from tests.scenarios import EVENTS, PRIVATE_EMPLOYER

EVERY_TIME = ValidTime(datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC), timedelta.max)
"""No valid-time check at all: how the ledger ingested before it had one."""

POISON = [
    ev("record.viewed", "9999-12-31T23:59:59Z", "u:hki-1", subject="c:a1", purpose="service_guidance",
       categories=["identity"]),
    ev("record.viewed", "0001-01-01T00:00:00Z", "u:hki-1", subject="c:a1", purpose="service_guidance",
       categories=["identity"]),
    ev("record.viewed", "0001-01-01T01:30:00+01:30", "u:te-1", subject="c:a2", purpose="service_guidance",
       categories=["identity"]),
    ev("customer.transferred", "9999-12-31T12:00:00Z", customer="c:a1", to="area:helsinki", reason="correction",
       from_="area:espoo"),
    ev("decision.made", "9999-12-31T23:00:00Z", "u:hki-1", decision="d:far", kind="pay_subsidy", customer="c:a1",
       employer=PRIVATE_EMPLOYER, outcome="granted", language="fi"),
]


def store_unchecked(db: str, keys: Path, events: list[dict]) -> None:
    """Append ``events`` as the ledger did before it checked valid time (nothing catches up)."""
    body = "".join(json.dumps(e) + "\n" for e in events).encode()
    with Ledger.open(db, keys) as ledger:
        ingest_stream(ledger, "legacy", io.BytesIO(body), valid_time=EVERY_TIME)


def test_facts_at_the_edges_of_time_stop_nothing(cli: Cli, tmp_path: Path) -> None:
    cli("init", check=0)
    cli("ingest", str(write_jsonl(tmp_path / "scenario.jsonl", EVENTS)), check=0)
    store_unchecked(cli.db, cli.keys, POISON)
    later = ev("record.viewed", "2022-01-10T10:00:00+02:00", "u:hki-1", subject="c:a1",
               purpose="service_guidance", categories=["identity"])
    assert json.loads(cli("ingest", str(write_jsonl(tmp_path / "later.jsonl", [later])), "--format", "json",
                          check=0).stdout) == {"ingested": 1, "duplicates": 0}
    findings = json.loads(cli("findings", "--format", "json", check=0).stdout)
    assert {f["event"] for f in findings} >= {POISON[0]["id"], POISON[1]["id"]}
    cli("rebuild", check=0)
    assert json.loads(cli("findings", "--format", "json", check=0).stdout) == findings
    for args in (("supervision", "--format", "json"), ("monitoring", "--format", "json"),
                 ("access-log", "--user", "u:hki-1", "--as", "u:dpo-1", "--purpose", "audit 2026/1"),
                 ("dossier", "c:a1", "--as", "u:dpo-1", "--purpose", "appeal 2026/2", "--format", "json"),
                 ("dossier", "c:a1", "--at", "2022-01-10", "--as", "u:dpo-1", "--purpose", "appeal 2026/2"),
                 ("subject-report", "--subject", "c:a1", "--as", "u:dpo-1", "--purpose", "request 2026/3",
                  "--format", "json"),
                 ("verify",)):
        cli(*args, check=0)
