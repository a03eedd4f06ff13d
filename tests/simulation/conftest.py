"""Simulated files shared by the simulation tests (generated once per session, in memory-light files)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from simulation.config import Settings
from simulation.run import Summary, simulate


@dataclass(frozen=True)
class Run:
    """A simulated experiment on disk: its settings, event and truth files, and summary."""

    settings: Settings
    events: Path
    truth: Path
    summary: Summary


def run(folder: Path, settings: Settings, name: str = "run") -> Run:
    """Simulate ``settings`` into ``folder``."""
    events, truth = folder / f"{name}.jsonl", folder / f"{name}-truth.jsonl"
    with events.open("wb") as out, truth.open("wb") as tr:
        summary = simulate(settings, out, tr)
    return Run(settings, events, truth, summary)


@pytest.fixture(scope="session")
def moderate(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """400 customers over 40 days from the experiment's start, at the default violation rate."""
    return run(tmp_path_factory.mktemp("moderate"), Settings(customers=400, days=40, seed=11))


@pytest.fixture(scope="session")
def autumn(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Across the amendment of 2.10.2021, All Saints' Day and the end of DST, at a high rate."""
    return run(tmp_path_factory.mktemp("autumn"),
               Settings(customers=300, days=75, seed=5, start=date(2021, 9, 13), violation_rate=0.05))
