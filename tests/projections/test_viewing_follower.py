"""The views as a follower of their own (ADR 0025): however far the state runs ahead of the views,
the read model ends as one follower applying every page whole leaves it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import Ledger
from projections import schema
from projections.readmodel import _ADOPTED, ReadModel, Viewing, followers, read_model_position, rebuild
from tests.projections.conftest import caught_up
from tests.scenarios import EVENTS


@pytest.fixture(params=["in order", "reversed"])
def model(request: pytest.FixtureRequest, ledger: Ledger, tmp_path: Path) -> ReadModel:
    """The hand-built scenario caught up; reversed, every view arrives before the state it is
    judged against, so that state re-judges it when it comes."""
    return caught_up(ledger, tmp_path, EVENTS if request.param == "in order" else list(reversed(EVENTS)))


def _tables(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the read model, its rows sorted."""
    with ledger.db.read() as cur:
        return {name: sorted(map(tuple, cur.execute(f"SELECT * FROM {ledger.db.table('v_' + name)}").fetchall()),
                             key=repr)
                for name in schema.TABLES}


def _positions(ledger: Ledger) -> tuple[int, int]:
    model, viewing = followers(ledger)
    return model.position(), viewing.position()


def test_a_page_applied_whole_moves_both_followers(ledger: Ledger, scenario_model: ReadModel):
    end = ledger.max_position()
    assert _positions(ledger) == (end, end)
    assert scenario_model.viewing.catch_up() == 0


def _apart(ledger: Ledger, model: ReadModel, state_page: int, views_page: int, step: int) -> None:
    """Rebuild with the state up to ``step`` positions ahead of the views, in pages of the sizes given."""
    model.reset()
    assert _positions(ledger) == (0, 0)
    model.alone = True
    viewing = Viewing(ledger)
    end = ledger.max_position()
    for stop in range(step, end + step, step):
        model.catch_up(page=state_page, stop=min(stop, end))
        viewing.catch_up(page=views_page)
        assert viewing.position() == model.position()


@pytest.mark.parametrize("state_page, views_page, step", [(7, 5, 10**9), (7, 5, 23), (3, 11, 40)])
def test_views_judged_behind_the_state_end_as_the_whole_does(ledger: Ledger, model: ReadModel,
                                                            state_page: int, views_page: int, step: int):
    whole = _tables(ledger)
    assert any(whole["views"]) and any(r for r in whole["findings"] if "ACCESS" in repr(r))
    _apart(ledger, model, state_page, views_page, step)
    assert _tables(ledger) == whole


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), state_page=st.integers(1, 60), views_page=st.integers(1, 60),
       step=st.integers(5, 150))
def test_shuffled_facts_with_views_judged_apart_give_the_whole_read_model(
        tmp_path_factory: pytest.TempPathFactory, seed: int, state_page: int, views_page: int, step: int):
    """The order of the facts, the pages and how far the state runs ahead change nothing."""
    events = EVENTS[:]
    random.Random(seed).shuffle(events)
    tmp = tmp_path_factory.mktemp("apart")
    with Ledger.init(str(tmp / "apart.db"), tmp / "keys")[0] as ledger:
        model = caught_up(ledger, tmp, events)
        whole = _tables(ledger)
        _apart(ledger, model, state_page, views_page, step)
        assert _tables(ledger) == whole


def test_the_views_never_pass_the_state(ledger: Ledger, scenario_model: ReadModel):
    scenario_model.reset()
    scenario_model.alone = True
    scenario_model.catch_up(page=9, stop=50)
    viewing = Viewing(ledger)
    viewing.catch_up()
    assert viewing.position() <= scenario_model.position() <= 50
    assert read_model_position({"views": scenario_model.position(), "viewing": viewing.position()}) \
        == viewing.position()


def test_after_views_left_behind_the_next_catch_up_finishes_them(ledger: Ledger, model: ReadModel):
    """A rebuild whose second process died: the state is done, the views are not."""
    whole = _tables(ledger)
    model.reset()
    model.alone = True
    model.catch_up(page=13)
    assert _positions(ledger) == (ledger.max_position(), 0)
    for follower in followers(ledger):
        follower.catch_up()
    assert _tables(ledger) == whole
    assert _positions(ledger) == (ledger.max_position(), ledger.max_position())


def test_rebuild_gives_the_read_model_back(ledger: Ledger, model: ReadModel):
    """On PostgreSQL the views are judged in a second process; on SQLite the pages are whole."""
    whole = _tables(ledger)
    shown: list[tuple[str, int]] = []

    class Bar:
        def __init__(self, name: str, total: int) -> None:
            self.name = name

        def __enter__(self) -> Any:
            return lambda n: shown.append((self.name, n))

        def __exit__(self, *exc: object) -> None:
            return None

    assert rebuild(ledger, Bar) == ledger.max_position()
    assert _tables(ledger) == whole
    assert _positions(ledger) == (ledger.max_position(), ledger.max_position())
    assert sum(n for name, n in shown if name == "rebuild views") == ledger.max_position()


def test_a_store_followed_whole_before_the_split_starts_its_views_where_the_read_model_is(
        ledger: Ledger, scenario_model: ReadModel):
    whole = _tables(ledger)
    with ledger.db.write() as cur:  # as a store kept before ADR 0025: no viewing position
        cur.execute(f"DELETE FROM {Viewing(ledger)._tracking_table} WHERE application_name = 'Lokikirja/viewing'")
    assert Viewing(ledger).position() == 0
    _ADOPTED.pop(ledger, None)
    assert _positions(ledger) == (ledger.max_position(), ledger.max_position())
    for follower in followers(ledger):
        assert follower.catch_up() == 0
    assert _tables(ledger) == whole
