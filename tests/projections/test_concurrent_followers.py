"""Two followers of one store (two processes, each with its own connections): a page offered by
both is applied once; the one that comes second writes nothing and reads on."""

from __future__ import annotations

import pytest

from ledger.store import Ledger
from projections import queries
from projections.readmodel import ReadModel


def _findings(ledger: Ledger) -> list[dict[str, object]]:
    with ledger.db.read() as cur:
        return queries.findings(ledger.db, cur)


def test_a_page_applied_by_another_follower_is_not_applied_again(ledger: Ledger, scenario_model: ReadModel,
                                                                 db_url: str, keys_dir) -> None:
    expected = _findings(ledger)
    scenario_model.reset()
    with Ledger.open(db_url, keys_dir) as other_process:
        first, second = ReadModel(ledger), ReadModel(other_process)
        first.page_start = start = first.position()
        page = list(ledger.read_log(start, limit=50))
        assert second.catch_up(page=50) > 50  # the other follower gets there first, and further
        assert first._apply_page(page, page[-1].position) is False
        first.page_start = None
        assert first.catch_up() == 0
        assert first.position() == second.position() == ledger.max_position()
    assert _findings(ledger) == expected


def test_opening_a_follower_beside_a_page_being_written_is_no_deadlock(ledger: Ledger, db_url: str,
                                                                       keys_dir) -> None:
    """Issue 17.9: a process opening the read model runs its idempotent DDL (``CREATE INDEX IF
    NOT EXISTS`` share-locks each table) while another writes a page into the read model's tables.
    The DDL used to run in one transaction, holding the first tables' locks while it waited for
    the page: the page, going on to those tables, deadlocked with it. Now one statement a transaction."""
    if ledger.db.kind != "postgres":
        pytest.skip("table locks: PostgreSQL")
    import threading

    import psycopg

    ReadModel(ledger)  # the tables exist
    with ledger.db.datastore.get_connection() as page:
        page.execute("SET lock_timeout = '20s'")
        with page.transaction():
            page.execute(f"LOCK TABLE {ledger.db.table('v_findings')} IN ROW EXCLUSIVE MODE")
            opened: list[BaseException | None] = []

            def open_follower() -> None:
                try:
                    with Ledger.open(db_url, keys_dir) as other_process:
                        ReadModel(other_process)
                    opened.append(None)
                except BaseException as e:  # reported below
                    opened.append(e)

            thread = threading.Thread(target=open_follower)
            thread.start()
            thread.join(3)  # it now waits for the findings table, after the user_facts index
            try:
                page.execute(f"LOCK TABLE {ledger.db.table('v_user_facts')} IN ROW EXCLUSIVE MODE")
            except psycopg.errors.DeadlockDetected:
                pytest.fail("the page deadlocked with the follower's DDL")
        thread.join(30)
    assert opened == [None]
