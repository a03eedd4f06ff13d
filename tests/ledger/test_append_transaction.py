"""The append transaction on both backends: positions, atomicity, and (on PostgreSQL) pipeline mode.

On PostgreSQL a few facts are inserted in pipeline mode and their positions read at the commit;
a COPY (many facts, new data keys) ends pipeline mode first. These tests pin what callers rely
on whichever path an append takes.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from ledger.errors import ConflictingEvent
from ledger.ingest import ingest_stream
from ledger.own_facts import append_own_fact, build_own_fact
from ledger.store import Ledger
from tests.factories import ev, hetu

REGISTER = ev("organisation.registered", "2022-01-03T09:00:00+02:00", kind="te_office", org="te:uusimaa",
              name="Uusimaa", languages=["fi", "sv"])


def _ingest(ledger: Ledger, *events: dict[str, object]) -> int:
    source = "".join(json.dumps(e) + "\n" for e in events).encode()
    return ingest_stream(ledger, "test", io.BytesIO(source)).ingested


def _customer(n: int) -> dict[str, object]:
    return ev("customer.registered", "2022-01-03T10:00:00+02:00", key=f"customer {n}", customer=f"c:p{n}",
              hetu=hetu(date(1990, 1, 1 + n % 28), 100 + n), org="te:uusimaa", home_municipality="091",
              birth_date=f"1990-01-{1 + n % 28:02d}", earnings_related_eligible=False,
              immigrant_or_foreign_language=False, language="fi")


def test_positions_of_a_few_facts_are_those_read_back(ledger: Ledger) -> None:
    _ingest(ledger, REGISTER)
    facts = [build_own_fact(ledger, "ledger.queried", "u:dpo", {"purpose": "test", "command": "findings"})
             for _ in range(3)]
    with ledger.appending() as tx:
        inside = list(tx.insert(facts[:2]))  # asked for inside the transaction
        later = tx.insert(facts[2:])  # asked for after the commit
    assert inside == [2, 3]
    assert list(later) == [4]
    stored = ledger.facts_at([2, 3, 4])
    assert [f.id for f in stored] == [f.id for f in facts]


def test_an_append_that_fails_stores_nothing_and_the_next_one_works(ledger: Ledger) -> None:
    _ingest(ledger, REGISTER)
    fact = build_own_fact(ledger, "ledger.queried", "u:dpo", {"purpose": "test", "command": "findings"})
    with pytest.raises(RuntimeError), ledger.appending() as tx:
        tx.insert([fact])
        raise RuntimeError("the caller fails after inserting")
    assert ledger.max_position() == 1
    appended = append_own_fact(ledger, "ledger.queried", "u:dpo", {"purpose": "test", "command": "findings"})
    assert appended.position in (2, 3)  # PostgreSQL may have drawn 2 from its sequence for the failed insert
    assert ledger.max_position() == appended.position
    assert [f.type for f in ledger.read_log()] == ["organisation.registered", "ledger.queried"]


def _view(n: int) -> dict[str, object]:
    return ev("record.viewed", f"2022-01-04T09:{n % 60:02d}:00+02:00", "u:v1", subject=f"c:p{n % 5}",
              purpose="service_guidance", categories=["identity"])


def test_a_few_facts_then_a_copy_in_one_source(ledger: Ledger) -> None:
    """A few facts inserted in pipeline mode, then a COPY of many in the same transaction."""
    _ingest(ledger, REGISTER)
    views = [_view(n) for n in range(40)]
    assert _ingest(ledger, *views[:17]) == 17
    source = "".join(json.dumps(e) + "\n" for e in views).encode()
    report = ingest_stream(ledger, "test", io.BytesIO(source), chunk_size=20)
    assert (report.ingested, report.duplicates) == (23, 17)  # 3 fresh in the first chunk, 20 in the second
    assert [str(f.id) for f in ledger.read_log()][1:] == [e["id"] for e in views]


def test_new_data_keys_with_one_fact_and_with_many(ledger: Ledger) -> None:
    """New customers' data keys are written with COPY on PostgreSQL, inside the append."""
    _ingest(ledger, REGISTER)
    assert _ingest(ledger, _customer(0)) == 1
    many = [_customer(n) for n in range(1, 41)]
    assert _ingest(ledger, _customer(0), *many) == 40
    assert _ingest(ledger, *many) == 0
    assert len(list(ledger.read_log())) == 42


def test_a_lone_fact_is_appended_once_a_repeat_is_a_duplicate_and_a_reused_id_is_refused(ledger: Ledger) -> None:
    """The gateway path: a one-fact source (on PostgreSQL its look-up and insert go with the commit,
    in one round trip). A repeat adds nothing; a reused id with other content is refused with its
    line and adds nothing either; the next fact takes the next position (no number drawn meanwhile)."""
    _ingest(ledger, REGISTER)
    view = ev("record.viewed", "2022-01-03T10:05:00+02:00", "u:a", key="lone view", subject="c:p1",
              purpose="service_guidance", categories=["identity"])
    one = (json.dumps(view) + "\n").encode()
    assert ingest_stream(ledger, "gateway", io.BytesIO(one)).ingested == 1
    again = ingest_stream(ledger, "gateway", io.BytesIO(one))
    assert (again.ingested, again.duplicates) == (0, 1)
    other = {**view, "data": {**view["data"], "purpose": "pay_subsidy"}}
    with pytest.raises(ConflictingEvent) as refused:
        ingest_stream(ledger, "gateway", io.BytesIO((json.dumps(other) + "\n").encode()))
    assert [(p.source, p.line, p.field) for p in refused.value.problems] == [("gateway", 1, "id")]
    assert ledger.max_position() == 2
    [stored] = ledger.facts_at([2])
    assert stored.data["purpose"] == "service_guidance"
    assert _ingest(ledger, {**view, "id": "00000000-0000-4000-8000-000000000001"}) == 1
    assert ledger.max_position() == 3
