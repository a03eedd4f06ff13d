"""Findings as rows of the read model: one verdict on one event, stored and replaced.

Shared by the findings engine (event-level rules) and the sequence rules (``sequences``), so that
neither imports the other.
"""

from __future__ import annotations

from typing import Any

from ledger.db import Cursor, Database
from policies.verdicts import Verdict, finding_id
from projections.schema import FINDINGS, Finding


def finding_row(position: int, event: str, at: int, at_text: str, v: Verdict) -> Finding:
    """The ``v_findings`` row of verdict ``v`` on ``event``."""
    return Finding(finding_id(v.rule, event, v.subject), v.rule.value, v.severity.value, event, position, at,
                   at_text, v.org, v.user, v.subject, v.explanation, v.rule_set, v.legal_basis)


def insert_findings(db: Database, cur: Cursor, rows: list[Finding]) -> None:
    """Store finding rows; a finding already stored (same rule, event, subject) is updated."""
    if not rows:
        return
    unique: dict[str, Finding] = {}  # one finding per id (rule, event, subject)
    for row in rows:
        unique[row.finding] = row
    marks = ", ".join(["%s"] * len(FINDINGS.names))
    cur.executemany(
        f"INSERT INTO {db.table('v_findings')} VALUES ({marks}) ON CONFLICT (finding) DO UPDATE SET "
        "explanation = excluded.explanation, org = excluded.org, usr = excluded.usr, subject = excluded.subject, "
        "severity = excluded.severity, rule_set = excluded.rule_set, legal_basis = excluded.legal_basis",
        list(unique.values()))


def rule_list(rules: Any) -> str:
    """``('A', 'B')``: rule ids (never user input) as an SQL list."""
    return "(" + ", ".join(f"'{r}'" for r in rules) + ")"
