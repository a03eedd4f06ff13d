"""``rebuild`` and ``project``: the read model from the log, now or continuously."""

from __future__ import annotations

import signal
import threading

import click

from ledger.store import Ledger
from projections.readmodel import followers
from service.app import db_option, format_option, main, note
from service.output import emit_json, progress_bar


@main.command()
@db_option
@format_option("table", "json")
def rebuild(db: str | None, fmt: str) -> None:
    """Drop every projection and rebuild it from the log (progress with rate and ETA: a bar on a
    terminal, else a line on stderr every LOKIKIRJA_PROGRESS_INTERVAL seconds, default 5).

    Example: lokikirja rebuild --db postgresql://ledger@db/lokikirja
    """
    import time

    with Ledger.open(db, need_keys=False) as ledger:
        total = ledger.max_position()
        done = 0
        started = time.perf_counter()
        for follower in followers(ledger):
            follower.reset()
            with progress_bar(f"rebuild {follower.name}", total) as advance:
                done = follower.catch_up(advance)
        elapsed = time.perf_counter() - started
    doc = {"events": done, "seconds": round(elapsed, 3), "events_per_s": round(done / elapsed) if elapsed else None}
    if fmt == "json":
        emit_json(doc)
    else:
        note(f"rebuilt the read model from {done} events in {elapsed:.1f} s")


@main.command()
@click.option("--follow", is_flag=True, help="Keep following the log until interrupted.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between checks (SQLite).")
@db_option
def project(follow: bool, poll: float, db: str | None) -> None:
    """Bring the read model up to date; with --follow, keep it so as a separate process.

    Example: lokikirja project --follow --db postgresql://ledger@db/lokikirja
    """
    with Ledger.open(db, need_keys=False) as ledger:
        stop = threading.Event()
        if follow:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        for follower in followers(ledger):
            applied = follower.catch_up()
            note(f"{follower.name}: applied {applied} event(s); at position {follower.position()}")
        if follow:
            note("following the log; Ctrl-C to stop")
            workers = [threading.Thread(target=f.follow, args=(stop,), kwargs={"poll": poll}, daemon=True)
                       for f in followers(ledger)]
            for w in workers:
                w.start()
            while not stop.is_set():
                stop.wait(0.5)
            for w in workers:
                w.join(timeout=5)
