"""The server watching itself: its readings of the ledger's health, the log lines when a follower
gets stuck or moves again, and the two background threads of a running server.

- The **keeper** (every second) does the server's own following (``Served.keep_up``, ADR 0012):
  without it a server that only answers reads would leave its own query records unsealed, and
  /healthz could not tell a follower nobody moves from one that cannot move.
- The **watcher** (every few seconds) takes a reading, so that state changes are logged even when
  nobody asks /healthz, and the progress watch sees every advance.

A reading never waits for a lock (``projections.health``): both threads and /healthz answer while
a follower is stuck, the keeper included (it waits in its own thread).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ledger.store import Ledger
from projections.health import Health, ProgressWatch, assess, take_reading
from service.http.served import Served
from service.logs import event

log = logging.getLogger("lokikirja.health")
KEEP_EVERY_S = 1.0
REPEAT_FAILURE_S = 60.0  # a failure that goes on is logged again at most this often


class Monitor:
    """The server's readings of the ledger's health, with one progress watch for its life."""

    def __init__(self, ledger: Ledger, *, stuck_after: float) -> None:
        self.ledger, self.stuck_after = ledger, stuck_after
        self.watch = ProgressWatch(moving_at_start=True)
        self._states: dict[str, tuple[str, bool]] = {}  # follower → (state, long lag logged)
        self._lock = threading.Lock()

    def health(self) -> Health:
        """A fresh reading, judged; a follower's change of state is logged once."""
        health = assess(take_reading(self.ledger), self.watch, self.stuck_after)
        with self._lock:
            for f in health.followers:
                self._log_change(f.reading.name, f.state, f.lag_seconds, health)
        return health

    def _log_change(self, name: str, state: str, lag: float, health: Health) -> None:
        before, warned = self._states.get(name, ("ok", False))
        f = next(x for x in health.followers if x.reading.name == name)
        fields = {"follower": name, "position": f.reading.position, "behind": f.reading.behind,
                  "lag_seconds": round(lag, 1), "stalled_seconds": round(f.stalled_seconds, 1)}
        if state == "stuck" and before != "stuck":
            event(log, "warning", "follower.stuck", f"the {name} follower is stuck: {f.reading.behind} position(s) "
                  f"behind, no progress for {f.stalled_seconds:.0f} s", **fields)
        elif before == "stuck" and state != "stuck":
            event(log, "info", "follower.moving", f"the {name} follower is moving again ({state})", **fields)
        if state == "lagging" and lag >= self.stuck_after and not warned:
            event(log, "warning", "follower.lagging", f"the {name} follower is {lag:.0f} s behind but advancing",
                  **fields)
            warned = True
        self._states[name] = (state, warned and state != "ok")


class Repeating:
    """A task run every ``every`` seconds in a daemon thread until stopped; a failure is logged
    (with its frames, never its message: ``service.logs``), and again at most once a minute while
    it goes on, and its end is logged too."""

    def __init__(self, name: str, task: Callable[[], None], every: float,
                 on_failure: Callable[[str], None] | None = None) -> None:
        self.name, self.task, self.every, self.on_failure = name, task, every, on_failure
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lokikirja-{name}", daemon=True)

    def _run(self) -> None:
        failing_since: float | None = None
        logged_at = 0.0
        while not self.stop_event.is_set():
            try:
                self.task()
            except Exception:
                if self.stop_event.is_set():
                    return  # the server is stopping: the store may be closing under the task
                now = time.monotonic()
                if self.on_failure is not None:
                    self.on_failure(self.name)
                if failing_since is None or now - logged_at >= REPEAT_FAILURE_S:
                    log.error("the server's %s task failed", self.name, exc_info=True,
                              extra={"event": f"{self.name}.failed", "fields": {"task": self.name}})
                    logged_at = now
                failing_since = failing_since or now
            else:
                if failing_since is not None:
                    event(log, "info", f"{self.name}.recovered", f"the server's {self.name} task works again",
                          task=self.name, failed_for_seconds=round(time.monotonic() - failing_since, 1))
                    failing_since = None
            self.stop_event.wait(self.every)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask it to stop; a task waiting for a lock is left behind (a daemon thread)."""
        self.stop_event.set()
        self.thread.join(timeout)


def background(served: Served, monitor: Monitor, on_failure: Callable[[str], None] | None = None) -> list[Repeating]:
    """The keeper and the watcher of a running server (not started)."""

    def keep() -> None:
        for o in served.keep_up():
            if o.status != "cosigned":
                event(log, "warning", "witness.not_cosigned", f"witness {o.witness}+{o.key_id} did not cosign "
                      f"the latest checkpoint: {o.status}", witness=o.witness, status=o.status,
                      tree_size=o.tree_size)

    def watch() -> None:
        monitor.health()

    return [Repeating("follow", keep, KEEP_EVERY_S, on_failure),
            Repeating("watch", watch, min(5.0, max(0.5, monitor.stuck_after / 4)), on_failure)]
