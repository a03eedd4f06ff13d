"""The read model's tables are defined once, as row records (``projections.schema``), and the DDL
generated from them is exactly the DDL stores were created with before (ADR 0019): existing
databases keep working, and every row read back is a record with the table's columns."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from ledger.store import Ledger
from projections import schema
from projections.readmodel import ReadModel
from projections.table import Big, BigKey, Table, TextKey

#: the column definitions every store was created with until the records replaced them (2026-12)
TODAY: dict[str, str] = {
    "org_facts": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
                 "org TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL",
    "user_facts": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, usr TEXT NOT NULL, "
                  "type TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL",
    "customer_facts": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
                      "customer TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL",
    "employers": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, employer TEXT NOT NULL, "
                 "municipality TEXT",
    "registered": "entity TEXT PRIMARY KEY",
    "unknown_refs": "entity TEXT NOT NULL, position {B} NOT NULL, PRIMARY KEY (entity, position)",
    "customer_homes": "municipality TEXT NOT NULL, customer TEXT NOT NULL, PRIMARY KEY (municipality, customer)",
    "hetu_index": "hetu_index TEXT NOT NULL, customer TEXT NOT NULL, PRIMARY KEY (hetu_index, customer)",
    "erased": "customer TEXT PRIMARY KEY, position {B} NOT NULL",
    "views": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
             "usr TEXT NOT NULL, org TEXT, subject TEXT NOT NULL, purpose TEXT NOT NULL, categories TEXT NOT NULL, "
             "bulk_count INTEGER, bulk_armed INTEGER",
    "decisions": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
                 "actor TEXT NOT NULL, org TEXT, decision TEXT NOT NULL, kind TEXT NOT NULL, customer TEXT NOT NULL, "
                 "employer TEXT, outcome TEXT NOT NULL, language TEXT NOT NULL, competent TEXT, rule_set TEXT",
    "grants": "position {B} PRIMARY KEY, at {B} NOT NULL, actor TEXT NOT NULL, usr TEXT NOT NULL",
    "others": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
              "type TEXT NOT NULL, actor TEXT NOT NULL, org TEXT, customer TEXT, payload TEXT NOT NULL",
    "responsibility": "customer TEXT NOT NULL, seq INTEGER NOT NULL, org TEXT NOT NULL, from_at {B} NOT NULL, "
                      "from_text TEXT NOT NULL, to_at {B}, to_text TEXT, PRIMARY KEY (customer, seq)",
    "missed_state": "customer TEXT PRIMARY KEY, next_check {B}",
    "horizon": "id INTEGER PRIMARY KEY, at {B} NOT NULL, at_text TEXT NOT NULL",
    "findings": "finding TEXT PRIMARY KEY, rule TEXT NOT NULL, severity TEXT NOT NULL, event TEXT NOT NULL, "
                "position {B} NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, org TEXT, usr TEXT, subject TEXT, "
                "explanation TEXT NOT NULL, rule_set TEXT NOT NULL, legal_basis TEXT NOT NULL",
    "reviews": "position {B} PRIMARY KEY, finding TEXT NOT NULL, verdict TEXT NOT NULL, note TEXT NOT NULL, "
               "reviewer TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL",
    "cases": "position {B} PRIMARY KEY, case_id TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, "
             "at {B} NOT NULL, at_text TEXT NOT NULL, org TEXT, payload TEXT NOT NULL",
    "queries": "position {B} PRIMARY KEY, event TEXT NOT NULL, at {B} NOT NULL, at_text TEXT NOT NULL, "
               "asker TEXT NOT NULL, purpose TEXT NOT NULL, command TEXT NOT NULL, subject TEXT, usr TEXT, "
               "hetu_index TEXT, refused INTEGER NOT NULL",
}

TODAY_INDEXES: dict[str, list[str]] = {
    "user_facts": ["usr, at"],
    "unknown_refs": ["position"],
    "customer_facts": ["customer, at", "type, at"],
    "employers": ["employer"],
    "hetu_index": ["customer"],
    "views": ["subject, at", "usr, at", "at", "org, at"],
    "decisions": ["customer, at", "actor, at", "employer", "at", "org, at"],
    "grants": ["usr", "actor"],
    "others": ["type, at", "customer"],
    "responsibility": ["org, from_at"],
    "missed_state": ["next_check"],
    "findings": ["event", "at, event, rule", "subject", "usr", "org", "rule", "position"],
    "reviews": ["finding"],
    "cases": ["case_id", "org"],
    "queries": ["subject", "usr", "hetu_index"],
}


#: indexes that only read queries use, never the follower itself: a rebuild from scratch creates
#: them once it has caught up rather than maintaining them row by row (views are most of the log)
DEFERRABLE: dict[str, frozenset[str]] = {
    "views": frozenset({"at", "org, at"}),
}


@pytest.mark.parametrize("name", sorted(TODAY))
def test_the_generated_ddl_of_every_table_is_the_ddl_stores_were_created_with(name: str):
    assert schema.TABLES[name].ddl() == TODAY[name]
    assert schema.TABLES[name].ddl("BIGINT") == TODAY[name].format(B="BIGINT")


def test_the_tables_and_their_indexes_are_those_stores_were_created_with():
    assert list(schema.TABLES) == list(TODAY)
    assert {n: list(t.indexes) for n, t in schema.TABLES.items() if t.indexes} == TODAY_INDEXES
    assert {n: t.deferrable for n, t in schema.TABLES.items() if t.deferrable} == {"views": {"at", "org, at"}}


class _Pair(NamedTuple):
    left: TextKey
    right: BigKey
    note: str | None
    size: Big


def test_a_record_gives_its_columns_keys_and_nullability():
    table = Table("pairs", _Pair, ("right",))
    assert table.ddl("INT8") == ("left TEXT NOT NULL, right INT8 NOT NULL, note TEXT, size INT8 NOT NULL, "
                                 "PRIMARY KEY (left, right)")
    assert table.select_list("p") == "p.left, p.right, p.note, p.size"
    assert table.row(("a", 1, None, 2)).right == 1


def test_a_table_refuses_an_index_on_a_column_its_record_lacks():
    with pytest.raises(ValueError, match="unknown columns"):
        Table("pairs", _Pair, ("middle",))


def test_the_stored_tables_have_the_records_columns_and_read_back_as_records(ledger: Ledger,
                                                                             scenario_model: ReadModel):
    with ledger.db.read() as cur:
        for name, table in schema.TABLES.items():
            cur.execute(f"SELECT {table.select_list()} FROM {ledger.db.table('v_' + name)} LIMIT 1")
            names = [d[0] for d in cur.raw.description]
            assert names == list(table.names)
    with ledger.db.read() as cur:
        views = [schema.VIEWS.row(r) for r in cur.execute(
            f"SELECT {schema.VIEWS.select_list()} FROM {ledger.db.table('v_views')} ORDER BY position")]
    assert views and all(isinstance(v.position, int) and v.categories.startswith("[") and v.usr.startswith("u:")
                         for v in views)
