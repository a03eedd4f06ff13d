"""The ledger's health, read without taking any lock: how far each follower of the log (the read
model, the Merkle seal) is behind — in log positions and in seconds —, whether it is still moving,
the latest checkpoint, and what each witness cosigned.

Read-only and lock-free on purpose: it must answer while a follower is stuck behind a lock someone
holds, which is when an operator asks. It never catches anything up (that would hide the lag it
measures) and never creates a table (a store never sealed reads as position 0).

A follower is

- ``ok``      when it has applied every fact of the log;
- ``lagging`` when it is behind, but advanced (or fell behind) less than ``stuck_after`` seconds ago;
- ``stuck``   when it is behind and has not advanced for ``stuck_after`` seconds.

Whether it advanced takes two looks: a :class:`ProgressWatch` remembers each follower's position
and when it was last seen to change. A server keeps one for its life; a one-off look
(:func:`look`) watches for a few seconds, and until it has seen a follower move it counts from
the recording time of the oldest fact that follower has not applied — the longest the follower
can have gone without progress.

Nothing here is personal data: positions, counts, times, and the names of witnesses.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.db import Cursor
from ledger.follower import tracking_table
from ledger.note import VerifierKey
from ledger.seal import SEAL_FOLLOWER, Seal
from ledger.store import Ledger
from projections.readmodel import FOLLOWERS

STATES = ("ok", "lagging", "stuck")  # from good to bad


@dataclass(frozen=True)
class FollowerReading:
    """One follower at one moment."""

    name: str
    position: int  #: the last log position applied (0: none)
    behind: int  #: log positions after it (PostgreSQL's may have gaps: at most this many facts)
    oldest_unapplied: datetime | None  #: when the ledger recorded the first fact not applied yet


@dataclass(frozen=True)
class WitnessReading:
    name: str
    key_id: str
    cosigned_size: int | None  #: the largest tree this witness cosigned (None: none yet)


@dataclass(frozen=True)
class Reading:
    """Everything :func:`take_reading` reads, at ``taken_at``."""

    taken_at: datetime
    backend: str
    log_position: int
    followers: tuple[FollowerReading, ...]
    sealed_size: int  #: leaves in the Merkle tree
    checkpoint_size: int | None
    checkpoint_time: datetime | None
    witnesses: tuple[WitnessReading, ...]


def _exists(ledger: Ledger, cur: Cursor, table: str) -> bool:
    return ledger.db.table_exists(cur, table)


def _oldest_after(ledger: Ledger, position: int, end: int) -> datetime | None:
    if position >= end:
        return None
    return next((f.recorded_at for f in ledger.read_log(position, page=1, limit=1)), None)


def take_reading(ledger: Ledger) -> Reading:
    """Read the followers' positions, the seal, the latest checkpoint and the witnesses (no lock taken)."""
    seal = Seal(ledger, create=False)
    taken_at = datetime.now(UTC)
    end = ledger.max_position()
    with ledger.db.read() as cur:
        positions = {}
        for cls in FOLLOWERS:
            table = tracking_table(ledger, cls.name)
            positions[cls.name] = int(cur.scalar(
                f"SELECT MAX(notification_id) FROM {table} WHERE application_name = %s",
                (f"Lokikirja/{cls.name}",)) or 0) if _exists(ledger, cur, table) else 0
        sealed, positions[SEAL_FOLLOWER] = seal.head(cur) if _exists(ledger, cur, seal.leaves) else (0, 0)
        checkpoint, witnesses = _checkpoint(ledger, seal, cur)
    followers = tuple(FollowerReading(name, position, max(0, end - position), _oldest_after(ledger, position, end))
                      for name, position in positions.items())
    return Reading(taken_at, ledger.db.kind, end, followers, sealed, *checkpoint, witnesses)


def _checkpoint(ledger: Ledger, seal: Seal, cur: Cursor) -> tuple[tuple[int | None, datetime | None],
                                                                  tuple[WitnessReading, ...]]:
    latest: tuple[int | None, datetime | None] = (None, None)
    if _exists(ledger, cur, seal.checkpoints):
        row = cur.execute(f"SELECT tree_size, timestamp FROM {seal.checkpoints} "
                          "ORDER BY tree_size DESC LIMIT 1").fetchone()
        if row is not None:
            size, timestamp = row
            latest = (int(size), datetime.fromisoformat(timestamp))
    table = ledger.db.table("witnesses")
    if not _exists(ledger, cur, table):
        return latest, ()
    keys = [VerifierKey.parse(vkey) for (vkey,) in cur.execute(f"SELECT vkey FROM {table} ORDER BY name").fetchall()]
    cosigned = {(name, int(khash)): int(size) for name, khash, size in cur.execute(
        f"SELECT name, key_hash, MAX(tree_size) FROM {seal.signatures} WHERE role = 'witness' "
        "GROUP BY name, key_hash").fetchall()}
    return latest, tuple(WitnessReading(k.name, k.key_id, cosigned.get((k.name, k.key_hash))) for k in keys)


class ProgressWatch:
    """When each follower was last seen to advance. Thread-safe; readings older than the last
    one noted are ignored (two threads may take readings at once)."""

    def __init__(self, *, moving_at_start: bool) -> None:
        """``moving_at_start``: count a follower's first sighting as an advance (a server that has
        just started cannot know for how long a follower has stood still, and does not guess);
        else only the oldest unapplied fact's recording time bounds it."""
        self.moving_at_start = moving_at_start
        self._seen: dict[str, tuple[int, datetime | None]] = {}
        self._last: datetime | None = None
        self._lock = threading.Lock()

    def note(self, reading: Reading) -> None:
        with self._lock:
            if self._last is not None and reading.taken_at < self._last:
                return
            self._last = reading.taken_at
            for f in reading.followers:
                seen = self._seen.get(f.name)
                if seen is None:
                    self._seen[f.name] = (f.position, reading.taken_at if self.moving_at_start else None)
                elif seen[0] != f.position:
                    self._seen[f.name] = (f.position, reading.taken_at)

    def stalled(self, f: FollowerReading, now: datetime) -> float:
        """Seconds ``f`` has been behind without advancing (0 when it is not behind)."""
        if not f.behind:
            return 0.0
        with self._lock:
            advanced = self._seen.get(f.name, (0, None))[1]
        since = f.oldest_unapplied or now
        if advanced is not None:
            since = max(since, advanced)
        return max(0.0, (now - since).total_seconds())


@dataclass(frozen=True)
class FollowerHealth:
    reading: FollowerReading
    state: str
    lag_seconds: float  #: age of the oldest fact not applied yet (0 when caught up)
    stalled_seconds: float  #: seconds behind without advancing (0 when caught up)

    def to_json(self) -> dict[str, Any]:
        f = self.reading
        return {"name": f.name, "state": self.state, "position": f.position, "behind": f.behind,
                "lag_seconds": round(self.lag_seconds, 3), "stalled_seconds": round(self.stalled_seconds, 3)}


@dataclass(frozen=True)
class Health:
    """A reading judged: each follower's state and the ledger's (the worst of them)."""

    reading: Reading
    followers: tuple[FollowerHealth, ...]
    stuck_after: float

    @property
    def status(self) -> str:
        return max((f.state for f in self.followers), key=STATES.index, default="ok")

    @property
    def checkpoint_age(self) -> float | None:
        t = self.reading.checkpoint_time
        return None if t is None else max(0.0, (self.reading.taken_at - t).total_seconds())

    def to_json(self) -> dict[str, Any]:
        r = self.reading
        checkpoint = None if r.checkpoint_size is None else {
            "tree_size": r.checkpoint_size, "timestamp": r.checkpoint_time.isoformat() if r.checkpoint_time else None,
            "age_seconds": round(self.checkpoint_age or 0.0, 3), "sealed_tree_size": r.sealed_size}
        return {"status": self.status, "at": r.taken_at.isoformat(timespec="seconds"), "backend": r.backend,
                "log_position": r.log_position, "stuck_after": self.stuck_after,
                "followers": [f.to_json() for f in self.followers], "checkpoint": checkpoint,
                "witnesses": [{"name": w.name, "key_id": w.key_id, "cosigned_latest": w.cosigned_size is not None
                               and w.cosigned_size == r.checkpoint_size, "cosigned_tree_size": w.cosigned_size}
                              for w in r.witnesses]}


def assess(reading: Reading, watch: ProgressWatch, stuck_after: float) -> Health:
    """Judge ``reading`` (noted in ``watch`` first)."""
    watch.note(reading)
    judged = []
    for f in reading.followers:
        stalled = watch.stalled(f, reading.taken_at)
        lag = 0.0 if f.oldest_unapplied is None else max(0.0, (reading.taken_at - f.oldest_unapplied).total_seconds())
        state = "ok" if not f.behind else "stuck" if stalled >= stuck_after else "lagging"
        judged.append(FollowerHealth(f, state, lag, stalled))
    return Health(reading, tuple(judged), stuck_after)


def look(ledger: Ledger, *, stuck_after: float, sample: float,
         sleep: Callable[[float], None] = time.sleep) -> Health:
    """One look without a server: a follower that may be stuck (behind by a fact older than
    ``stuck_after``) is watched for ``sample`` seconds; stuck unless it advanced meanwhile."""
    watch = ProgressWatch(moving_at_start=False)
    health = assess(take_reading(ledger), watch, stuck_after)
    if sample <= 0 or health.status != "stuck":
        return health
    sleep(sample)
    return assess(take_reading(ledger), watch, stuck_after)
