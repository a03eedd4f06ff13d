"""Sealing follows the log with tracking; checkpoints; the append-only guarantees — both backends."""

from __future__ import annotations

import hashlib

import pytest

from ledger import merkle
from ledger.checkpoints import Checkpoint, latest_checkpoint, public_key, sign_checkpoint, stored_checkpoints
from ledger.seal import SEAL_NAME, Seal, SealFollower, leaf_bytes, leaf_hashes, seal_catch_up
from ledger.store import Ledger
from tests.support.tampering import Attacker, build, ingest, views


def test_leaf_hashes_are_the_documented_encoding_hashed_rfc6962_style():
    rows = [(17, b'{"id":"x"}'), (19, b"")]
    assert leaf_bytes(3, 17, b'{"id":"x"}') == b"lokikirja/leaf/v1\n" + (3).to_bytes(8, "big") + (17).to_bytes(
        8, "big") + b'{"id":"x"}'
    assert leaf_hashes(3, rows) == [hashlib.sha256(b"\x00" + leaf_bytes(i, p, s)).digest()
                                    for i, (p, s) in enumerate(rows, 3)]


def test_every_event_becomes_a_leaf_with_a_contiguous_index_even_across_position_gaps(ledger: Ledger):
    build(ledger, (40, 40, 30), gap_before_last=5)
    attacker = Attacker(ledger)
    positions = attacker.positions()
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        sealed = seal.sealed_leaves(cur, 0, 1000)
        assert seal.head(cur) == (110, positions[-1])
    assert [r[0] for r in sealed] == list(range(110))
    assert [r[1] for r in sealed] == positions
    if ledger.db.kind == "postgres":
        assert positions[80] - positions[79] == 6  # the gap is in the positions, not in the leaves
    assert seal.position() == positions[-1] == seal.tracker.max_tracking_id(SEAL_NAME)
    rows = [(p, attacker.row(p)[1]) for p in positions]
    assert [r[3] for r in sealed] == leaf_hashes(0, rows)
    attacker.close()


def test_roots_and_proofs_from_stored_nodes_equal_the_tree_in_memory(ledger: Ledger):
    ingest(ledger, views(700))
    assert seal_catch_up(ledger, page=64) == 700  # many small pages: the frontier is reloaded each time
    assert seal_catch_up(ledger) == 0
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        hashes = [r[3] for r in seal.sealed_leaves(cur, 0, 700)]
        source = seal.source(cur)
        memory = merkle.MemorySource(hashes)
        for size in (1, 15, 16, 17, 255, 256, 257, 511, 700):
            assert merkle.root(source, size) == merkle.tree_root(hashes[:size])
        for index, size in [(0, 700), (16, 700), (500, 513), (699, 700)]:
            assert merkle.inclusion_proof(source, index, size) == merkle.inclusion_proof(memory, index, size)
        assert merkle.consistency_proof(source, 300, 700) == merkle.consistency_proof(memory, 300, 700)
        stored = cur.execute(f"SELECT COUNT(*) FROM {seal.nodes}").fetchone()[0]
    assert stored == 700 // 16 + 700 // 32 + 700 // 64 + 700 // 128 + 700 // 256 + 700 // 512


def test_a_checkpoint_is_signed_only_when_the_tree_grew_and_every_one_is_kept(ledger: Ledger):
    empty = sign_checkpoint(ledger)
    assert (empty["tree_size"], empty["root_hash"]) == (0, merkle.EMPTY_ROOT.hex())
    ingest(ledger, views(10))
    first = sign_checkpoint(ledger)
    assert sign_checkpoint(ledger) == first
    ingest(ledger, views(5, 10))
    second = sign_checkpoint(ledger)
    assert second["tree_size"] == 15 and second["timestamp"] > first["timestamp"]
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        kept = stored_checkpoints(seal, cur)
    assert [c.tree_size for c in kept] == [0, 10, 15]
    _key_id, key = public_key(ledger)
    assert all(c.verifies_with(key) for c in kept)
    assert latest_checkpoint(ledger) == Checkpoint.from_json(second)
    forged = Checkpoint.from_json({**second, "tree_size": 16})
    assert not forged.verifies_with(key)


def test_the_application_cannot_update_or_delete_the_log_or_the_seal(ledger: Ledger):
    build(ledger, (20,))
    seal = Seal(ledger)
    with ledger.db.read() as cur:
        last = seal.head(cur)[1]
    statements = [f"UPDATE {seal.events} SET state = state WHERE {seal.position_column} = {last}",
                  f"DELETE FROM {seal.events} WHERE {seal.position_column} = {last}",
                  f"UPDATE {seal.leaves} SET hash = hash", f"DELETE FROM {seal.leaves}",
                  f"UPDATE {seal.nodes} SET hash = hash", f"DELETE FROM {seal.nodes}",
                  f"UPDATE {seal.checkpoints} SET root_hash = root_hash", f"DELETE FROM {seal.checkpoints}"]
    if ledger.db.kind == "postgres":
        tracking = f"{ledger.db.datastore.schema}.lokikirja_seal_tracking"
        statements += [f"TRUNCATE {seal.events}", f"TRUNCATE {seal.leaves}", f"TRUNCATE {seal.checkpoints}",
                       f"UPDATE {tracking} SET notification_id = 1 WHERE application_name = '{SEAL_NAME}'",
                       f"DELETE FROM {tracking}"]
    for statement in statements:
        with pytest.raises(Exception, match=r"append-only|only moves forward"), ledger.db.write() as cur:
            cur.execute(statement)
    assert seal.position() == last


@pytest.mark.parametrize("page", [7, 5000])
def test_sealing_resumes_after_the_last_committed_page(ledger: Ledger, page: int):
    ingest(ledger, views(50))
    seal = Seal(ledger)
    first_page = [f.position for f in ledger.read_log(limit=min(page, 50))][-1]
    assert SealFollower(ledger).catch_up(page=page, stop=first_page) == min(page, 50)  # one page committed
    assert seal.position() == first_page
    ingest(ledger, views(25, 50))
    seal_catch_up(ledger, page=page)
    with ledger.db.read() as cur:
        hashes = [r[3] for r in seal.sealed_leaves(cur, 0, 100)]
        assert merkle.root(seal.source(cur), 75) == merkle.tree_root(hashes)
    assert len(hashes) == 75


def test_a_minimum_interval_holds_back_new_checkpoints_but_not_sealing(ledger: Ledger):
    ingest(ledger, views(10))
    first = sign_checkpoint(ledger)
    ingest(ledger, views(3, 10))
    assert sign_checkpoint(ledger, min_interval=3600) == first
    with ledger.db.read() as cur:
        assert Seal(ledger).head(cur)[0] == 13  # sealed, not yet covered
    assert sign_checkpoint(ledger)["tree_size"] == 13


def test_a_proof_is_refused_rather_than_wrong_when_a_stored_node_was_altered(ledger: Ledger):
    from uuid import UUID

    from ledger.checkpoints import inclusion_proof
    from ledger.errors import IntegrityFailure

    build(ledger, (100,))
    attacker = Attacker(ledger)
    event = UUID(attacker.event_at(attacker.positions()[0]))
    assert inclusion_proof(ledger, event)["tree_size"] == 100
    attacker.sql(f"UPDATE {attacker.seal.nodes} SET hash = %s WHERE level = 4 AND idx = 1", (bytes(32),))
    with pytest.raises(IntegrityFailure, match="seal"):
        inclusion_proof(ledger, event)
    attacker.close()
