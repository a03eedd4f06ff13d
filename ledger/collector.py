"""Python's cycle collector paused while a batch of short-lived objects is made and used.

A follower's page, a chunk of ingest or a dispute dossier makes hundreds of thousands of objects
that live until it is done (facts, rows, histories, proofs). Each time their number passes the
collector's thresholds the collector walks them, and every so often it walks the whole heap:
13–16 % of a rebuild's time (1.3–1.7 s of 10–13 s at 200,000 events), 8–12 % of an ingest's, and
12–14 ms of a 1,000-event dossier on average, up to 45 ms (the dossier's 95th percentile). What
such a batch makes holds no reference cycles that outlive it, so reference counting frees it;
whatever cycles there are wait for the collector's next pass, once the batch is done (ADR 0023).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off inside the block and back on after it, however the block ends;
    left alone if it was already off (by the caller, or by another thread's block: that one turns
    it back on)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
