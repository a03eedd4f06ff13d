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


def test_a_persons_access_log_read_in_two_look_ups_equals_the_per_view_one(scenario_model: ReadModel) -> None:
    """``access_log`` of subjects reads the findings by subject; the streamed form probes them per
    view. The same rows for every subject of the scenario, with and without a window."""
    db = scenario_model.db
    with db.read() as cur:
        subjects = [r[0] for r in cur.execute(f"SELECT DISTINCT subject FROM {db.table('v_views')}")]
        for window in (queries.Window(), queries.Window(since=1_617_235_200_000_000, until=1_619_827_200_000_000)):
            for subject in [*subjects, "c:nobody"]:
                quick = queries.access_log(db, cur, subjects=[subject], window=window)
                assert quick == list(queries.iter_access_log(db, cur, subjects=[subject], window=window,
                                                             streamed=False)), subject
            everyone = queries.access_log(db, cur, subjects=subjects)
    assert len(subjects) > 5
    assert any(row["findings"] for row in everyone)
