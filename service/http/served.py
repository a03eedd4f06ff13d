"""What every request shares: the open ledger, the tokens file and one write lock.

One server process holds one :class:`~ledger.store.Ledger`. Handlers run in a thread pool;
reads run in parallel, while everything that appends or moves a follower (ingest, recording a
query or a review, catching the read model up, signing a checkpoint) takes :attr:`Served.lock`,
because a follower's page and its tracking position must be written by one writer at a time.
Reads catch the read model up first, so they see every fact appended — here or by another
process, such as ``lokikirja ingest`` on the same store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ledger.checkpoints import latest_checkpoint, sign_checkpoint
from ledger.db import Cursor
from ledger.own_facts import record_query
from ledger.records import StoredFact
from ledger.seal import Seal, seal_catch_up
from ledger.store import Ledger
from ledger.witnesses import Outcome, submit
from projections.readmodel import followers
from service.http.tokens import TokenFile
from service.pipeline import after_append, catch_up_projections

CHECKPOINT_EVERY_S = 60.0  # facts nobody else checkpointed (the server's own queries) wait at most this long


class Served:
    """The ledger as the HTTP app serves it."""

    def __init__(self, ledger: Ledger, tokens: TokenFile) -> None:
        self.ledger = ledger
        self.tokens = tokens
        self.lock = threading.RLock()
        self._fresh_at = -1  # the log position the read model was last caught up to
        # one set of followers for the server's life (used under ``lock``): their history cache
        # stays warm from one batch to the next, and is dropped whenever another process moved them
        self._readers = followers(ledger)
        self._own_queries_pending = False  # ledger.queried facts of ours after _fresh_at's catch-up
        self.on_record: Callable[[str, bool], None] | None = None  # told (command, refused) of each query recorded

    @property
    def db(self) -> Any:
        return self.ledger.db

    def _is_fresh(self, queries: bool) -> bool:
        return self.ledger.max_position() == self._fresh_at and not (queries and self._own_queries_pending)

    def refresh(self, *, queries: bool = True) -> None:
        """Bring the read model to the end of the log (cheap when nothing was appended).

        With ``queries=False`` the caller does not read who queried the ledger, so the
        ``ledger.queried`` facts this server appended since the last catch-up may wait for the
        next one: they change nothing else in the read model.
        """
        if self._is_fresh(queries):
            return
        with self.lock:
            if not self._is_fresh(queries):
                end = self.ledger.max_position()
                catch_up_projections(self.ledger, self._readers)
                self._fresh_at, self._own_queries_pending = end, False

    def appended(self, count: int) -> None:
        """After an ingest (under :attr:`lock`): followers, seal and checkpoint catch up (the CLI's
        ``after_append``)."""
        end = self.ledger.max_position()
        after_append(self.ledger, count, checkpoint_min_interval=1.0, readers=self._readers)
        self._fresh_at, self._own_queries_pending = end, False

    @contextmanager
    def reading(self, *, queries: bool = True) -> Iterator[Cursor]:
        """A read cursor over an up-to-date read model (see :meth:`refresh` for ``queries``)."""
        self.refresh(queries=queries)
        with self.ledger.db.read() as cur:
            yield cur

    def record(self, *, asker: str, purpose: str, command: str, subject: str | None = None,
               user: str | None = None, hetu_index: str | None = None, via: str = "http",
               refused: bool = False) -> StoredFact:
        """Append ``ledger.queried`` (before the answer is given, or with ``refused`` instead of one)."""
        with self.lock:
            before = self.ledger.max_position()
            fact = record_query(self.ledger, asker=asker, purpose=purpose, command=command, subject=subject,
                                user=user, hetu_index=hetu_index, via=via, refused=refused)
            if before == self._fresh_at and fact.position == before + 1:
                # the read model lacks only this fact, which tells who asked and nothing else
                self._fresh_at, self._own_queries_pending = fact.position, True
        if self.on_record is not None:
            self.on_record(command, refused)
        return fact

    def keep_up(self) -> list[Outcome]:
        """The server's own following (ADR 0012): bring the read model and the seal to the end of
        the log, and sign a checkpoint when sealed facts have waited :data:`CHECKPOINT_EVERY_S`
        for one — for facts that no request or process caught up: the server's own query records,
        or an ingest that stopped before its catch-up. Cheap when nothing waits (four small reads).
        Returns what the witnesses did with a new checkpoint (none: nothing was signed)."""
        self.refresh()
        seal = Seal(self.ledger)
        with self.ledger.db.read() as cur:
            sealed, last = seal.head(cur)
        if last < self.ledger.max_position():
            sealed += seal_catch_up(self.ledger)
        latest = latest_checkpoint(self.ledger)
        if not sealed or (latest is not None and latest.tree_size >= sealed):
            return []
        if latest is not None and _age(latest.timestamp) < CHECKPOINT_EVERY_S:
            return []
        sign_checkpoint(self.ledger, min_interval=CHECKPOINT_EVERY_S)
        return submit(self.ledger)


def _age(timestamp: str) -> float:
    from datetime import UTC, datetime

    try:
        return (datetime.now(UTC) - datetime.fromisoformat(timestamp)).total_seconds()
    except ValueError:
        return float("inf")
