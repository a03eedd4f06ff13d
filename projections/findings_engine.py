"""Re-judging what a page of facts can change, and storing the verdicts as findings (ADR 0002).

For one page: (1) the acts to judge are the page's new acts plus the stored acts whose judgement
reads the state of an entity the page touched, at or after the affected time — what each rule
reads is declared in ``policies`` (:data:`policies.rules.RULE_BOOK`, ADR 0017); this module only
knows where each act's fields are stored (:data:`ACTS`); (2) each is judged afresh, once, by
:func:`policies.judge.judgement` against a :class:`~projections.world.DbWorld`; its event-level
findings are replaced; (3) the sequence rules are recomputed where their sequence changed
(``projections.sequences``); (4) the derived columns (the acting organisation of views and
decisions, the competent authority, the responsibility timeline) follow.

One dependency is not followed: the acting organisation of a fact the read model keeps no
actor index for (every fact but views, decisions and grants), which only ``REFERENCE_UNKNOWN``
names; any other declared dependency the tables cannot serve stops the projection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.db import Cursor
from ledger.events import Rule
from ledger.records import StoredFact
from ledger.store import Ledger
from policies.judge import judgement
from policies.rulebook import ACTING, Entity, Reads, Since
from policies.rules import RULE_BOOK
from policies.verdicts import Verdict
from projections import sequences
from projections.findings_store import finding_row, insert_findings, rule_list
from projections.intake import ALL_TIME, Touched, insert_rows
from projections.schema import Decision, Finding, UnknownRef, View, micros
from projections.world import DbWorld, HistoryCache, as_fact, load_orgs

_CODE = re.compile(r"[a-z0-9_.:-]+")


@dataclass(frozen=True)
class ActTable:
    """Where the read model keeps one type of act: its table, the column holding each field the
    rules may name, and the condition selecting that type."""

    table: str
    columns: dict[str, str] = field(default_factory=dict)
    where: str = ""


ACTS: dict[str, ActTable] = {
    "record.viewed": ActTable("views", {"actor": "usr", "subject": "subject", "purpose": "purpose"}),
    "decision.made": ActTable("decisions", {"actor": "actor", "customer": "customer", "employer": "employer",
                                            "kind": "kind", "language": "language"}),
    "access.granted": ActTable("grants", {"actor": "actor", "user": "usr"}),
    "customer.transferred": ActTable("customer_facts", {"customer": "customer"}, "AND type = 'customer.transferred'"),
}
"""The acts a late state fact can re-judge, by type (every other fact is judged when it arrives,
and again when an entity it named unknown gets registered)."""


def dependencies() -> list[tuple[ActTable, Reads]]:
    """Every dependency the rule book declares, with the table of the acts it is followed on."""
    out: list[tuple[ActTable, Reads]] = []
    for fact_type, reads in sorted(RULE_BOOK.reads_by_type().items()):
        for r in sorted(reads, key=repr):
            act = ACTS.get(fact_type)
            if r.entity is Entity.REGISTRATIONS:
                continue  # followed for every type through the unknown references
            if act is None or (r.field is not None and r.field not in act.columns) \
                    or any(f not in act.columns for f, _ in r.where):
                if r == ACTING:
                    continue  # see the module docstring
                raise ValueError(f"the read model cannot follow what a rule on {fact_type} reads: {r}")
            out.append((act, r))
    return out


class FindingsEngine:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.db = ledger.db
        self.t = {n: self.db.table("v_" + n) for n in (
            "views", "decisions", "grants", "customer_facts", "unknown_refs", "findings", "others")}
        self.cache = HistoryCache()

    # ------------------------------------------------------------------ entry point
    def rejudge(self, cur: Cursor, touched: Touched, *, start: int | None = None, end: int | None = None) -> None:
        """Judge what the page ``(start, end]`` touched; with both given, histories of untouched
        entities are reused from the previous page."""
        if start is not None and end is not None:
            self.cache.begin_page(start)
            self.cache.forget(touched.users, touched.customers, touched.employers, touched.registered)
            self.cache.position = end
        else:
            self.cache.clear()
            self.cache.position = None
        orgs = load_orgs(self.db, cur)
        world = DbWorld(self.db, cur, orgs, self.cache)
        acts = self._acts_to_judge(cur, touched)
        world.preload(acts)
        views = self._judge_acts(cur, world, acts, new=len(touched.new_acts), pending=touched.pending)
        insert_rows(cur, self.t["views"], sequences.recompute_bulk(self.db, cur, views))
        sequences.recompute_customers(self.db, cur, world, touched)

    # ------------------------------------------------------------------ what to judge
    def _acts_to_judge(self, cur: Cursor, touched: Touched) -> list[StoredFact]:
        known = {f.position for f in touched.new_acts}
        positions: set[int] = set()
        for act, reads in dependencies():
            positions |= self._depending(cur, act, reads, touched)
        positions |= self._matching(cur, self.t["unknown_refs"], "entity", touched.registered)
        older = self.ledger.facts_at(sorted(positions - known)) if positions - known else []
        return [*touched.new_acts, *older]

    def _depending(self, cur: Cursor, act: ActTable, reads: Reads, touched: Touched) -> set[int]:
        """The stored acts whose judgement ``reads`` what the page touched."""
        table = self.db.table("v_" + act.table)
        if any(not _CODE.fullmatch(v) for _, v in reads.where):
            raise ValueError(f"not a code: {reads.where}")
        extra = act.where + "".join(f" AND {act.columns[f]} = '{v}'" for f, v in reads.where)
        if reads.entity is Entity.ORGANISATIONS:
            if touched.orgs_since is None:
                return set()
            return {position for (position,) in cur.execute(f"SELECT position FROM {table} WHERE at >= %s {extra}",
                                                            (touched.orgs_since,))}
        since = {Entity.USER: touched.users, Entity.CUSTOMER: touched.customers,
                 Entity.EMPLOYER: dict.fromkeys(touched.employers, ALL_TIME)}.get(reads.entity)
        if since is None or reads.field is None:
            raise ValueError(f"the read model cannot follow {reads}")
        column = act.columns[reads.field]
        if reads.since is Since.ALWAYS or reads.entity is Entity.EMPLOYER:
            return self._matching(cur, table, column, since, extra)
        return self._since(cur, table, column, since, extra)

    def _since(self, cur: Cursor, table: str, column: str, since: dict[str, int], extra: str = "") -> set[int]:
        out: set[int] = set()
        keys = sorted(since)
        for i in range(0, len(keys), 500):
            marks, params = self.db.in_list(keys[i : i + 500])
            for position, key, at in cur.execute(
                    f"SELECT position, {column}, at FROM {table} WHERE {column} IN {marks} {extra}", params):
                if at >= since[key]:
                    out.add(position)
        return out

    def _matching(self, cur: Cursor, table: str, column: str, keys: Iterable[str], extra: str = "") -> set[int]:
        out: set[int] = set()
        ordered = sorted(keys)
        for i in range(0, len(ordered), 500):
            marks, params = self.db.in_list(ordered[i : i + 500])
            out.update(position for (position,) in cur.execute(
                f"SELECT position FROM {table} WHERE {column} IN {marks} {extra}", params))
        return out

    # ------------------------------------------------------------------ judging
    def _judge_acts(self, cur: Cursor, world: DbWorld, acts: list[StoredFact], *, new: int,
                    pending: dict[str, list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        """Judge ``acts`` (the first ``new`` of them are the page's own); store their findings and
        acting organisations. The page's decisions are inserted here, already judged; its views,
        with their acting organisation, are returned (their bulk state comes next)."""
        finding_rows: list[Finding] = []
        unknown_rows: list[UnknownRef] = []
        viewing: dict[int, str | None] = {}  # a view's acting organisation, by position
        deciding: dict[int, tuple[str | None, str, str]] = {}  # a decision's (org, competent, rule_set)
        for fact in acts:
            judged = judgement(as_fact(fact), world)
            if judged.verdicts:  # most acts break no rule: nothing to build for them
                finding_rows += [self._row(fact, v) for v in judged.verdicts]
                if judged.unknown and any(v.rule is Rule.REFERENCE_UNKNOWN for v in judged.verdicts):
                    unknown_rows += [UnknownRef(e, fact.position) for e in judged.unknown]
            if fact.type == "record.viewed":
                viewing[fact.position] = judged.org
            elif judged.competence is not None:
                deciding[fact.position] = (judged.org, judged.competence.authority, judged.competence.rule_set.id)
        older = [f.position for f in acts[new:]]
        self._delete(cur, self.t["findings"], older, f"AND rule IN {rule_list(RULE_BOOK.event_rule_ids())}")
        self._delete(cur, self.t["unknown_refs"], older)
        insert_rows(cur, self.t["decisions"], _judged_decisions(pending.get("decisions", []), deciding))
        self.insert_findings(cur, finding_rows)
        insert_rows(cur, self.t["unknown_refs"], unknown_rows, ignore_conflicts=True)
        old_views = [(viewing[p], p) for p in older if p in viewing]
        cur.executemany(f"UPDATE {self.t['views']} SET org = %s WHERE position = %s", old_views)
        # a bulk finding names the viewing organisation, which a late user fact can change
        cur.executemany(f"UPDATE {self.t['findings']} SET org = %s WHERE rule = 'ACCESS_BULK' AND position = %s",
                        old_views)
        cur.executemany(f"UPDATE {self.t['decisions']} SET org = %s, competent = %s, rule_set = %s "
                        "WHERE position = %s", [(*deciding[p], p) for p in older if p in deciding])
        return _judged_views(pending.get("views", []), viewing)

    def _delete(self, cur: Cursor, table: str, positions: list[Any], extra: str = "") -> None:
        for i in range(0, len(positions), 500):
            marks, params = self.db.in_list(positions[i : i + 500])
            cur.execute(f"DELETE FROM {table} WHERE position IN {marks} {extra}", params)

    @staticmethod
    def _row(fact: StoredFact, v: Verdict) -> Finding:
        return finding_row(fact.position, fact.id_text, micros(fact.at), fact.at_text, v)

    def insert_findings(self, cur: Cursor, rows: list[Finding]) -> None:
        insert_findings(self.db, cur, rows)



# The page's acts arrive from ``intake`` as rows in column order with the judged columns empty;
# they are unpacked by name rather than turned into records and ``_replace``d: this runs for
# every act of a rebuild, and ``_replace`` costs several times a plain unpacking.


def _judged_views(rows: list[tuple[Any, ...]], viewing: dict[int, str | None]) -> list[View]:
    """The page's views with their acting organisation."""
    return [View(position, event, at, at_text, usr, viewing[position], subject, purpose, categories, count, armed)
            for position, event, at, at_text, usr, _, subject, purpose, categories, count, armed in rows]


def _judged_decisions(rows: list[tuple[Any, ...]],
                      deciding: dict[int, tuple[str | None, str, str]]) -> list[Decision]:
    """The page's decisions with their acting organisation and competent authority."""
    out = []
    for position, event, at, at_text, actor, _, decision, kind, customer, employer, outcome, language, _, _ in rows:
        org, competent, rule_set = deciding[position]
        out.append(Decision(position, event, at, at_text, actor, org, decision, kind, customer, employer, outcome,
                            language, competent, rule_set))
    return out
