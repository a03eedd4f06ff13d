"""Progress lines off a terminal (``service/progress.py``): their wording, their pace, and JSON
events when the server's structured log is on."""

from __future__ import annotations

import io
import json
import logging

import pytest

from service.logs import LOGGER, configure
from service.progress import ProgressLines, interval


@pytest.fixture(autouse=True)
def _restore_the_logger():
    log = logging.getLogger(LOGGER)
    saved = (log.handlers[:], log.level, log.propagate)
    log.handlers = []
    yield
    log.handlers, log.level, log.propagate = saved


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_interval_then_a_last_one_with_the_duration():
    clock, out = Clock(), io.StringIO()
    lines = ProgressLines("rebuild views", 1_000_000, every=5, stream=out, clock=clock)
    clock.now += 1
    lines.advance(24_000)  # before the interval: nothing
    clock.now += 4
    lines.advance(96_000)
    clock.now += 2
    lines.advance(100_000)  # within the next interval: nothing
    clock.now += 35
    lines.advance(780_000)
    lines.finish()
    assert out.getvalue().splitlines() == [
        "rebuild views: 120000/1000000 events (12%), 24000/s, about 37 s left",
        "rebuild views: 1000000/1000000 events (100%), 23810/s",
        "rebuild views: 1000000/1000000 events (100%), 23810/s, done in 42 s",
    ]


def test_bytes_an_unknown_total_asked_once_and_a_short_run_says_nothing():
    clock, out = Clock(), io.StringIO()
    asked = []
    lines = ProgressLines("seal", None, every=1, stream=out, clock=clock, remaining=lambda: asked.append(1) or 300)
    clock.now += 2
    lines.advance(100)
    clock.now += 2
    lines.advance(100)
    assert asked == [1] and out.getvalue().splitlines()[0] == "seal: 100/400 events (25%), 50/s, about 6 s left"
    quiet = io.StringIO()
    short = ProgressLines("ingest events.jsonl", 2e6, bytes_mode=True, every=5, stream=quiet, clock=clock)
    short.advance(2e6)
    short.finish()
    assert quiet.getvalue() == ""
    big = io.StringIO()
    ingest = ProgressLines("ingest events.jsonl", 96e6, bytes_mode=True, every=5, stream=big, clock=clock)
    clock.now += 5
    ingest.advance(12e6)
    assert big.getvalue() == "ingest events.jsonl: 12.0/96.0 MB (12%), 2.4 MB/s, about 35 s left\n"


def test_with_the_structured_log_on_each_line_is_a_progress_event():
    clock, stream = Clock(), io.StringIO()
    configure(stream)
    lines = ProgressLines("verify", 1000, every=5, clock=clock)
    clock.now += 5
    lines.advance(250)
    lines.finish()
    first, last = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["event"] == "progress" and first["message"] == "verify: 250/1000 events (25%), 50/s, about 15 s left"
    assert (first["task"], first["done"], first["total"], first["rate"], first["seconds_left"]) == (
        "verify", 250, 1000, 50.0, 15)
    assert last["finished"] is True and last["message"].endswith("done in 5 s")


def test_the_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LOKIKIRJA_PROGRESS_INTERVAL", "0.5")
    assert interval() == 0.5
    monkeypatch.setenv("LOKIKIRJA_PROGRESS_INTERVAL", "soon")
    assert interval() == 5.0
    monkeypatch.delenv("LOKIKIRJA_PROGRESS_INTERVAL")
    assert interval() == 5.0
