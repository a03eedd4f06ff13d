"""Progress for logs: when stderr is not a terminal (a pipe, a scheduler, a service manager), a
long run says how far it is in one line every few seconds instead of a progress bar::

    ingest events.jsonl: 120.0/1000.0 MB (12%), 24.0 MB/s, about 37 s left
    project views: 120000/1000000 events (12%), 24000/s, about 37 s left
    project views: 1000000/1000000 events (100%), 24000/s, done in 42 s

The first line comes after ``LOKIKIRJA_PROGRESS_INTERVAL`` seconds (default 5; 0 turns the lines
off), then one every interval, and a last one when a run that printed any ends — a run shorter
than the interval prints nothing. With the server's structured log on (``service/logs.py``) each
line is an event ``progress`` with the figures as fields instead.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from service import logs

INTERVAL_ENV = "LOKIKIRJA_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 5.0


def interval() -> float:
    """Seconds between two lines (``LOKIKIRJA_PROGRESS_INTERVAL``; 0: no lines)."""
    raw = os.environ.get(INTERVAL_ENV, "")
    try:
        return max(0.0, float(raw)) if raw.strip() else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL


def _structured() -> logging.Logger | None:
    """The ``lokikirja`` logger when the structured log is configured (``serve``), else None."""
    log = logging.getLogger(logs.LOGGER)
    return log if log.handlers else None


class ProgressLines:
    """Counts what a run has done and prints a line when the interval has passed (see the module
    docstring). ``total`` may be unknown (None); ``remaining``, if given, is asked once, at the
    first line, for what is still to do (a follower's lag: two queries, only for a run long enough
    to be reported)."""

    def __init__(self, description: str, total: float | None, *, unit: str = "events", bytes_mode: bool = False,
                 remaining: Callable[[], float] | None = None, every: float | None = None,
                 stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.description, self.total, self.unit, self.bytes_mode = description, total, unit, bytes_mode
        self.remaining, self.clock = remaining, clock
        self.every = interval() if every is None else every
        self.stream = stream
        self.done = 0.0
        self.lines = 0
        self.started = clock()
        self.next_at = self.started + self.every

    def advance(self, n: float) -> None:
        self.done += n
        if self.every <= 0:
            return
        now = self.clock()
        if now >= self.next_at:
            self.say(now)
            self.next_at = now + self.every

    def finish(self) -> None:
        """The last line, if the run printed any."""
        if self.lines:
            self.say(self.clock(), final=True)

    def say(self, now: float, *, final: bool = False) -> None:
        if self.total is None and self.remaining is not None:
            self.total, self.remaining = self.done + self.remaining(), None
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.description}: {self._amount()}, {self._rate(rate)}"
        left = None
        if final:
            text += f", done in {_duration(elapsed)}"
        elif self.total and rate > 0 and self.done < self.total:
            left = (self.total - self.done) / rate
            text += f", about {_duration(left)} left"
        self.lines += 1
        log = _structured()
        if log is not None:
            logs.event(log, "info", "progress", text, task=self.description, done=self.done, total=self.total,
                       unit="bytes" if self.bytes_mode else self.unit, rate=round(rate, 1),
                       seconds_left=None if left is None else round(left), finished=final)
            return
        out = self.stream or sys.stderr
        out.write(text + "\n")
        out.flush()

    def _amount(self) -> str:
        if self.bytes_mode:
            done = f"{self.done / 1e6:.1f}" + ("" if self.total is None else f"/{self.total / 1e6:.1f}") + " MB"
        else:
            done = f"{self.done:.0f}" + ("" if self.total is None else f"/{self.total:.0f}") + f" {self.unit}"
        if self.total:
            done += f" ({min(100, int(100 * self.done / self.total))}%)"
        return done

    def _rate(self, rate: float) -> str:
        return f"{rate / 1e6:.1f} MB/s" if self.bytes_mode else f"{rate:.0f}/s"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
