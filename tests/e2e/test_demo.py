"""``lokikirja demo``, the README's first command: the main job end to end in a fresh folder."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("columns", ["80", "140"])
def test_the_demo_runs_the_main_job_and_catches_every_injected_violation(tmp_path: Path, columns: str):
    folder = tmp_path / "demo"
    env = {**os.environ, "COLUMNS": columns}
    env.pop("LOKIKIRJA_DB", None)
    done = subprocess.run([sys.executable, "-m", "service", "demo", "--dir", str(folder), "--customers", "300",
                           "--days", "30"], capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert "Traceback" not in out
    caught = re.search(r"the rules caught (\d+) of (\d+) injected violations", out)
    assert caught and caught[1] == caught[2] and int(caught[2]) > 0
    assert "5. verify: OK" in out
    assert max(map(len, done.stdout.splitlines())) <= int(columns)  # fits the terminal
    assert (folder / "report.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    for name in ("lokikirja.db", "events.jsonl", "truth.jsonl", "report.html"):  # personal data: 0600
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    tried = [line.strip() for line in done.stderr.splitlines() if line.strip().startswith("lokikirja ")]
    assert len(tried) == 3 and all(f"--db {folder / 'lokikirja.db'}" in line for line in tried)
    # the suggested commands work as printed (the first is the access log)
    first = subprocess.run([sys.executable, "-m", "service", *tried[0].split()[1:]], capture_output=True, text=True,
                           env=env, timeout=300, check=False)
    assert first.returncode == 0, first.stderr


def test_the_demo_takes_db_like_every_command_and_a_second_run_adds_nothing(tmp_path: Path):
    """CONTRACT §6: every command takes --db TARGET; the demo's ledger is then that store."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOKIKIRJA_DB", "LOKIKIRJA_KEYS")}
    target, keys = tmp_path / "elsewhere.db", tmp_path / "elsewhere-keys"
    demo = [sys.executable, "-m", "service", "demo", "--dir", str(tmp_path / "demo"), "--customers", "100",
            "--days", "5", "--db", str(target), "--keys", str(keys)]
    for _ in range(2):
        done = subprocess.run(demo, capture_output=True, text=True, env=env, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        assert "5. verify: OK" in done.stdout
    assert target.is_file() and not (tmp_path / "demo" / "lokikirja.db").exists()
    found = subprocess.run([sys.executable, "-m", "service", "findings", "--db", str(target), "--format", "json"],
                           capture_output=True, text=True, env=env, timeout=300, check=True)
    truth = {(t["event"], t["rule"]) for t in map(json.loads, (tmp_path / "demo" / "truth.jsonl").read_text().split())}
    assert truth and truth <= {(f["event"], f["rule"]) for f in json.loads(found.stdout)}
