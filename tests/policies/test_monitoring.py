"""Log monitoring: off-hours views (Helsinki local time, holidays, DST) and bulk viewing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ledger.events import Rule, Severity
from policies.monitoring import (
    BULK_THRESHOLD,
    BulkDetector,
    BulkView,
    bulk_states,
    bulk_verdict,
    is_off_hours,
    off_hours_reason,
    public_holiday,
    resume_bulk,
)
from tests.policies.helpers import at


@pytest.mark.parametrize(("when", "off"), [
    # winter (EET, +02:00), a Wednesday
    ("2022-01-12T18:59:59+02:00", False), ("2022-01-12T19:00:00+02:00", True),
    ("2022-01-12T06:59:59+02:00", True), ("2022-01-12T07:00:00+02:00", False),
    # summer (EEST, +03:00), a Wednesday
    ("2022-06-15T18:59:00+03:00", False), ("2022-06-15T19:00:00+03:00", True),
    ("2022-06-15T06:59:00+03:00", True), ("2022-06-15T07:00:00+03:00", False),
    # the same local hours given in UTC
    ("2022-01-12T16:59:00Z", False), ("2022-01-12T17:00:00Z", True),
    ("2022-06-15T15:59:00Z", False), ("2022-06-15T16:00:00Z", True),
    ("2022-06-15T03:59:00Z", True), ("2022-06-15T04:00:00Z", False),
    # the Monday after the spring DST change and the Friday before it
    ("2022-03-28T03:59:00Z", True), ("2022-03-28T04:00:00Z", False),
    ("2022-03-25T04:59:00Z", True), ("2022-03-25T05:00:00Z", False),
])
def test_office_hours_are_07_to_19_local_in_winter_and_summer(when: str, off: bool) -> None:
    assert is_off_hours(at(when)) is off


@pytest.mark.parametrize("when", [
    "2022-03-14T17:30:00Z",  # 17:30 UTC looks like office hours; it is 19:30 in Helsinki
    "2022-03-18T22:30:00Z",  # a Friday evening in UTC is Saturday 00:30 in Helsinki
])
def test_a_utc_time_off_hours_only_in_local_time(when: str) -> None:
    assert is_off_hours(at(when))


def test_a_utc_time_that_looks_early_can_be_office_hours_locally() -> None:
    assert not is_off_hours(at("2022-06-15T04:30:00Z"))  # 07:30 EEST


@pytest.mark.parametrize(("day", "name"), [
    ("2022-04-15", "Good Friday"), ("2022-04-18", "Easter Monday"), ("2022-05-26", "Ascension Day"),
    ("2022-12-06", "Independence Day"), ("2021-01-06", "Epiphany"), ("2022-06-24", "Midsummer Eve"),
    ("2021-12-24", "Christmas Eve"), ("2023-05-01", "May Day"),
])
def test_finnish_public_holidays_are_off_hours_all_day(day: str, name: str) -> None:
    assert public_holiday(datetime.fromisoformat(day).date()) == name
    reason = off_hours_reason(at(f"{day} 10:00"))
    assert reason == f"on a Finnish public holiday ({name})"


@pytest.mark.parametrize(("when", "reason"), [
    ("2022-04-14 10:00", None),  # Maundy Thursday is a working day
    ("2022-03-19 10:00", "on a Saturday"),
    ("2022-03-20 10:00", "on a Sunday"),
    ("2022-03-21 06:00", "before 07:00"),
    ("2022-03-21 23:00", "from 19:00 on"),
])
def test_weekends_and_working_days(when: str, reason: str | None) -> None:
    assert off_hours_reason(at(when)) == reason


# --------------------------------------------------------------------------- bulk

T0 = at("2022-03-14 09:00")


def _views(n: int, *, step: timedelta = timedelta(seconds=30), start: datetime = T0, prefix: str = "c:",
           first: int = 0) -> list[BulkView]:
    return [BulkView(start + i * step, f"ev-{start:%H%M%S}-{i:05d}", f"{prefix}{first + i}") for i in range(n)]


def _triggers(views: list[BulkView]) -> list[int]:
    return [i for i, s in enumerate(bulk_states(views)) if s.triggered]


def test_the_50th_distinct_customer_within_60_minutes_triggers_once() -> None:
    views = _views(60)
    states = bulk_states(views)
    assert [s.count for s in states[:51]] == list(range(1, 52))
    assert _triggers(views) == [49]  # the 50th view
    assert not states[48].triggered and states[49].triggered and not states[49].armed_after


def test_49_distinct_customers_do_not_trigger() -> None:
    assert _triggers(_views(BULK_THRESHOLD - 1)) == []


def test_repeated_views_of_one_customer_and_employer_views_do_not_count() -> None:
    views = [*_views(49), BulkView(T0 + timedelta(minutes=30), "z-1", "c:0"),
             BulkView(T0 + timedelta(minutes=31), "z-2", "e:1234567-1")]
    states = bulk_states(sorted(views, key=lambda v: v.order))
    assert max(s.count for s in states) == 49 and not any(s.triggered for s in states)


def test_the_window_is_inclusive_at_60_minutes() -> None:
    first = [BulkView(T0, "a-00", "c:first")]
    rest = _views(48, step=timedelta(seconds=1), start=T0 + timedelta(minutes=59))
    edge = [BulkView(T0 + timedelta(minutes=60), "z-edge", "c:edge")]
    assert _triggers(first + rest + edge) == [49]
    late = [BulkView(T0 + timedelta(minutes=60, microseconds=1), "z-edge", "c:edge")]
    assert _triggers(first + rest + late) == []


def test_no_second_finding_while_the_count_stays_at_50_and_re_arming_after_it_falls() -> None:
    burst = _views(55)  # 09:00 to 09:27
    steady = _views(40, step=timedelta(minutes=1), start=T0 + timedelta(minutes=28), first=100)
    assert _triggers(burst + steady) == [49]
    # a quiet hour lets the count fall below 50: the next 50 trigger again
    again = _views(50, start=T0 + timedelta(hours=3), first=500)
    assert _triggers(burst + again) == [49, 55 + 49]


def test_re_arming_is_decided_by_the_count_just_before_the_view() -> None:
    # 50 views in the first minute trigger; the first falls out of the window just before view 51
    views = _views(50, step=timedelta(seconds=1))
    views.append(BulkView(T0 + timedelta(minutes=60, seconds=1), "z-1", "c:new"))
    states = bulk_states(views)
    assert states[50].count == 50 and states[50].triggered  # count before it was 49: re-armed


def test_ties_at_one_instant_are_ordered_by_event_id() -> None:
    views = sorted((BulkView(T0, f"ev-{i:03d}", f"c:{i}") for i in range(50)), key=lambda v: v.order)
    assert _triggers(views) == [49] and views[49].event == "ev-049"


def test_views_must_come_in_order() -> None:
    detector = BulkDetector()
    detector.feed(BulkView(T0, "b", "c:1"))
    with pytest.raises(ValueError):
        detector.feed(BulkView(T0, "a", "c:2"))


@pytest.mark.parametrize("start", [0, 1, 30, 49, 50, 70, 119])
def test_resuming_with_context_equals_a_full_recomputation(start: int) -> None:
    views = _views(60) + _views(60, start=T0 + timedelta(minutes=95), first=1000)
    full = bulk_states(views)
    armed = True if start == 0 else full[start - 1].armed_after
    assert bulk_states(views, start=start, armed_before=armed) == full[start:]


def test_resume_bulk_stops_once_the_stored_states_are_unchanged() -> None:
    old = _views(49) + _views(200, step=timedelta(minutes=2), start=T0 + timedelta(minutes=90), first=100)
    stored = bulk_states(old)
    assert not any(s.triggered for s in stored)
    new = BulkView(T0 + timedelta(minutes=40), "zz-new", "c:new")
    views = sorted([*old, new], key=lambda v: v.order)
    k = views.index(new)
    stored_armed = [None if v is new else stored[old.index(v)].armed_after for v in views[k:]]
    part = resume_bulk(views, start=k, armed_before=stored[k - 1].armed_after, stored_armed=stored_armed,
                       settled_after=new.at + timedelta(minutes=60))
    full = bulk_states(views)
    assert part == full[k:k + len(part)]
    assert len(part) < len(views) - k  # stopped early
    assert any(s.triggered for s in part)


def test_the_bulk_verdict_names_the_user_and_the_customer_only() -> None:
    v = bulk_verdict(user="u:a", subject="c:b", org="area:a", count=50, at=T0)
    assert (v.rule, v.severity, v.user, v.subject, v.org) == (Rule.ACCESS_BULK, Severity.MEDIUM, "u:a", "c:b",
                                                              "area:a")
    assert "50" in v.explanation
