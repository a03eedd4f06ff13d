"""A server and `lokikirja ingest` on one store at once (ADR 0008): the server keeps its
followers (and their history cache) for its whole life, so a page another process applied must
make it read on, not re-apply or judge from a stale cache. The findings it answers are those of
ingesting every fact one after another."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import Cli, fresh_db_url
from tests.http.conftest import store_url
from tests.http.harness import start_server


def _pairs(findings: list[dict]) -> list[tuple[str, str]]:
    return sorted((f["event"], f["rule"]) for f in findings)


def test_findings_over_http_while_the_cli_ingests_beside_the_server(backend: str, tmp_path: Path,
                                                                   request: pytest.FixtureRequest):
    source = tmp_path / "events.jsonl"
    subprocess.run([sys.executable, "-m", "service", "simulate", "--customers", "200", "--days", "15", "--seed", "9",
                    "--out", str(source)], check=True, capture_output=True)
    lines = source.read_text().splitlines()
    over_http, by_cli, late = lines[0::3], lines[1::3], lines[2::3]
    (tmp_path / "cli.jsonl").write_text("\n".join(by_cli) + "\n")

    sequential = Cli(fresh_db_url(backend, tmp_path, request), tmp_path / "keys-sequential", tmp_path)
    sequential("ingest", str(source), check=0)
    expected = _pairs(json.loads(sequential("findings", "--format", "json", check=0).stdout))

    server = start_server(store_url(backend, request, tmp_path / "served"), tmp_path / "server")
    try:
        def post(batch_lines: list[str]) -> None:
            with server.client("ingest") as client:
                for i in range(0, len(batch_lines), 200):
                    body = "\n".join(batch_lines[i : i + 200]) + "\n"
                    response = client.post("/v1/events", content=body,
                                           headers={"Content-Type": "application/x-ndjson"})
                    assert response.status_code == 200, response.text

        poster = threading.Thread(target=post, args=(over_http,))
        poster.start()
        result = server.cli("ingest", str(tmp_path / "cli.jsonl"))
        poster.join()
        assert result.returncode == 0, result.stderr
        post(late)  # the server's followers read on after the pages the CLI applied

        with server.client("avi") as client:
            answered = client.get("/v1/findings").json()
        assert _pairs(answered) == expected
        assert server.cli("verify").returncode == 0
    finally:
        server.stop()
