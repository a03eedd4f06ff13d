"""Organisation, user, customer and employer histories: "as of t" answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.events import Language, OrgKind
from policies.customers import CustomerChange, CustomerRegistration, Deregistration, Transfer, Withholding
from policies.history import CustomerHistory, EmployerHistory, EmployerRegistration, OrgHistory
from policies.localtime import HELSINKI, as_date, aware, local_date
from policies.orgs import MembershipChange, OrgRegistration
from policies.users import Grant, Revocation, UserHistory, UserRegistration
from tests.policies.helpers import at

T0 = at("2021-03-01 00:00")


def _orgs() -> OrgHistory:
    return OrgHistory(
        [OrgRegistration(T0, "e1", "area:a", OrgKind.EXPERIMENT_AREA, "te:x", ("fi",), frozenset({"091"})),
         OrgRegistration(T0, "e2", "te:x", OrgKind.TE_OFFICE),
         OrgRegistration(T0, "e3", "area:b", OrgKind.EXPERIMENT_AREA, "te:x", ("fi", "sv"), frozenset({"092"}))],
        [MembershipChange(at("2022-01-01 00:00"), "e4", "area:a", "245", joined=True),
         MembershipChange(at("2022-06-01 00:00"), "e5", "area:a", "091", joined=False),
         MembershipChange(at("2022-06-01 00:00"), "e6", "area:b", "091", joined=True)])


def test_area_membership_follows_joins_and_leaves() -> None:
    orgs = _orgs()
    assert orgs.municipalities_at("area:a", at("2021-02-28 23:59")) == frozenset()
    assert orgs.municipalities_at("area:a", T0) == {"091"}
    assert orgs.municipalities_at("area:a", at("2022-01-01 00:00")) == {"091", "245"}
    assert orgs.municipalities_at("area:a", at("2022-06-01 00:00")) == {"245"}
    assert orgs.area_of_municipality_at("091", at("2022-05-31 23:59")) == "area:a"
    assert orgs.area_of_municipality_at("091", at("2022-06-01 00:00")) == "area:b"
    assert orgs.area_of_municipality_at("999", T0) is None
    assert [s[2] for s in orgs.municipality_steps("091")] == ["area:a", "area:b"]


def test_organisation_kinds_te_offices_and_registration() -> None:
    orgs = _orgs()
    assert orgs.kind("area:a") is OrgKind.EXPERIMENT_AREA
    assert orgs.kind("te:unregistered") is OrgKind.TE_OFFICE  # the id's prefix implies the kind
    assert orgs.kind("keha") is OrgKind.KEHA
    assert orgs.kind(None) is None and orgs.kind("nonsense") is None
    assert orgs.is_te_office("te:x") and not orgs.is_te_office("area:a")
    assert orgs.te_office_of("area:b") == "te:x" and orgs.te_office_of("area:zz") is None
    assert orgs.languages_of("area:b") == ("fi", "sv")
    assert orgs.is_registered("te:x") and not orgs.is_registered("te:unregistered")
    assert orgs.organisations() == ("area:a", "area:b", "te:x")


def test_a_reregistration_replaces_the_areas_municipalities() -> None:
    orgs = OrgHistory([OrgRegistration(T0, "a", "area:a", OrgKind.EXPERIMENT_AREA, "te:x", (), frozenset({"091"})),
                       OrgRegistration(at("2022-01-01 00:00"), "b", "area:a", OrgKind.EXPERIMENT_AREA, "te:x", (),
                                       frozenset({"092"}))])
    assert orgs.area_of_municipality_at("091", at("2022-01-01 00:00")) is None
    assert orgs.area_of_municipality_at("092", at("2022-01-01 00:00")) == "area:a"


def test_overlapping_claims_resolve_to_the_smallest_area_id() -> None:
    orgs = OrgHistory([OrgRegistration(T0, "a", "area:b", OrgKind.EXPERIMENT_AREA, "te:x", (), frozenset({"091"})),
                       OrgRegistration(T0, "b", "area:a", OrgKind.EXPERIMENT_AREA, "te:x", (), frozenset({"091"}))])
    assert orgs.area_of_municipality_at("091", T0) == "area:a"


def _user() -> UserHistory:
    return UserHistory(
        "u:1",
        [UserRegistration(at("2021-03-10 09:00"), "r1", "area:a", True, "idx"),
         UserRegistration(at("2022-01-01 09:00"), "r2", "te:x", False, None)],
        [Grant(at("2021-03-10 09:00"), "g1", date(2021, 3, 10), date(2021, 12, 31)),
         Grant(at("2022-02-01 09:00"), "g2", date(2022, 2, 1))],
        [Revocation(at("2022-03-01 12:00"), "v1")])


@pytest.mark.parametrize(("when", "org", "duties"), [
    ("2021-03-01 08:00", None, None),  # before any registration: none is in force (CONTRACT §2)
    ("2021-03-10 08:59", None, None),
    ("2021-03-10 09:00", "area:a", True),
    ("2022-01-01 08:59", "area:a", True),
    ("2022-01-01 09:00", "te:x", False),
])
def test_a_users_organisation_is_the_latest_registration_in_force(when: str, org: str | None,
                                                                  duties: bool | None) -> None:
    assert (_user().org_at(at(when)), _user().main_duties_at(at(when))) == (org, duties)


def test_a_user_without_registration_has_no_organisation_and_a_hetu_index_comes_from_any_registration() -> None:
    assert UserHistory("u:2").org_at(T0) is None and UserHistory("u:2").main_duties_at(T0) is None
    assert _user().hetu_index == "idx" and UserHistory("u:2").hetu_index is None


@pytest.mark.parametrize(("when", "in_force"), [
    ("2021-03-10 08:59", False),  # the grant is not yet recorded
    ("2021-03-10 09:00", True),
    ("2021-12-31 23:59:59", True),  # valid_until is inclusive, local date
    ("2021-12-31T22:00:00+00:00", False),  # 1.1.2022 00:00 local
    ("2022-01-31 23:59", False),
    ("2022-02-01 09:00", True),
    ("2022-03-01 11:59", True),
    ("2022-03-01 12:00", False),  # revoked between the grant and the view
    ("2030-01-01 12:00", False),
])
def test_an_access_right_is_in_force_within_its_dates_until_revoked(when: str, in_force: bool) -> None:
    assert _user().right_in_force(at(when)) is in_force


def test_valid_from_is_a_local_date() -> None:
    user = UserHistory("u:1", grants=[Grant(at("2021-01-01 00:00"), "g", date(2021, 6, 1))])
    assert not user.right_in_force(at("2021-05-31T20:59:59+00:00"))  # 23:59:59 local on 31.5.
    assert user.right_in_force(at("2021-05-31T21:00:00+00:00"))  # 00:00 local on 1.6.


_EDGES = [date.min, date(1, 1, 2), date(1921, 4, 30), date(1921, 5, 1), date(1942, 4, 3), date(1942, 4, 4),
          date(2022, 3, 27), date(2022, 10, 30), date(9999, 12, 30), date.max]


@settings(max_examples=400, deadline=None)
@given(valid_from=st.one_of(st.sampled_from(_EDGES), st.dates()),
       valid_until=st.one_of(st.none(), st.sampled_from(_EDGES), st.dates()),
       t=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)),
                                                HELSINKI])))
def test_a_grants_dates_are_compared_as_the_local_date_of_the_instant(valid_from: date, valid_until: date | None,
                                                                      t: datetime) -> None:
    """The right in force compares instants with each grant's window (taken once); the contract's
    definition compares the local date: both agree at every instant, at the edges of time too."""
    granted = datetime.min.replace(tzinfo=UTC)
    user = UserHistory("u:1", grants=[Grant(granted, "g", valid_from, valid_until)])
    day = local_date(t)
    in_dates = valid_from <= day and (valid_until is None or day <= valid_until)
    assert user.right_in_force(t) is (granted <= t and in_dates)


def test_a_grant_after_a_revocation_restores_the_right_and_ties_order_by_event_id() -> None:
    t = at("2022-01-01 09:00")
    user = UserHistory("u:1", grants=[Grant(t, "b", date(2021, 1, 1))], revocations=[Revocation(t, "a")])
    assert user.right_in_force(t)  # revocation "a" orders before grant "b"
    user = UserHistory("u:1", grants=[Grant(t, "a", date(2021, 1, 1))], revocations=[Revocation(t, "b")])
    assert not user.right_in_force(t)


def _customer() -> CustomerHistory:
    reg = CustomerRegistration(at("2021-03-01 10:00"), "c1", "te:x", "091", date(1990, 1, 1), True, False,
                               Language.FI, "idx-c")
    return CustomerHistory.build(
        "c:1", registrations=[reg],
        transfers=[Transfer(at("2021-03-05 10:00"), "c2", "te:x", "area:a", "experiment_start")],
        changes=[CustomerChange(at("2021-04-01 10:00"), "c3", {"language": "sv", "home_municipality": "092"})],
        withholdings=[Withholding(at("2021-05-01 10:00"), "c4", "linguistic_rights")],
        deregistrations=[Deregistration(at("2021-06-01 10:00"), "c5")])


@pytest.mark.parametrize(("when", "responsible", "withheld"), [
    ("2021-03-01 09:59", None, False),
    ("2021-03-01 10:00", "te:x", False),
    ("2021-03-05 10:00", "area:a", False),
    ("2021-05-01 10:00", "area:a", True),
    ("2021-06-01 10:00", None, False),
])
def test_the_responsible_organisation_follows_registration_transfers_and_deregistration(
        when: str, responsible: str | None, withheld: bool) -> None:
    c = _customer()
    assert c.responsible_at(at(when)) == responsible
    assert c.withheld_at(at(when)) is withheld


def test_attributes_follow_changes_and_fall_back_to_the_first_registration() -> None:
    c = _customer()
    before = c.attributes_at(at("2021-01-01 00:00"))
    assert before is not None and before.home_municipality == "091"
    later = c.attributes_at(at("2021-04-01 10:00"))
    assert later is not None and (later.home_municipality, later.language) == ("092", Language.SV)
    assert c.hetu_index == "idx-c"
    assert c.home_municipalities() == {"091", "092"}
    assert c.responsibility_intervals() == (
        ("te:x", at("2021-03-01 10:00"), at("2021-03-05 10:00")),
        ("area:a", at("2021-03-05 10:00"), at("2021-06-01 10:00")))


def test_a_transfer_while_not_registered_changes_nothing_and_a_reregistration_starts_afresh() -> None:
    reg = CustomerRegistration(at("2021-03-01 10:00"), "c1", "te:x", "091", date(1990, 1, 1), True, False,
                               Language.FI)
    again = CustomerRegistration(at("2021-08-01 10:00"), "c4", "te:y", "091", date(1990, 1, 1), True, False,
                                 Language.FI)
    c = CustomerHistory.build(
        "c:1", registrations=[reg, again], deregistrations=[Deregistration(at("2021-06-01 10:00"), "c2")],
        transfers=[Transfer(at("2021-07-01 10:00"), "c3", "te:x", "area:a", "correction")])
    assert c.responsible_at(at("2021-07-01 10:00")) is None
    assert c.responsible_at(at("2021-08-01 10:00")) == "te:y"
    assert c.registered_at(at("2021-08-01 10:00")) and not c.registered_at(at("2021-07-01 10:00"))


def test_facts_at_the_same_instant_give_one_state() -> None:
    t = at("2021-03-01 10:00")
    reg = CustomerRegistration(t, "a", "te:x", "091", date(1990, 1, 1), True, False, Language.FI)
    c = CustomerHistory.build("c:1", registrations=[reg], transfers=[Transfer(t, "b", "te:x", "area:a", "moved_in")])
    assert c.responsibility_intervals() == (("area:a", t, None),)
    assert c.events_at(t) == ("a", "b") and c.last_event_before(t) is None


def test_employer_municipality_uses_the_latest_registration_in_force_or_the_first() -> None:
    e = EmployerHistory("e:1", [EmployerRegistration(at("2021-05-01 00:00"), "b", "091"),
                                EmployerRegistration(at("2022-01-01 00:00"), "a", None)])
    assert e.municipality_at(at("2021-01-01 00:00")) == "091"
    assert e.municipality_at(at("2022-01-01 00:00")) is None
    assert EmployerHistory("e:2", []).municipality_at(T0) is None


def test_times_without_an_offset_and_malformed_dates_are_refused() -> None:
    from datetime import datetime

    with pytest.raises(ValueError):
        aware(datetime(2021, 1, 1))
    with pytest.raises(TypeError):
        as_date(datetime(2021, 1, 1))
    with pytest.raises(TypeError):
        as_date(20210101)
