"""What every request shares: the open ledger, the tokens file and one write lock.

One server process holds one :class:`~ledger.store.Ledger`. Handlers run in a thread pool;
reads run in parallel, while everything that appends or moves a follower (ingest, recording a
query or a review, catching the read model up, signing a checkpoint) takes :attr:`Served.lock`,
because a follower's page and its tracking position must be written by one writer at a time.
Reads catch the read model up first, so they see every fact appended — here or by another
process, such as ``lokikirja ingest`` on the same store.

With a read replica (``serve --read-dsn``, ADR 0014) the catching up and every write stay here,
on the primary, and the reads go to the replica once it has replayed what they need, within the
lag allowed: how far behind it was is noted for the response (:func:`noting_replica_lag`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ledger.checkpoints import latest_checkpoint, sign_checkpoint
from ledger.db import Cursor
from ledger.own_facts import record_query
from ledger.records import StoredFact
from ledger.replica import CHECKPOINT, Replica
from ledger.seal import Seal, seal_catch_up
from ledger.store import Ledger
from ledger.witnesses import Outcome, submit
from projections.readmodel import ReadModel, followers
from service.http.tokens import TokenFile
from service.pipeline import after_append, catch_up_projections

CHECKPOINT_EVERY_S = 60.0  # facts nobody else checkpointed (the server's own queries) wait at most this long

LAG_HEADER = b"lokikirja-replica-lag"
#: the replica lags of the reads of the request being answered (None: not noting; see noting_replica_lag)
_REPLICA_LAGS: ContextVar[list[int] | None] = ContextVar("lokikirja_replica_lags", default=None)


@contextmanager
def noting_replica_lag() -> Iterator[list[int]]:
    """While a request is answered: the lag of each of its reads from the replica, in positions
    (empty: nothing was read there). The request's handler threads share the list."""
    lags: list[int] = []
    token = _REPLICA_LAGS.set(lags)
    try:
        yield lags
    finally:
        _REPLICA_LAGS.reset(token)


class ReplicaLagHeader:
    """ASGI middleware: a response whose reads came from the read replica says how far behind the
    primary the replica was for them — ``Lokikirja-Replica-Lag: <log positions>`` (the largest of
    its reads; 0: it had everything the reads needed). No header: nothing was read there."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with noting_replica_lag() as lags:
            async def send_with_lag(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start" and lags:
                    lag = (LAG_HEADER, str(max(lags)).encode())
                    message = {**message, "headers": [*message.get("headers", []), lag]}
                await send(message)

            await self.app(scope, receive, send_with_lag)


class Served:
    """The ledger as the HTTP app serves it (reads from ``replica`` when there is one)."""

    def __init__(self, ledger: Ledger, tokens: TokenFile, replica: Replica | None = None) -> None:
        self.ledger = ledger
        self.tokens = tokens
        self.replica = replica
        self.lock = threading.RLock()
        self._fresh_at = -1  # the log position the read model was last caught up to
        self._views_at = 0  # …and so the position the read model here has reached, at least
        # one set of followers for the server's life (used under ``lock``): their history cache
        # stays warm from one batch to the next, and is dropped whenever another process moved them
        self._readers = followers(ledger)
        self._own_queries_pending = False  # ledger.queried facts of ours after _fresh_at's catch-up
        self.on_record: Callable[[str, bool], None] | None = None  # told (command, refused) of each query recorded

    @property
    def reader(self) -> Ledger:
        """The ledger reads go to: the replica, or the primary without one."""
        return self.replica.ledger if self.replica is not None else self.ledger

    @property
    def db(self) -> Any:
        """The SQL seam of :attr:`reader` (for the cursors :meth:`reading` gives)."""
        return self.reader.db

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
                self._fresh_at, self._views_at, self._own_queries_pending = end, end, False

    def appended(self, count: int) -> None:
        """After an ingest (under :attr:`lock`): followers, seal and checkpoint catch up (the CLI's
        ``after_append``)."""
        end = self.ledger.max_position()
        after_append(self.ledger, count, checkpoint_min_interval=1.0, readers=self._readers)
        self._fresh_at, self._views_at, self._own_queries_pending = end, end, False

    @contextmanager
    def reading(self, *, queries: bool = True) -> Iterator[Cursor]:
        """A read cursor over an up-to-date read model (see :meth:`refresh` for ``queries``): the
        primary's, or the replica's once it is fresh enough (:meth:`fresh_reader`)."""
        self.refresh(queries=queries)
        with self.fresh_reader().db.read() as cur:
            yield cur

    def fresh_reader(self, needs: Mapping[str, int] | None = None) -> Ledger:
        """:attr:`reader`, once the replica has what a read needs (follower name → position on the
        primary; by default the read model as this server last caught it up), within the lag
        allowed; notes the lag for the response. Raises ``ReplicaBehind`` when it is too far behind."""
        if self.replica is None:
            return self.ledger
        lag = self.replica.await_fresh({ReadModel.name: self._views_at} if needs is None else needs)
        lags = _REPLICA_LAGS.get()
        if lags is not None:
            lags.append(lag)
        return self.replica.ledger

    def dossier_needs(self, checkpoint_size: int) -> dict[str, int]:
        """What a dossier read needs of the replica: the read model as caught up here, and the
        checkpoint its proofs are made against."""
        return {ReadModel.name: self._views_at, CHECKPOINT: checkpoint_size}

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
