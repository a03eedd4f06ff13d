"""Health readings (``projections/health.py``): a follower is ok, lagging or stuck — judged from
readings (pure, table-driven), and read from a real store on both backends without catching up."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from ledger.ingest import ingest_stream
from ledger.store import Ledger
from projections.health import FollowerReading, ProgressWatch, Reading, assess, look, take_reading
from service.pipeline import after_append
from tests.scenarios import EVENTS

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
STUCK_AFTER = 60.0


def _reading(at: float, position: int, *, end: int = 100, oldest_age: float | None = None) -> Reading:
    """The views follower at ``position`` of ``end``, ``at`` seconds after T0; the oldest unapplied
    fact was recorded ``oldest_age`` seconds before the reading."""
    taken = T0 + timedelta(seconds=at)
    behind = end - position
    oldest = None if not behind else taken - timedelta(seconds=oldest_age or 0.0)
    return Reading(taken, "sqlite", end, (FollowerReading("views", position, behind, oldest),), 0, None, None, ())


def _states(moving_at_start: bool, *readings: Reading) -> list[str]:
    watch = ProgressWatch(moving_at_start=moving_at_start)
    return [assess(r, watch, STUCK_AFTER).followers[0].state for r in readings]


@pytest.mark.parametrize(("moving_at_start", "readings", "states"), [
    # caught up: ok, however long nothing happens
    (True, [_reading(0, 100), _reading(600, 100)], ["ok", "ok"]),
    # just fell behind: lagging
    (True, [_reading(0, 90, oldest_age=1)], ["lagging"]),
    # a server that has just started does not guess how long a follower stood still…
    (True, [_reading(0, 90, oldest_age=3600)], ["lagging"]),
    # …but once it has watched it stand still behind for stuck-after, it is stuck
    (True, [_reading(0, 90, oldest_age=3600), _reading(59, 90, oldest_age=3659), _reading(60, 90, oldest_age=3660)],
     ["lagging", "lagging", "stuck"]),
    # a long backlog (its oldest fact an hour old) that keeps advancing is lagging, not stuck
    (True, [_reading(0, 10, oldest_age=3600), _reading(50, 40, oldest_age=3600), _reading(100, 70, oldest_age=3600),
            _reading(150, 95, oldest_age=3600)], ["lagging"] * 4),
    # stuck, then it moves again: lagging, then ok
    (True, [_reading(0, 90, oldest_age=10), _reading(70, 90, oldest_age=80), _reading(75, 95, oldest_age=5),
            _reading(80, 100)], ["lagging", "stuck", "lagging", "ok"]),
    # caught up for an hour, then behind by a new fact: it fell behind now, it did not stall an hour ago
    (True, [_reading(0, 100), _reading(3600, 100, end=101, oldest_age=2)], ["ok", "lagging"]),
    # a one-off look (no server) counts from the oldest unapplied fact until it sees an advance
    (False, [_reading(0, 90, oldest_age=30)], ["lagging"]),
    (False, [_reading(0, 90, oldest_age=3600)], ["stuck"]),
    (False, [_reading(0, 90, oldest_age=3600), _reading(5, 91, oldest_age=3600)], ["stuck", "lagging"]),
])
def test_a_follower_is_ok_lagging_or_stuck_by_what_the_watch_has_seen(moving_at_start, readings, states):
    assert _states(moving_at_start, *readings) == states


def test_a_reading_older_than_the_last_one_noted_changes_nothing():
    watch = ProgressWatch(moving_at_start=True)
    assess(_reading(0, 90, oldest_age=1), watch, STUCK_AFTER)
    assess(_reading(100, 90, oldest_age=101), watch, STUCK_AFTER)
    late = assess(_reading(50, 80, oldest_age=51), watch, STUCK_AFTER)  # taken before the last one, noted after
    assert late.followers[0].state == "lagging"
    assert assess(_reading(101, 90, oldest_age=102), watch, STUCK_AFTER).status == "stuck"


def test_the_ledger_is_as_bad_as_its_worst_follower():
    taken = T0
    followers = (FollowerReading("views", 100, 0, None), FollowerReading("seal", 50, 50, taken - timedelta(hours=1)))
    reading = Reading(taken, "sqlite", 100, followers, 50, 40, taken - timedelta(minutes=5), ())
    health = assess(reading, ProgressWatch(moving_at_start=False), STUCK_AFTER)
    doc = health.to_json()
    assert doc["status"] == "stuck"
    assert [(f["name"], f["state"]) for f in doc["followers"]] == [("views", "ok"), ("seal", "stuck")]
    assert doc["checkpoint"] == {"tree_size": 40, "timestamp": (taken - timedelta(minutes=5)).isoformat(),
                                 "age_seconds": 300.0, "sealed_tree_size": 50}


def _append_without_catching_up(ledger: Ledger) -> int:
    body = "\n".join(json.dumps(e) for e in EVENTS).encode()
    return ingest_stream(ledger, "scenario", io.BytesIO(body)).ingested


def test_a_store_reads_behind_after_an_append_and_ok_once_caught_up(ledger: Ledger):
    fresh = take_reading(ledger)  # nothing sealed, no follower tables: position 0, no error
    assert (fresh.log_position, fresh.sealed_size, fresh.checkpoint_size) == (0, 0, None)
    appended = _append_without_catching_up(ledger)
    behind = look(ledger, stuck_after=STUCK_AFTER, sample=0)
    assert behind.status == "lagging"
    assert {f.reading.name: f.reading.behind for f in behind.followers} == {"views": behind.reading.log_position,
                                                                             "seal": behind.reading.log_position}
    assert all(0 <= f.lag_seconds < STUCK_AFTER for f in behind.followers)
    after_append(ledger, appended)
    caught_up = look(ledger, stuck_after=STUCK_AFTER, sample=0).to_json()
    assert caught_up["status"] == "ok"
    assert caught_up["checkpoint"]["tree_size"] == caught_up["checkpoint"]["sealed_tree_size"] == appended
    assert [f["behind"] for f in caught_up["followers"]] == [0, 0]


def test_a_one_off_look_watches_a_follower_that_may_be_stuck(ledger: Ledger):
    _append_without_catching_up(ledger)
    slept: list[float] = []
    # with a stuck-after shorter than the facts' age, the look watches for `sample` seconds…
    stuck = look(ledger, stuck_after=1e-6, sample=3.0, sleep=slept.append)
    assert (stuck.status, slept) == ("stuck", [3.0])
    # …and a follower that advanced meanwhile is lagging, not stuck
    from projections.readmodel import followers

    def advance(_seconds: float) -> None:
        followers(ledger)[0].catch_up(page=10, stop=20)  # a page or two, still behind

    moved = look(ledger, stuck_after=1e-6, sample=1.0, sleep=advance)
    assert {f.reading.name: f.state for f in moved.followers} == {"views": "lagging", "seal": "stuck"}
    assert moved.followers[0].reading.position == 20
