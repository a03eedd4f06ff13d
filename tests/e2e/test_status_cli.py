"""``lokikirja status`` through the real CLI on both backends, no server: ok after an ingest,
lagging when facts wait for the followers, stuck (exit 1) once they have waited longer than
--stuck-after without an advance, and ok again once `project` and `checkpoint` moved them."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

from ledger.ingest import ingest_stream
from ledger.store import Ledger
from tests.conftest import Cli
from tests.factories import write_jsonl
from tests.scenarios import EVENTS


def _status(cli: Cli, *args: str, check: int = 0) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(cli("status", "--format", "json", *args, check=check).stdout)
    return doc


def _states(doc: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["state"] for f in doc["followers"]}


def test_status_tells_ok_lagging_and_stuck_on_both_backends(cli: Cli, tmp_path: Path):
    cli("init", check=0)
    cli("ingest", str(write_jsonl(tmp_path / "first.jsonl", EVENTS[:100])), check=0)
    ok = _status(cli)
    assert (ok["status"], _states(ok)) == ("ok", {"views": "ok", "seal": "ok"})
    assert ok["checkpoint"]["tree_size"] == ok["checkpoint"]["sealed_tree_size"] == 100
    assert ok["witnesses"] == []

    with Ledger.open(cli.db, cli.keys) as ledger:  # an ingest that stopped before catching up
        body = "\n".join(json.dumps(e) for e in EVENTS[100:]).encode()
        ingest_stream(ledger, "rest", io.BytesIO(body))
    lagging = _status(cli)
    assert (lagging["status"], _states(lagging)) == ("lagging", {"views": "lagging", "seal": "lagging"})
    assert [f["behind"] for f in lagging["followers"]] == [len(EVENTS) - 100] * 2

    deadline = time.monotonic() + 60
    while (result := cli("status", "--format", "json", "--stuck-after", "1", "--sample", "0.2")).returncode == 0:
        assert time.monotonic() < deadline, result.stdout
    stuck = json.loads(result.stdout)
    assert (result.returncode, stuck["status"], _states(stuck)) == (1, "stuck", {"views": "stuck", "seal": "stuck"})
    assert all(f["stalled_seconds"] >= 1 for f in stuck["followers"])

    cli("project", check=0)  # moves the read model, not the seal
    seal_only = json.loads(cli("status", "--format", "json", "--stuck-after", "1", "--sample", "0", check=1).stdout)
    assert _states(seal_only) == {"views": "ok", "seal": "stuck"}
    cli("checkpoint", check=0)
    table = cli("status", check=0).stdout
    assert "status: ok" in table and "views" in table and "seal" in table
    assert f"checkpoint: tree size {len(EVENTS)} of {len(EVENTS)} sealed" in table
    assert "witnesses: none configured" in table


def test_status_of_a_store_that_does_not_exist_is_one_sentence(cli: Cli, tmp_path: Path):
    result = cli("status", "--db", str(tmp_path / "nowhere.db"), check=2)
    assert result.stderr.startswith("error: no ledger at") and result.stdout == ""
