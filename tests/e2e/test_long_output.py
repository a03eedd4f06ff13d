"""Long answers are streamed: the JSON is the same as a whole list's, and a reader that stops
early (``… | head``) ends the command quietly, on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import ev, write_jsonl

WHO = ("--as", "u:dpo-1", "--purpose", "bulk review 2026/3")


def _many_views(n: int) -> list[dict]:
    # a user of no registration viewing at night: every view has findings, every row is long
    return [ev("record.viewed", f"2022-03-{1 + i % 28:02d}T23:{i % 60:02d}:00+02:00", "u:night-owl",
               key=f"long-{i}", subject=f"c:n{i}", purpose="service_guidance", categories=["identity", "health"])
            for i in range(n)]


def test_findings_and_access_log_json_are_whole_lists(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "views.jsonl", _many_views(300))), check=0)
    findings = json.loads(cli("findings", "--format", "json", check=0).stdout)
    assert len(findings) == 300 * 4  # without right, excess categories, off hours, unknown references
    assert findings == sorted(findings, key=lambda f: (f["at"], f["event"], f["rule"]))
    views = json.loads(cli("access-log", "--user", "u:night-owl", *WHO, "--format", "json", check=0).stdout)
    assert [v["subject"] for v in views] == [v["subject"] for v in sorted(views, key=lambda v: (v["at"], v["event"]))]
    assert len(views) == 300


def test_a_reader_that_stops_early_ends_the_command_quietly(cli, tmp_path: Path):
    cli("ingest", str(write_jsonl(tmp_path / "views.jsonl", _many_views(1500))), check=0)
    env = {**os.environ, "LOKIKIRJA_DB": cli.db, "LOKIKIRJA_KEYS": str(cli.keys)}
    for args in (("findings", "--format", "json"), ("findings", "--format", "csv"),
                 ("access-log", "--user", "u:night-owl", *WHO, "--format", "json")):
        with subprocess.Popen([sys.executable, "-m", "service", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, cwd=tmp_path, env=env) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            assert proc.stdout.read(10)
            proc.stdout.close()  # more than a pipe's buffer is still to come
            stderr = proc.stderr.read().decode()
            assert proc.wait(timeout=120) in (0, 1), stderr
        assert stderr == "", stderr
