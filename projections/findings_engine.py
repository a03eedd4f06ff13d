"""Re-judging what a page of facts can change, and storing the verdicts as findings (ADR 0002).

For one page: (1) the acts to judge are the page's new acts plus the stored acts that name an
entity whose state the page touched, at or after the affected time; (2) each is judged afresh by
``policies.judge`` against a :class:`~projections.world.DbWorld`; its event-level findings are
replaced; (3) the sequence rules are recomputed where their sequence changed — ``ACCESS_BULK`` per
user with new views, ``TRANSFER_MISSED`` per customer whose facts, home municipality's area or
pending horizon check changed; (4) the derived columns (the acting organisation of views and
decisions, the competent authority, the responsibility timeline) follow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ledger.db import Cursor
from ledger.events import Rule
from ledger.records import StoredFact
from ledger.store import Ledger
from policies import judge as rules
from policies.verdicts import Verdict
from projections import sequences
from projections.intake import Touched, insert_rows
from projections.schema import micros
from projections.world import DbWorld, HistoryCache, as_fact, load_orgs

SEQUENCE_RULES = (Rule.ACCESS_BULK.value, Rule.TRANSFER_MISSED.value)
EVENT_RULES = tuple(r.value for r in Rule if r.value not in SEQUENCE_RULES)


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
        positions |= self._since(cur, self.t["views"], "subject", touched.customers)
        positions |= self._since(cur, self.t["decisions"], "customer", touched.customers)
        positions |= self._since(cur, self.t["customer_facts"], "customer", touched.customers,
                                 extra="AND type = 'customer.transferred'")
        positions |= self._since(cur, self.t["views"], "usr", touched.users)
        positions |= self._since(cur, self.t["decisions"], "actor", touched.users)
        positions |= self._since(cur, self.t["grants"], "usr", touched.users)
        positions |= self._since(cur, self.t["grants"], "actor", touched.users)
        positions |= self._matching(cur, self.t["decisions"], "employer", touched.employers)
        positions |= self._matching(cur, self.t["unknown_refs"], "entity", touched.registered)
        if touched.orgs_since is not None:
            positions |= {r[0] for r in cur.execute(
                f"SELECT position FROM {self.t['decisions']} WHERE kind = 'pay_subsidy' AND at >= %s",
                (touched.orgs_since,))}
            positions |= {r[0] for r in cur.execute(
                f"SELECT position FROM {self.t['customer_facts']} WHERE type = 'customer.transferred' "
                "AND at >= %s", (touched.orgs_since,))}
        older = self.ledger.facts_at(sorted(positions - known)) if positions - known else []
        return [*touched.new_acts, *older]

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

    def _matching(self, cur: Cursor, table: str, column: str, keys: Iterable[str]) -> set[int]:
        out: set[int] = set()
        ordered = sorted(keys)
        for i in range(0, len(ordered), 500):
            marks, params = self.db.in_list(ordered[i : i + 500])
            out.update(r[0] for r in cur.execute(f"SELECT position FROM {table} WHERE {column} IN {marks}", params))
        return out

    # ------------------------------------------------------------------ judging
    def _judge_acts(self, cur: Cursor, world: DbWorld, acts: list[StoredFact], *, new: int,
                    pending: dict[str, list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        """Judge ``acts`` (the first ``new`` of them are the page's own); store their findings and
        acting organisations. The page's decisions are inserted here, already judged; its views,
        with their acting organisation, are returned (their bulk state comes next)."""
        finding_rows: list[tuple[Any, ...]] = []
        unknown_rows: list[tuple[str, int]] = []
        orgs: dict[int, tuple[Any, ...]] = {}
        for fact in acts:
            light = as_fact(fact)
            verdicts = rules.judge(light, world)
            finding_rows += [self._row(fact, v) for v in verdicts]
            if any(v.rule is Rule.REFERENCE_UNKNOWN for v in verdicts):
                unknown_rows += [(e, fact.position) for e in rules.unknown_references(light, world)]
            if fact.type == "record.viewed":
                orgs[fact.position] = (rules.acting_org(light, world),)
            elif fact.type == "decision.made":
                competent, rule_set = rules.competent_authority(light, world)
                orgs[fact.position] = (rules.acting_org(light, world), competent, rule_set)
        older = [f.position for f in acts[new:]]
        self._delete(cur, self.t["findings"], older, f"AND rule IN {self._rule_list(EVENT_RULES)}")
        self._delete(cur, self.t["unknown_refs"], older)
        insert_rows(cur, self.t["decisions"], [(*r[:5], orgs[r[0]][0], *r[6:12], *orgs[r[0]][1:])
                                              for r in pending.get("decisions", [])])
        self.insert_findings(cur, finding_rows)
        insert_rows(cur, self.t["unknown_refs"], unknown_rows, ignore_conflicts=True)
        old_views = [(orgs[p][0], p) for p in older if p in orgs and len(orgs[p]) == 1]
        cur.executemany(f"UPDATE {self.t['views']} SET org = %s WHERE position = %s", old_views)
        # a bulk finding names the viewing organisation, which a late user fact can change
        cur.executemany(f"UPDATE {self.t['findings']} SET org = %s WHERE rule = 'ACCESS_BULK' AND position = %s",
                        old_views)
        cur.executemany(f"UPDATE {self.t['decisions']} SET org = %s, competent = %s, rule_set = %s "
                        "WHERE position = %s", [(*orgs[p], p) for p in older if p in orgs and len(orgs[p]) == 3])
        return [(*r[:5], orgs[r[0]][0], *r[6:]) for r in pending.get("views", [])]

    @staticmethod
    def _rule_list(rules_: Iterable[str]) -> str:
        return "(" + ", ".join(f"'{r}'" for r in rules_) + ")"

    def _delete(self, cur: Cursor, table: str, positions: list[Any], extra: str = "") -> None:
        for i in range(0, len(positions), 500):
            marks, params = self.db.in_list(positions[i : i + 500])
            cur.execute(f"DELETE FROM {table} WHERE position IN {marks} {extra}", params)

    @staticmethod
    def _row(fact: StoredFact, v: Verdict) -> tuple[Any, ...]:
        return finding_row(fact.position, fact.id_text, micros(fact.at), fact.at_text, v)

    def insert_findings(self, cur: Cursor, rows: list[tuple[Any, ...]]) -> None:
        insert_findings(self.db, cur, rows)


def finding_row(position: int | None, event: str, at: int, at_text: str, v: Verdict) -> tuple[Any, ...]:
    return (rules.finding_id(v.rule, event, v.subject), v.rule.value, v.severity.value, event, position, at,
            at_text, v.org, v.user, v.subject, v.explanation, v.rule_set, v.legal_basis)


def insert_findings(db: Any, cur: Cursor, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    unique: dict[str, tuple[Any, ...]] = {}  # one finding per id (rule, event, subject)
    for row in rows:
        unique[row[0]] = row
    marks = ", ".join(["%s"] * 13)
    cur.executemany(
        f"INSERT INTO {db.table('v_findings')} VALUES ({marks}) ON CONFLICT (finding) DO UPDATE SET "
        "explanation = excluded.explanation, org = excluded.org, usr = excluded.usr, subject = excluded.subject, "
        "severity = excluded.severity, rule_set = excluded.rule_set, legal_basis = excluded.legal_basis",
        list(unique.values()))
