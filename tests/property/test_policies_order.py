"""Property: verdicts never depend on the order in which facts are presented to the histories,
nor on the UTC offset an instant is written in (CONTRACT §2)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.events import DecisionKind, Purpose
from policies.facts import Fact, Row
from policies.history import CustomerHistory, EmployerHistory, OrgHistory, UserHistory
from policies.judge import acting_org, judge, unknown_references
from policies.transfer import episodes, missed_transfers, missed_verdict, next_check_at
from policies.world import REGISTERING, InMemoryWorld

BASE = datetime(2022, 2, 20, 6, 0, tzinfo=UTC)
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=3)), timezone(timedelta(hours=-5))]
ORGS = ["keha", "te:a", "te:b", "area:x", "area:y"]
MUNIS = ["091", "092", "093"]
USERS = ["u:0", "u:1", "u:2", "u:3"]
CUSTOMERS = ["c:0", "c:1", "c:2", "c:3"]
EMPLOYERS = ["e:0000001-9", "e:0000002-7"]
HETU_INDEXES = st.sampled_from(["h0", "h1", "h2"])

times = st.integers(0, 24 * 40).map(lambda h: BASE + timedelta(hours=h))  # hourly grid: many ties
dates = st.integers(-5, 45).map(lambda d: (BASE + timedelta(days=d)).date().isoformat())


def _fact(type_: str, at: datetime, actor: str, **data: Any) -> st.SearchStrategy[Fact]:
    hetu_index = data.pop("hetu_index", None)
    return st.builds(lambda i: Fact(str(i), type_, at, actor, data, hetu_index), st.uuids(version=4))


@st.composite
def _customer(draw: st.DrawFn, customer: str, at: datetime | None = None) -> Fact:
    return draw(_fact("customer.registered", at or draw(times), "system:ura", customer=customer,
                      org=draw(st.sampled_from(["te:a", "te:b"])), home_municipality=draw(st.sampled_from(MUNIS)),
                      birth_date=draw(st.sampled_from(["1992-03-10", "1960-01-01", "1992-02-29"])),
                      earnings_related_eligible=draw(st.booleans()), immigrant_or_foreign_language=draw(st.booleans()),
                      language=draw(st.sampled_from(["fi", "sv", "other"])), hetu_index=draw(HETU_INDEXES)))


@st.composite
def facts_of(draw: st.DrawFn) -> Fact:
    kind = draw(st.sampled_from(["join", "leave", "user", "grant", "revoke", "creg", "change", "transfer", "withhold",
                                 "dereg", "view", "decision", "employer"]))
    at, actor = draw(times), draw(st.sampled_from([*USERS, "u:ghost", "system:ura"]))
    user, customer = draw(st.sampled_from(USERS)), draw(st.sampled_from([*CUSTOMERS, "c:ghost"]))
    if kind in ("join", "leave"):
        area = draw(st.sampled_from(["area:x", "area:y"]))
        return draw(_fact(f"area.municipality_{'joined' if kind == 'join' else 'left'}", at, "system:ura", org=area,
                          municipality=draw(st.sampled_from(MUNIS))))
    if kind == "user":
        return draw(_fact("user.registered", at, "system:ura", user=user, org=draw(st.sampled_from(ORGS)),
                          main_duties_under_act=draw(st.booleans()), hetu_index=draw(st.none() | HETU_INDEXES)))
    if kind == "grant":
        start = draw(dates)
        until = draw(st.none() | dates.filter(lambda d: d >= start))
        data = {"user": user, "valid_from": start} | ({"valid_until": until} if until else {})
        return draw(_fact("access.granted", at, actor, **data))
    if kind == "revoke":
        return draw(_fact("access.revoked", at, actor, user=user, reason="x"))
    if kind == "creg":
        return draw(_customer(customer, at))
    if kind == "change":
        field = draw(st.sampled_from(["home_municipality", "earnings_related_eligible", "language"]))
        value = {"home_municipality": draw(st.sampled_from(MUNIS)), "earnings_related_eligible": draw(st.booleans()),
                 "language": draw(st.sampled_from(["fi", "sv"]))}[field]
        return draw(_fact("customer.changed", at, actor, customer=customer, **{field: value}))
    if kind == "transfer":
        return draw(_fact("customer.transferred", at, actor, customer=customer, to=draw(st.sampled_from(ORGS)),
                          reason="correction", **{"from": draw(st.sampled_from(ORGS))}))
    if kind == "withhold":
        return draw(_fact("customer.transfer_withheld", at, actor, customer=customer, reason="other_justified"))
    if kind == "dereg":
        return draw(_fact("customer.deregistered", at, actor, customer=customer, reason="x"))
    if kind == "employer":
        return draw(_fact("employer.registered", at, "system:ura", employer=draw(st.sampled_from(EMPLOYERS)),
                          name="x", **({"municipality": "091"} if draw(st.booleans()) else {})))
    if kind == "view":
        return draw(_fact("record.viewed", at, actor, subject=draw(st.sampled_from([customer, EMPLOYERS[0]])),
                          purpose=draw(st.sampled_from(list(Purpose))).value,
                          categories=[draw(st.sampled_from(["identity", "health", "employer_basic"]))]))
    return draw(_fact("decision.made", at, actor, decision="d:1", kind=draw(st.sampled_from(list(DecisionKind))).value,
                      customer=customer, employer=draw(st.sampled_from(EMPLOYERS)), outcome="granted",
                      language=draw(st.sampled_from(["fi", "sv"]))))


def _org(org: str, te_office: str | None = None, municipality: str | None = None) -> Fact:
    kind = {"keha": "keha", "te": "te_office", "area": "experiment_area"}[org.split(":")[0]]
    data: dict[str, Any] = {"org": org, "kind": kind, "name": org, "languages": ["fi"]}
    if municipality is not None:
        data |= {"te_office": te_office, "municipalities": [municipality]}
    return Fact(str(uuid.uuid5(uuid.NAMESPACE_URL, org)), "organisation.registered", BASE - timedelta(days=1),
                "system:ura", data)


@st.composite
def scenarios(draw: st.DrawFn) -> list[Fact]:
    """Organisations, a registration of every user and customer (so rules have something to bite on),
    then any mix of facts."""
    out = [_org("keha"), _org("te:a"), _org("te:b"), _org("area:x", "te:a", "091"), _org("area:y", "te:a", "092")]
    for user in USERS:
        out.append(draw(_fact("user.registered", draw(times), "system:ura", user=user,
                              org=draw(st.sampled_from(ORGS)), main_duties_under_act=draw(st.booleans()),
                              hetu_index=draw(st.none() | HETU_INDEXES))))
        out.append(draw(_fact("access.granted", draw(times), draw(st.sampled_from(USERS)), user=user,
                              valid_from=draw(dates))))
    for customer in CUSTOMERS:
        out.append(draw(_customer(customer)))
    return out + draw(st.lists(facts_of(), min_size=1, max_size=40))


class UnsortedWorld:
    """A world whose histories get their rows in exactly the order given."""

    def __init__(self, facts: list[Fact]) -> None:
        users: dict[str, list[Row]] = defaultdict(list)
        customers: dict[str, list[Row]] = defaultdict(list)
        employers: dict[str, list[tuple[datetime, str, str | None]]] = defaultdict(list)
        orgs: list[Row] = []
        self._registered = {f.data[REGISTERING[f.type]] for f in facts if f.type in REGISTERING}
        for f in facts:
            if f.type.startswith(("organisation.", "area.")):
                orgs.append(f.row())
            elif f.type in ("user.registered", "access.granted", "access.revoked"):
                users[f.data["user"]].append(f.row())
            elif f.type.startswith("customer."):
                customers[f.data["customer"]].append(f.row())
            elif f.type == "employer.registered":
                employers[f.data["employer"]].append((f.at, f.id, f.data.get("municipality")))
        self.orgs = OrgHistory.from_facts(orgs)
        self._users = {k: UserHistory.from_facts(k, v) for k, v in users.items()}
        self._customers = {k: CustomerHistory.from_facts(k, v) for k, v in customers.items()}
        self._employers = {k: EmployerHistory.from_facts(k, v) for k, v in employers.items()}

    def user(self, user: str) -> UserHistory | None:
        return self._users.get(user)

    def customer(self, customer: str) -> CustomerHistory | None:
        return self._customers.get(customer)

    def employer(self, employer: str) -> EmployerHistory | None:
        return self._employers.get(employer)

    def registered(self, entity: str) -> bool:
        return entity in self._registered


def _everything(facts: list[Fact], world: Any) -> dict[str, Any]:
    horizon = max(f.at for f in facts)
    out: dict[str, Any] = {}
    for f in sorted(facts, key=lambda f: f.id):
        out[f.id] = (judge(f, world), unknown_references(f, world), acting_org(f, world))
    for c in CUSTOMERS:
        history = world.customer(c)
        if history is not None:
            out[c] = ([missed_verdict(e, history) for e in missed_transfers(history, world.orgs, horizon)],
                      episodes(history, world.orgs, horizon), next_check_at(history, world.orgs, horizon),
                      history.responsibility_intervals())
    return out


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_verdicts_do_not_depend_on_the_order_or_offset_of_facts(facts: list[Fact], rnd: Any) -> None:
    reference = _everything(facts, InMemoryWorld(facts))
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    rewritten = [Fact(f.id, f.type, f.at.astimezone(rnd.choice(OFFSETS)), f.actor, f.data, f.hetu_index)
                 for f in shuffled]
    assert _everything(rewritten, UnsortedWorld(rewritten)) == reference
    assert _everything(rewritten, InMemoryWorld(reversed(rewritten))) == reference
