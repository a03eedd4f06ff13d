"""A read replica: the same store on a PostgreSQL standby, opened for reading only, and how far
behind the primary it is, in log positions (ADR 0014).

Everything that writes — ingest, ``ledger.queried``, the followers, the seal and checkpoints —
stays on the primary: the Merkle leaf order rests on eventsourcing's single writer there (the
event table's ``LOCK TABLE`` gives positions in commit order). A standby replays the primary's
WAL in order, so what it holds is always a prefix of what the primary committed, and a follower's
tracking position there says exactly how much of the read model it has: the rows of a page and
its tracking position commit together (ADR 0003). A read that needs the read model as of
position P on the primary waits until the replica's tracking position reaches P minus the lag
it may have, and is refused (:class:`~ledger.errors.ReplicaBehind`) when that takes too long.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

import psycopg

from ledger.backend import Target
from ledger.errors import ReplicaBehind, ReplicaUnavailable, UsageError
from ledger.follower import tracking_table
from ledger.postgres import PostgresTarget
from ledger.store import Ledger, resolve_target

CHECKPOINT = "checkpoint"  #: a need on the latest checkpoint's tree size rather than a follower's position
POLL_S = 0.02  # how often a read waiting for the replica looks again


def replica_target(read_dsn: str, primary: Target) -> Target:
    """The store at ``read_dsn`` (a ``postgresql://`` URL; its schema is the primary's unless the
    URL names one), opened so that nothing is created there: a standby refuses every write."""
    if not isinstance(primary, PostgresTarget):
        raise UsageError("--read-dsn needs the store on PostgreSQL (--db postgresql://…): "
                         "a replica is a PostgreSQL standby of it")
    if not read_dsn.startswith(("postgresql://", "postgres://")):
        raise UsageError("--read-dsn must be a postgresql:// URL")
    if "schema=" not in read_dsn.partition("?")[2]:
        read_dsn += ("&" if "?" in read_dsn else "?") + f"schema={primary.pg['schema']}"
    target = resolve_target(read_dsn)
    return replace(target, display=target.display + " (read replica)",
                   env={**target.env, "CREATE_TABLE": "false"})


@dataclass(frozen=True)
class Freshness:
    """How stale a replica read may be: at most ``max_lag`` positions behind what the read needs,
    waiting up to ``wait`` seconds for it before refusing."""

    max_lag: int = 0
    wait: float = 5.0


class Replica:
    """The ledger on a read replica, and its freshness."""

    def __init__(self, ledger: Ledger, freshness: Freshness) -> None:
        self.ledger = ledger
        self.freshness = freshness

    @classmethod
    def open(cls, read_dsn: str, primary: Ledger, keys_dir: str | os.PathLike[str] | None = None,
             freshness: Freshness = Freshness()) -> Replica:
        """Open the replica of ``primary`` at ``read_dsn``; a store that is not the same ledger
        (other keys) is refused."""
        ledger = Ledger.open_target(replica_target(read_dsn, primary.target), keys_dir)
        if ledger.meta().get("signing_key_id") != primary.meta().get("signing_key_id"):
            ledger.close()
            raise UsageError(f"the store at {ledger.target.display} is not a replica of the ledger at "
                             f"{primary.target.display}: its keys differ")
        return cls(ledger, freshness)

    def close(self) -> None:
        self.ledger.close()

    def positions(self, names: Mapping[str, int]) -> dict[str, int]:
        """The replica's tracking position of each follower named (:data:`CHECKPOINT`: the latest
        checkpoint's tree size); 0 for a table that has not reached it yet."""
        out: dict[str, int] = {}
        with self.ledger.db.read() as cur:
            for name in names:
                params: tuple[str, ...] = ()
                if name == CHECKPOINT:
                    table, statement = self.ledger.db.table("checkpoints"), "SELECT MAX(tree_size) FROM {}"
                else:
                    table = tracking_table(self.ledger, name)
                    statement = "SELECT MAX(notification_id) FROM {} WHERE application_name = %s"
                    params = (f"Lokikirja/{name}",)
                exists = cur.scalar("SELECT to_regclass(%s)", (table,)) is not None
                out[name] = int(cur.scalar(statement.format(table), params) or 0) if exists else 0
        return out

    def _positions_or_unavailable(self, needs: Mapping[str, int]) -> dict[str, int]:
        try:
            return self.positions(needs)
        except psycopg.OperationalError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ReplicaUnavailable(f"the read replica at {self.ledger.target.display} cannot be read: {first}") \
                from None

    def await_fresh(self, needs: Mapping[str, int]) -> int:
        """Wait until the replica is at most ``max_lag`` positions behind ``needs`` (follower name →
        position on the primary) and holds the :data:`CHECKPOINT` needed, if any — a dossier's
        proofs are made against it, so no lag is allowed there; returns the followers' lag then.
        Raises :class:`ReplicaBehind` when that has not happened within ``wait`` seconds."""
        deadline = time.monotonic() + self.freshness.wait
        while True:
            have = self._positions_or_unavailable(needs)
            lag = max((max(0, need - have[name]) for name, need in needs.items() if name != CHECKPOINT), default=0)
            short = max(0, needs.get(CHECKPOINT, 0) - have.get(CHECKPOINT, 0))
            if lag <= self.freshness.max_lag and not short:
                return lag
            if time.monotonic() >= deadline:
                raise ReplicaBehind(max(lag, short), self.freshness.max_lag, self.freshness.wait)
            time.sleep(POLL_S)
