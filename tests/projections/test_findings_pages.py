"""Keyset pages of findings: every page size walks the same list as one query, in the same order."""

from __future__ import annotations

import pytest

from projections import queries
from projections.readmodel import ReadModel


@pytest.mark.parametrize("size", [1, 2, 7, 10_000])
def test_pages_of_any_size_make_the_whole_list(scenario_model: ReadModel, size: int) -> None:
    db = scenario_model.db
    with db.read() as cur:
        whole = queries.findings(db, cur)
        walked, after, pages = [], None, 0
        while True:
            page, after = queries.findings_page(db, cur, limit=size, after=after)
            walked += page
            pages += 1
            if after is None:
                break
        assert queries.count_findings(db, cur) == len(whole)
    assert len(whole) > 10
    assert walked == whole
    assert pages == -(-len(whole) // size) if size < len(whole) else pages == 1


def test_pages_keep_the_filters(scenario_model: ReadModel) -> None:
    db = scenario_model.db
    with db.read() as cur:
        whole = queries.findings(db, cur, severity="high")
        first, after = queries.findings_page(db, cur, limit=3, severity="high")
        assert after is not None
        rest, end = queries.findings_page(db, cur, limit=len(whole), after=after, severity="high")
    assert end is None
    assert first + rest == whole
