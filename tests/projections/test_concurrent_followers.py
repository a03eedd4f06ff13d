"""Two followers of one store (two processes, each with its own connections): a page offered by
both is applied once; the one that comes second writes nothing and reads on."""

from __future__ import annotations

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
