"""AVI's inspection cases, read from ``inspection.case_opened``, ``inspection.case_noted`` and
``inspection.case_closed``.

A case is what its facts say, folded in log order: the selection it was opened with (area,
period, rule and official filters, the chosen findings, a first note), every later note with
the findings it added, and its closing (who, when, why) or ``None`` while it is open. Nothing
here changes a case; the ledger only ever appends to one.
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.db import Cursor, Database

SELECTION = ("org", "since", "until", "rule", "user")


def _fold(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for case_id, type_name, actor, at_text, payload in rows:
        d = orjson.loads(payload)
        if type_name == "inspection.case_opened":
            cases[case_id] = {"case": case_id, "title": d["title"], "opened_by": actor, "opened_at": at_text,
                              **{k: d.get(k) for k in SELECTION}, "findings": list(d.get("findings", [])),
                              "notes": [], "closed": None}
            if d.get("note"):
                cases[case_id]["notes"].append({"note": d["note"], "by": actor, "at": at_text, "findings": []})
        elif case_id in cases and type_name == "inspection.case_closed":
            cases[case_id]["closed"] = {"by": actor, "at": at_text, "reason": d["reason"]}
        elif case_id in cases:
            case = cases[case_id]
            added = [f for f in d.get("findings", []) if f not in case["findings"]]
            case["findings"] += added
            case["notes"].append({"note": d["note"], "by": actor, "at": at_text, "findings": added})
    return cases


def cases(db: Database, cur: Cursor, *, org: str | None = None) -> list[dict[str, Any]]:
    """Every inspection case (only those about ``org`` when given), newest first, folded."""
    t = db.table("v_cases")
    where, params = ("WHERE case_id IN (SELECT case_id FROM " + t + " WHERE org = %s)", [org]) if org else ("", [])
    rows = cur.execute(f"SELECT case_id, type, actor, at_text, payload FROM {t} {where} ORDER BY position",
                       params).fetchall()
    return sorted(_fold(rows).values(), key=lambda c: c["opened_at"], reverse=True)


def case(db: Database, cur: Cursor, case_id: str) -> dict[str, Any] | None:
    """One inspection case, folded, or ``None``."""
    rows = cur.execute(f"SELECT case_id, type, actor, at_text, payload FROM {db.table('v_cases')} "
                       "WHERE case_id = %s ORDER BY position", (case_id,)).fetchall()
    return _fold(rows).get(case_id)
