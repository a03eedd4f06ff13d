"""``lokikirja verify`` (the real CLI) against each kind of tampering, on both backends: it exits 1
and names the first bad position, its event and what happened; an untouched log exits 0."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ledger.seal import Seal, seal_catch_up
from ledger.store import Ledger
from tests.support.tampering import Attacker, build


@pytest.fixture
def attacker(ledger: Ledger) -> Iterator[Attacker]:
    build(ledger)
    attacking = Attacker(ledger)
    yield attacking
    attacking.close()


def _verify(cli, check: int) -> dict:
    result = cli("verify", "--format", "json", check=check)
    doc = json.loads(result.stdout)
    assert set(doc) == {"ok", "events", "checkpoints", "first_bad"}
    if check == 1:
        assert doc["ok"] is False
        assert "tampered" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    return doc


def _bad(cli) -> dict:
    return _verify(cli, 1)["first_bad"]


def test_an_untouched_log_verifies(attacker: Attacker, cli):
    assert _verify(cli, 0) == {"ok": True, "events": 700, "checkpoints": 3, "first_bad": None}
    assert "OK: 700 events, 3 checkpoint(s) verified" in cli("verify", check=0).stdout


def test_an_altered_row_is_named(attacker: Attacker, cli):
    p = attacker.positions()[400]
    attacker.flip_byte(p, 40)
    bad = _bad(cli)
    assert (bad["position"], bad["event"]) == (400, attacker.event_at(p))  # 0-based, the log's order (§7)
    assert bad["reason"].startswith("altered")


def test_a_deleted_row_is_named(attacker: Attacker, cli):
    p = attacker.positions()[450]
    event = attacker.event_at(p)
    attacker.delete(p)
    assert _bad(cli) == {"position": 450, "event": event,
                         "reason": f"deleted: event {event} sealed at position 450 is missing from the log"}


def test_two_swapped_rows_are_named_at_the_first(attacker: Attacker, cli):
    positions = attacker.positions()
    p, q = positions[100], positions[500]
    moved_in = attacker.event_at(q)
    attacker.swap(p, q)
    bad = _bad(cli)
    assert (bad["position"], bad["event"]) == (100, moved_in)
    assert bad["reason"].startswith("reordered") and "sealed at position 500" in bad["reason"]


def test_a_row_inserted_in_the_middle_is_named(attacker: Attacker, cli):
    p = attacker.positions()[350]
    event, state = attacker.forged_row(like=p)
    attacker.insert_shifted(p, event, state)
    bad = _bad(cli)
    assert (bad["position"], bad["event"]) == (350, event)
    assert bad["reason"].startswith("inserted")


def test_a_truncated_tail_is_named(attacker: Attacker, cli):
    tail = attacker.positions()[-5:]
    first = attacker.event_at(tail[0])
    attacker.delete(*tail)
    bad = _bad(cli)
    assert (bad["position"], bad["event"]) == (695, first)
    assert bad["reason"].startswith("truncated")


def test_an_altered_checkpoint_is_named(attacker: Attacker, cli):
    table = attacker.seal.checkpoints
    attacker.sql(f"UPDATE {table} SET root_hash = %s WHERE tree_size = 600", (bytes(32),))
    bad = _bad(cli)
    assert (bad["position"], bad["event"]) == (599, None)
    assert bad["reason"].startswith("forged checkpoint") and "tree size 600" in bad["reason"]


def test_a_forged_checkpoint_is_named(attacker: Attacker, cli):
    table = attacker.seal.checkpoints
    attacker.sql(f"INSERT INTO {table} (tree_size, root_hash, timestamp, key_id, signature) "
                 "SELECT 650, root_hash, timestamp, key_id, signature FROM " + table + " WHERE tree_size = 600")
    bad = _bad(cli)
    assert bad["position"] == 649
    assert bad["reason"].startswith("forged checkpoint") and "tree size 650" in bad["reason"]


def test_rewriting_the_seal_as_well_is_caught_by_the_signed_root(attacker: Attacker, ledger: Ledger, cli):
    positions = attacker.positions()
    attacker.flip_byte(positions[400], 60)
    seal = Seal(ledger)
    tracking = (f"{ledger.db.datastore.schema}.lokikirja_seal_tracking" if ledger.db.kind == "postgres"
                else "tracking")
    attacker.sql(f"DELETE FROM {seal.leaves}")
    attacker.sql(f"DELETE FROM {seal.nodes}")
    attacker.sql(f"DELETE FROM {tracking} WHERE application_name = 'Lokikirja/seal'")
    assert seal_catch_up(ledger) == 700
    bad = _bad(cli)
    assert (bad["position"], bad["event"]) == (300, None)
    assert "leaf 300 to leaf 599" in bad["reason"] and "tree size 600" in bad["reason"]


def test_postgres_deleting_the_event_after_a_legitimate_gap_is_named(ledger: Ledger, cli):
    if ledger.db.kind != "postgres":
        pytest.skip("positions have gaps on PostgreSQL only")
    build(ledger, gap_before_last=3)
    attacker = Attacker(ledger)
    positions = attacker.positions()
    assert positions[600] - positions[599] == 4  # the gap: three positions no event ever held
    event = attacker.event_at(positions[600])
    attacker.delete(positions[600])
    reason = f"deleted: event {event} sealed at position 600 is missing from the log"
    assert _bad(cli) == {"position": 600, "event": event, "reason": reason}  # the gap is not a position
    attacker.close()


def test_postgres_a_row_inserted_into_a_legitimate_gap_is_named(ledger: Ledger, cli):
    if ledger.db.kind != "postgres":
        pytest.skip("positions have gaps on PostgreSQL only")
    build(ledger, gap_before_last=3)
    attacker = Attacker(ledger)
    positions = attacker.positions()
    hole = positions[599] + 2
    event, state = attacker.forged_row(like=positions[599])
    attacker.insert_at(hole, event, state)
    bad = _bad(cli)
    assert (bad["position"], bad["event"]) == (600, event)  # the 601st stored event
    assert bad["reason"].startswith("inserted")
    attacker.close()


def test_sqlite_a_row_written_back_as_text_is_named_not_a_crash(attacker: Attacker, cli):
    if attacker.kind != "sqlite":
        pytest.skip("a column's stored type can change on SQLite only")
    p = attacker.positions()[420]
    event = attacker.event_at(p)
    attacker.sql(f"UPDATE {attacker.events} SET state = replace(CAST(state AS TEXT), '\"actor\"', '\"actor\" ') "
                 f"WHERE {attacker.pos} = %s", (p,))
    assert attacker.sql(f"SELECT typeof(state) FROM {attacker.events} WHERE {attacker.pos} = %s", (p,)) == [("text",)]
    bad = _bad(cli)
    assert (bad["position"], bad["event"]) == (420, event)
    assert bad["reason"].startswith("altered")
