"""Several processes on one store at once (CONTRACT §2: findings depend only on the set of
events): source systems ingesting side by side, a `project --follow` and a `rebuild`, through the
real CLI, on SQLite and PostgreSQL. Each `ingest` catches the read model up itself, so the same
pages are offered by several processes; each must be applied exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Cli, fresh_db_url


def _start(cli: Cli, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "LOKIKIRJA_DB": cli.db, "LOKIKIRJA_KEYS": str(cli.keys)}
    env.pop("LOKIKIRJA_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "service", *args], cwd=cli.cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _parts(source: Path, n: int) -> list[Path]:
    lines = source.read_text().splitlines(keepends=True)
    parts = []
    for i in range(n):
        part = source.with_name(f"part{i}.jsonl")
        part.write_text("".join(lines[i::n]))  # interleaved: every part spans the whole period
        parts.append(part)
    return parts


@pytest.mark.parametrize("initialised", [True, False], ids=["after-init", "first-use"])
def test_concurrent_ingests_a_follower_and_a_rebuild_give_the_sequential_findings(
        cli: Cli, tmp_path: Path, backend: str, request: pytest.FixtureRequest, initialised: bool):
    source = tmp_path / "events.jsonl"
    cli("simulate", "--customers", "250", "--days", "15", "--seed", "5", "--out", str(source), check=0)
    sequential = Cli(fresh_db_url(backend, tmp_path, request), tmp_path / "keys-sequential", tmp_path)
    sequential("ingest", str(source), check=0)
    expected = sequential("findings", "--format", "json", check=0).stdout

    if initialised:
        cli("init", check=0)
    ingests = [_start(cli, "ingest", str(part), "--format", "json") for part in _parts(source, 4)]
    others = []
    if initialised:
        others = [_start(cli, "project", "--follow", "--poll", "0.1")]
        time.sleep(0.2)
        others += [_start(cli, "rebuild"), _start(cli, "rebuild")]  # two rebuilds take turns too
    for process in ingests + others[1:]:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
        assert "Traceback" not in err and "internal error" not in err, err
    for follower in others[:1]:
        follower.terminate()
        _, err = follower.communicate(timeout=60)
        assert "Traceback" not in err and "internal error" not in err, err

    cli("verify", check=0)
    assert cli("findings", "--format", "json", check=0).stdout == expected
    cli("rebuild", check=0)
    assert cli("findings", "--format", "json", check=0).stdout == expected
