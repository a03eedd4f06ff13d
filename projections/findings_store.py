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
    """Store finding rows; a finding already stored (same rule, event, subject) is replaced. On
    PostgreSQL a page's findings go in with ``COPY`` and one ``INSERT … ON CONFLICT``
    (:meth:`~ledger.db.Database.upsert`), not one statement each."""
    if not rows:
        return
    unique: dict[str, Finding] = {}  # one finding per id (rule, event, subject)
    for row in rows:
        unique[row.finding] = row
    db.upsert(cur, db.table("v_findings"), FINDINGS.names, "finding", list(unique.values()),
              FINDINGS.sql_types(db.BIGINT))


def rule_list(rules: Any) -> str:
    """``('A', 'B')``: rule ids (never user input) as an SQL list."""
    return "(" + ", ".join(f"'{r}'" for r in rules) + ")"
