"""bench.rebuild: the rebuild and the raw read-back are each the median of alternating runs, and
every run's figure is printed beside the median."""

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_rebuild_figure_is_the_median_of_the_runs_it_lists(tmp_path: Path):
    out = tmp_path / "rebuild.json"
    done = subprocess.run([sys.executable, "-m", "bench.rebuild", "--events", "300", "--backend", "sqlite",
                           "--repeat", "3", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())["backends"]["sqlite"]
    assert figures["events"] == 300
    assert len(figures["rebuild_runs"]) == len(figures["raw_read_runs"]) == 3
    assert all(rate > 0 for rate in figures["rebuild_runs"] + figures["raw_read_runs"])
    assert figures["rebuild_events_per_s"] == round(statistics.median(figures["rebuild_runs"]))
    assert figures["raw_read_rows_per_s"] == round(statistics.median(figures["raw_read_runs"]))
    assert figures["rebuild_ratio_to_raw_read"] == round(
        figures["rebuild_events_per_s"] / figures["raw_read_rows_per_s"], 3)
