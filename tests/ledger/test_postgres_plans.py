"""A statement with an array parameter is planned for its array every time: never prepared, so
the server never settles on a generic plan that cannot know the array's length (a rebuild's
look-up of customers' transfers went from 3 ms to 120 ms a query on such a plan)."""

from __future__ import annotations

import pytest

from ledger.db import Cursor
from ledger.store import Ledger


def _prepared(cur: Cursor, fragment: str) -> int:
    return int(cur.scalar(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", (f"%{fragment}%",)))


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_statement_with_an_array_is_never_prepared_and_others_still_are(ledger: Ledger):
    db = ledger.db
    with db.write() as cur:
        cur.execute("CREATE TEMPORARY TABLE plan_probe (k text, n bigint)")
        cur.executemany("INSERT INTO plan_probe VALUES (%s, %s)", [(f"k{i}", i) for i in range(1000)])
        for i in range(12):  # psycopg prepares on the fifth use; the server goes generic after five more
            marks, params = db.in_list([f"k{j}" for j in range(i, i + 300)])
            marks_n, ints = db.in_list(list(range(i, i + 20)))
            assert len(cur.execute(f"SELECT n FROM plan_probe WHERE k IN {marks}", params).fetchall()) == 300
            relation, pairs = db.rows_relation(("text", "bigint"), [(f"k{j}", j) for j in range(i, i + 50)])
            assert len(cur.execute(f"WITH b(k, s) AS ({relation}) SELECT p.n FROM plan_probe p "
                                   "JOIN b ON p.k = b.k AND p.n >= b.s", pairs).fetchall()) == 50
            assert cur.scalar("SELECT n FROM plan_probe WHERE k = %s", (f"k{i}",)) == i
            assert len(cur.fetch_binary(f"SELECT k FROM plan_probe WHERE n IN {marks_n} ORDER BY n",
                                        ints)) == 20  # as the seal reads event rows
        assert _prepared(cur, "unnest") == 0
        assert _prepared(cur, "WHERE k = $1") == 1  # the check can see a prepared statement
