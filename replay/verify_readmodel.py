"""``verify --read-model``: is the read model what the log says it is?

The read model (``projections/``) is derived data in the same database as the log; whoever can
write the database can delete findings, and nothing in the Merkle seal would notice — the log is
intact. So the check derives it again, independently of the live tables: the facts up to the
read model's tracked position are copied, as stored (personal fields stay ciphertext; the rules
need none of them in clear), into a scratch SQLite store in a temporary folder, the same
projection code builds a fresh read model there, and every table is compared:

- ``findings`` row by row (by finding id), naming the first finding missing, added or changed;
- every other table by an order-independent digest of its rows (SHA-256 of each row, summed
  modulo 2^256), naming the table that differs.

Columns named ``position`` are left out of the comparison: the scratch store numbers its facts
1…n, the live one by eventsourcing's notification id (with gaps on PostgreSQL). Memory stays
bounded (facts are copied a page at a time; digests are running sums). The cost is a rebuild
(docs/performance.md: about 11k–12k facts/s) plus a read of every table.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ledger.db import Cursor, Database
from ledger.store import Ledger
from projections import schema
from projections.readmodel import followers
from projections.table import Table

PAGE = 5000
_MOD = 1 << 256


@dataclass(frozen=True)
class ReadModelReport:
    ok: bool
    facts: int
    tables: int
    difference: str | None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "facts": self.facts, "tables": self.tables, "difference": self.difference}


def _columns(table: Table[Any]) -> list[str]:
    """The column names of a read-model table, ``position`` left out."""
    return [n for n in table.names if n != "position"]


def _rows(db: Database, cur: Cursor, table: str, columns: list[str],
          order: str | None = None) -> Iterator[tuple[Any, ...]]:
    statement = f"SELECT {', '.join(columns)} FROM {db.table('v_' + table)}"
    if order:
        statement += f" ORDER BY {order}"
    yield from cur.stream(statement, size=PAGE)


class _Digest(NamedTuple):
    total: int  #: the sum of the rows' SHA-256 (order-independent)
    count: int


def _digest(rows: Iterator[tuple[Any, ...]]) -> _Digest:
    total, count = 0, 0
    for row in rows:
        encoded = repr(tuple(_plain(v) for v in row)).encode("utf-8", "surrogatepass")
        total = (total + int.from_bytes(hashlib.sha256(encoded).digest(), "big")) % _MOD
        count += 1
    return _Digest(total, count)


def _plain(value: Any) -> Any:
    """One representation on both backends (PostgreSQL bytea and SQLite blob, bools as ints)."""
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, bool):
        return int(value)
    return value


def verify_read_model(ledger: Ledger, progress: Callable[[int], None] | None = None) -> ReadModelReport:
    """Rebuild the read model from the log in a scratch store and compare (see the module docstring)."""
    live = followers(ledger)[0]
    upto = live.position()
    with tempfile.TemporaryDirectory(prefix="lokikirja-verify-") as folder:
        scratch, _ = Ledger.init(str(Path(folder) / "scratch.db"), Path(folder) / "keys")
        with scratch:
            copied = 0
            page: list[Any] = []
            for fact in ledger.read_log(0, upto):
                page.append(fact)
                if len(page) >= PAGE:
                    copied += _copy(scratch, page, progress)
                    page = []
            copied += _copy(scratch, page, progress)
            for follower in followers(scratch):
                follower.catch_up()
            with ledger.db.read() as mine, scratch.db.read() as theirs:
                difference = _compare(ledger.db, mine, scratch.db, theirs)
    return ReadModelReport(difference is None, copied, len(schema.TABLES), difference)


def _copy(scratch: Ledger, facts: list[Any], progress: Callable[[int], None] | None) -> int:
    if not facts:
        return 0
    with scratch.appending() as tx:
        tx.insert(facts)
    if progress is not None:
        progress(len(facts))
    return len(facts)


def _compare(live_db: Database, live: Cursor, scratch_db: Database, scratch: Cursor) -> str | None:
    findings = _columns(schema.TABLES["findings"])
    by_id = live_db.byte_order("finding")  # byte order, as SQLite's
    found = _compare_findings(_rows(live_db, live, "findings", findings, by_id),
                              _rows(scratch_db, scratch, "findings", findings, "finding"), findings)
    if found is not None:
        return found
    for table, definition in schema.TABLES.items():
        if table == "findings":
            continue
        columns = _columns(definition)
        mine = _digest(_rows(live_db, live, table, columns))
        theirs = _digest(_rows(scratch_db, scratch, table, columns))
        if mine != theirs:
            return (f"the read model's table {table} differs from the one the log derives ({mine.count} rows, "
                    f"{theirs.count} expected): it was altered; run `lokikirja rebuild`")
    return None


def _compare_findings(mine: Iterator[tuple[Any, ...]], theirs: Iterator[tuple[Any, ...]],
                      columns: list[str]) -> str | None:
    """Merge the two finding lists by id; the first finding missing, added or changed."""
    key, rule, event = columns.index("finding"), columns.index("rule"), columns.index("event")
    a, b = next(mine, None), next(theirs, None)
    while a is not None or b is not None:
        if b is not None and (a is None or a[key] > b[key]):
            return (f"the finding {b[key]} ({b[rule]} on event {b[event]}) that the log derives is missing from "
                    "the read model: it was deleted; run `lokikirja rebuild`")
        if a is not None and (b is None or a[key] < b[key]):
            return (f"the read model holds the finding {a[key]} ({a[rule]} on event {a[event]}) that the log does "
                    "not derive: it was inserted; run `lokikirja rebuild`")
        if a is None or b is None:  # unreachable: one of the two branches above returned
            break
        if tuple(map(_plain, a)) != tuple(map(_plain, b)):
            changed = next(c for c, x, y in zip(columns, a, b, strict=True) if _plain(x) != _plain(y))
            return (f"the finding {a[key]} ({b[rule]} on event {b[event]}) differs from what the log derives in "
                    f"its {changed}: it was altered; run `lokikirja rebuild`")
        a, b = next(mine, None), next(theirs, None)
    return None
