"""bench.instructions: the count of a rebuild's instructions comes from a real callgrind run."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_a_rebuild_is_counted_and_only_the_rebuild(tmp_path: Path):
    out = tmp_path / "count.json"
    done = subprocess.run([sys.executable, "-m", "bench.instructions", "--events", "300", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    counted = doc["checkouts"][str(ROOT)]
    assert "error" not in counted, counted
    # a rebuild of 300 events, after the uncounted first catch-up, ran 0.098 G instructions here;
    # the whole process (starting Python, imports, the ingest and catch-up before the rebuild)
    # 2.4 G: counting from the start would exceed the upper bound
    assert 2 * 10**7 < counted["instructions"] < 10**9
    assert counted["per_event"] == round(counted["instructions"] / 300)
