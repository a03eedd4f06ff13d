"""Crypto-shredding of a customer's personal data (GDPR Art. 17; CONTRACT §6 ``erase``).

Erasing a customer appends ``subject.erased`` (who, why) **and** deletes the customer's data key
in the same transaction: either both happen or neither. Afterwards the HETU and name in the log
are ciphertext no key opens (``[erased]`` wherever shown); the log itself is untouched, so its
Merkle leaves and checkpoints still verify, and the pseudonymous facts and findings stay
(accountability: GDPR Art. 17(3)(b) and (e), docs/privacy.md).

- Idempotent: a customer already erased is reported as such and nothing is appended.
- A customer of whom the ledger holds no personal data (no fact ever registered it) is
  :class:`~ledger.errors.UnknownSubject`; nothing is appended.
- The database is then asked to drop the deleted bytes (:func:`scrub_key_store`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.db import Database
from ledger.errors import UnknownSubject, UsageError
from ledger.events import TEXT_LIMITS
from ledger.identifiers import CUSTOMER_RE, SYSTEM_ACTOR_RE, USER_RE, screen_free_text
from ledger.own_facts import build_own_fact
from ledger.store import Ledger

CHUNK = 500


@dataclass(frozen=True)
class Erasure:
    """What erasing one customer did: ``status`` is ``erased`` or ``already_erased``."""

    customer: str
    status: str
    event: str | None = None
    position: int | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ErasureRun:
    """The erasures of one command, and whether the database dropped every deleted byte."""

    erasures: list[Erasure]
    scrubbed: bool

    @property
    def erased(self) -> int:
        return sum(e.status == "erased" for e in self.erasures)


def check_request(customers: Sequence[str], *, reason: str, actor: str) -> None:
    """Refuse malformed requests before anything is opened (``UsageError``, one sentence)."""
    if not reason or not reason.strip():
        raise UsageError("give --reason TEXT: why the customer's personal data is erased (it is recorded)")
    try:
        screen_free_text(reason, limit=TEXT_LIMITS["reason"])
    except ValueError as e:
        raise UsageError(f"--reason {e}") from None
    if USER_RE.fullmatch(actor) is None and SYSTEM_ACTOR_RE.fullmatch(actor) is None:
        raise UsageError("--as must be a user id of the form u:<token>")
    for customer in customers:
        if CUSTOMER_RE.fullmatch(customer) is None:
            raise UsageError("only a customer's personal data can be erased: give an id of the form c:<token>")


def erase_customers(ledger: Ledger, customers: Sequence[str], *, reason: str, actor: str) -> ErasureRun:
    """Erase each customer (in order, chunks of :data:`CHUNK` per transaction).

    Every customer is checked first: when any is unknown, nothing at all is erased.
    """
    check_request(customers, reason=reason, actor=actor)
    wanted = list(dict.fromkeys(customers))
    with ledger.db.read() as cur:
        states = ledger.data_keys.states(cur, wanted)
    unknown = [c for c in wanted if states[c] == "unknown"]
    if unknown:
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise UnknownSubject(f"the ledger holds no personal data of {unknown[0]}{more}: "
                             "no event registers that customer, so there is nothing to erase")
    done: list[Erasure] = []
    for i in range(0, len(wanted), CHUNK):
        done += _erase_chunk(ledger, wanted[i : i + CHUNK], reason=reason, actor=actor)
    erased_any = any(e.status == "erased" for e in done)
    return ErasureRun(done, scrub_key_store(ledger.db) if erased_any else True)


def _erase_chunk(ledger: Ledger, customers: list[str], *, reason: str, actor: str) -> list[Erasure]:
    """One transaction: append ``subject.erased`` for each live customer and destroy its key."""
    keys = ledger.data_keys
    with ledger.appending() as tx:
        states = keys.states(tx.cur, customers)  # again, under the append lock
        live = [c for c in customers if states[c] == "live"]
        facts = [build_own_fact(ledger, "subject.erased", actor, {"subject": c, "reason": reason}) for c in live]
        positions = dict(zip(live, tx.insert(facts), strict=True))
        ids = {c: str(f.id) for c, f in zip(live, facts, strict=True)}
        for customer in live:
            keys.destroy(tx.cur, customer, ids[customer])
    return [Erasure(c, "erased", ids[c], positions[c]) if c in positions else Erasure(c, "already_erased")
            for c in customers]


def scrub_key_store(db: Database) -> bool:
    """Make the database drop the bytes of destroyed data keys; True when it fully could.

    SQLite: with ``secure_delete`` on, every row of the keys table is deleted (its pages are
    zeroed, including stale cell copies that earlier page splits may have left) and written
    back, in one write transaction; then ``wal_checkpoint(TRUNCATE)`` empties the write-ahead log
    (False when a reader elsewhere kept it from truncating: it is cleaned at a later checkpoint).
    The log's table is never rewritten (``VACUUM`` could renumber its rowids, the positions).
    PostgreSQL: ``VACUUM (FULL)`` rewrites the keys table into a new file, unlinking the old one.
    What no database can promise (file-system blocks, PostgreSQL's WAL, backups) is covered by
    rotating the master key (docs/privacy.md).
    """
    return db.scrub(db.table("data_keys"))
