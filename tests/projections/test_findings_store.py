"""Findings stored in bulk (on PostgreSQL through COPY and one INSERT … ON CONFLICT) and replaced
by id, on both backends."""

from __future__ import annotations

from datetime import datetime

from ledger.events import Rule
from ledger.store import Ledger
from policies.verdicts import verdict
from projections.findings_store import finding_row, insert_findings
from projections.readmodel import ReadModel
from projections.schema import FINDINGS, Finding, micros

AT = datetime.fromisoformat("2022-03-14T21:30:00+02:00")


def _rows(n: int, explanation: str) -> list[Finding]:
    return [finding_row(i + 1, f"e-{i}", micros(AT), AT.isoformat(),
                        verdict(Rule.ACCESS_OFF_HOURS, at=AT, user="u:1", subject=f"c:{i}",
                                explanation=f"{explanation} {i}")) for i in range(n)]


def _stored(ledger: Ledger) -> list[Finding]:
    with ledger.db.read() as cur:
        return [FINDINGS.row(r) for r in cur.execute(
            f"SELECT {FINDINGS.select_list()} FROM {ledger.db.table('v_findings')} ORDER BY position")]


def test_a_page_of_findings_is_stored_and_a_second_replaces_it_by_id(ledger: Ledger):
    ReadModel(ledger)  # the read model's tables
    first = _rows(150, "first")  # past the bulk path's threshold (100 rows)
    with ledger.db.write() as cur:
        insert_findings(ledger.db, cur, first)
    assert _stored(ledger) == first
    again = _rows(150, "again")
    with ledger.db.write() as cur:  # every id again, one of them twice in the batch: the last wins
        insert_findings(ledger.db, cur, [*again[:10], *again, again[0]._replace(explanation="last")])
    assert _stored(ledger) == [again[0]._replace(explanation="last"), *again[1:]]
    with ledger.db.write() as cur:  # a few rows take the one-statement-per-row path
        insert_findings(ledger.db, cur, _rows(3, "small"))
    assert [f.explanation for f in _stored(ledger)[:4]] == ["small 0", "small 1", "small 2", "again 3"]
