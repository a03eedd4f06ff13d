"""Property: the bulk detector resumed from stored states equals a full recomputation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.monitoring import BULK_WINDOW, BulkState, BulkView, bulk_states, resume_bulk

BASE = datetime(2022, 3, 14, 7, 0, tzinfo=UTC)

views = st.builds(
    lambda minute, second, subject, i: BulkView(BASE + timedelta(minutes=minute, seconds=second), f"ev-{i:012x}",
                                                subject),
    st.integers(0, 300), st.sampled_from([0, 0, 30]),  # many ties and the window's exact edge
    st.one_of(st.integers(0, 150).map(lambda n: f"c:{n}"), st.just("e:0000001-9")),
    st.integers(0, 2**48),
)
bursts = st.integers(0, 240).flatmap(lambda m: st.lists(
    st.builds(lambda s, n, i: BulkView(BASE + timedelta(minutes=m, seconds=s), f"ev-b{i:012x}", f"c:{n}"),
              st.integers(0, 1200), st.integers(0, 150), st.integers(0, 2**48)), min_size=45, max_size=80))


def _sorted(items: list[BulkView]) -> list[BulkView]:
    """Sorted, one view per event id (the first one given)."""
    unique: dict[str, BulkView] = {}
    for v in items:
        unique.setdefault(v.event, v)
    return sorted(unique.values(), key=lambda v: v.order)


@settings(max_examples=80, deadline=None)
@given(st.lists(views, max_size=80), bursts, st.lists(views, min_size=1, max_size=15), bursts | st.just([]))
def test_resuming_from_stored_states_equals_a_full_recomputation(old_views: list[BulkView], burst: list[BulkView],
                                                                 new_views: list[BulkView],
                                                                 late_burst: list[BulkView]) -> None:
    old = _sorted(old_views + burst)
    old_ids = {v.event for v in old}
    new = _sorted([v for v in new_views + late_burst if v.event not in old_ids])
    new_ids = {v.event for v in new}
    if not new:
        return
    everything = _sorted(old + new)
    stored = dict(zip((v.event for v in old), bulk_states(old), strict=True))
    full = bulk_states(everything)

    k = next(i for i, v in enumerate(everything) if v.event in new_ids)
    armed = True if k == 0 else stored[everything[k - 1].event].armed_after
    settled = max(v.at for v in everything if v.event in new_ids) + BULK_WINDOW

    # what a caller with a database does: only the window before view k as context
    context = [v for v in everything[:k] if v.at >= everything[k].at - BULK_WINDOW]
    sequence = context + everything[k:]
    stored_armed = [stored[v.event].armed_after if v.event in stored else None for v in everything[k:]]
    part = resume_bulk(sequence, start=len(context), armed_before=armed, stored_armed=stored_armed,
                       settled_after=settled)

    merged: list[BulkState] = [stored[v.event] for v in everything[:k]] + part
    merged += [stored[v.event] for v in everything[k + len(part):]]
    assert merged == full
    assert bulk_states(sequence, start=len(context), armed_before=armed) == full[k:]
