"""Streaming: the simulator's memory does not grow with the number of events it writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# The peak RSS is read from /proc (VmHWM, reset by exec): getrusage's ru_maxrss is inherited
# across fork and exec, so it would report the test runner's own peak.
_SCRIPT = """
import os, re
from simulation.config import Settings
from simulation.run import simulate
with open(os.devnull, "wb") as out:
    summary = simulate(Settings(customers={customers}, days={days}, seed=1), out, None)
peak = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)
print(summary.events, peak)
"""


def _peak(customers: int, days: int) -> tuple[int, float]:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", _SCRIPT.format(customers=customers, days=days)],
                          capture_output=True, text=True, cwd=root, timeout=300, check=True)
    events, kib = done.stdout.split()
    return int(events), int(kib) / 1024


@pytest.mark.slow
def test_two_hundred_thousand_events_stay_under_150_mb() -> None:
    events, mb = _peak(customers=5000, days=200)
    assert events > 150_000
    assert mb < 150, f"peak RSS {mb:.0f} MB for {events} events"
