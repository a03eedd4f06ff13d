"""The verifiable subject index (ledger/subject_index.py, ADR 0015): proofs of exactly a subject's
positions or of none, against the root committed in the log — and an operator who commits an index
that hides one view of a person (or lists one that does not name them) is caught by ``verify``."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import submap
from ledger.checkpoints import commit_subject_index, sign_checkpoint
from ledger.store import Ledger
from ledger.subject_index import SubjectIndex, index_keys
from replay.verify import verify
from tests.support.tampering import build, ingest, views


def _from_log(ledger: Ledger, size: int) -> dict[str, list[int]]:
    named: dict[str, list[int]] = defaultdict(list)
    for leaf, fact in enumerate(ledger.read_log()):
        if leaf >= size:
            break
        for key in index_keys(fact.type, fact.data):
            named[key].append(leaf)
    return named


def test_every_subject_proves_exactly_its_positions_and_strangers_prove_none(ledger: Ledger):
    build(ledger, (300, 120))
    commit_subject_index(ledger)
    index = SubjectIndex(ledger)
    proof, _position = index.prove("c:7")
    expected = _from_log(ledger, proof.tree_size)
    assert proof.tree_size == 420  # the first 420 events; the commitment itself is the 421st
    for key, leaves in expected.items():
        proof, _ = index.prove(key)
        submap.verify_map_proof(proof)
        assert list(proof.positions) == leaves
    for stranger in ("c:nobody", "u:nobody", "e:0000000-0"):
        proof, _ = index.prove(stranger)
        submap.verify_map_proof(proof)
        assert proof.positions == ()


def test_a_proof_that_drops_or_adds_a_position_or_claims_none_fails(ledger: Ledger):
    build(ledger, (200,))
    commit_subject_index(ledger)
    proof, _ = SubjectIndex(ledger).prove("c:3")
    assert len(proof.positions) == 4
    edits = {
        "dropped": proof.positions[:-1],
        "added": (*proof.positions, proof.tree_size - 1),
        "none": (),
    }
    for what, positions in edits.items():
        forged = submap.MapProof(proof.key, proof.tree_size, proof.root, positions, proof.siblings, proof.other)
        with pytest.raises(submap.MapProofError):
            submap.verify_map_proof(forged)
        assert what


def test_the_root_is_appended_once_and_a_plain_checkpoint_adds_no_event(ledger: Ledger):
    build(ledger, (100,))
    assert sign_checkpoint(ledger)["tree_size"] == 100  # ingest + checkpoint: the log as ingested
    first = commit_subject_index(ledger)
    assert first["tree_size"] == 101  # the commitment, covered by the checkpoint
    assert commit_subject_index(ledger) == first  # nothing new: no second commitment
    ingest(ledger, views(10, 100))
    assert commit_subject_index(ledger)["tree_size"] == 112


def _forge(ledger: Ledger, key: str, *, drop: int | None = None, add: int | None = None) -> None:
    """The operator rewrites its index tables so that ``key`` loses position ``drop`` or gains
    ``add``, and commits that index in the log (a legitimately signed checkpoint follows)."""
    index = SubjectIndex(ledger)
    index.take_in()
    kh = submap.key_hash(key)
    with ledger.db.write() as cur:
        if drop is not None:
            cur.execute(f"DELETE FROM {index.entries} WHERE key_hash = %s AND leaf_index = %s", (kh, drop))
        if add is not None:
            cur.execute(f"INSERT INTO {index.entries} VALUES (%s, %s)", (kh, add))
        leaves = [r[0] for r in cur.execute(f"SELECT leaf_index FROM {index.entries} WHERE key_hash = %s "
                                            "ORDER BY leaf_index", (kh,))]
        cur.execute(f"UPDATE {index.leaves} SET value_hash = %s, count = %s WHERE key_hash = %s",
                    (submap.value_hash(leaves), len(leaves), kh))
        root, subjects = index._recompute(cur, {submap.bucket_of(kh)})
        cur.execute(f"UPDATE {index.state_table} SET root = %s, subjects = %s WHERE id = 1", (root, subjects))
    commit_subject_index(ledger)


@pytest.mark.parametrize("edit", ["hides a view", "adds a view"])
def test_verify_catches_an_index_that_hides_or_adds_a_view(ledger: Ledger, edit: str):
    build(ledger, (200,))
    named = _from_log(ledger, 200)
    view = named["c:3"][1]
    other = named["c:4"][0]
    if edit == "hides a view":
        _forge(ledger, "c:3", drop=view)
    else:
        _forge(ledger, "c:3", add=other)
    assert verify(ledger).ok is False or pytest.fail("an index that " + edit + " passed verify")
    bad = verify(ledger).first_bad
    assert bad is not None and bad.position == 200  # the commitment that holds the forged root
    assert "c:3" in bad.reason
    assert f"position {view if edit == 'hides a view' else other}" in bad.reason
    assert ("leaves out" if edit == "hides a view" else "lists") in bad.reason


def test_an_honest_index_verifies(ledger: Ledger):
    build(ledger, (150, 50))
    commit_subject_index(ledger)
    ingest(ledger, views(30, 200))
    commit_subject_index(ledger)
    report = verify(ledger)
    assert report.ok and report.first_bad is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3)), max_size=120))
def test_the_memory_map_equals_the_compact_tree_of_its_keys_at_any_point(steps):
    built, named = submap.MemoryMap(), defaultdict(list)
    for leaf, (subject, _noise) in enumerate(steps):
        key = f"c:{subject}"
        built.add(submap.key_hash(key), leaf)
        named[key].append(leaf)
        if leaf % 7 == 0:
            items = sorted((submap.key_hash(k), submap.value_hash(v)) for k, v in named.items())
            assert built.root() == (submap.subtree_hash(items, 0), len(items))


@pytest.mark.parametrize("backend", ["sqlite"])
@settings(max_examples=8, deadline=None)
@given(cuts=st.lists(st.integers(1, 119), max_size=4, unique=True))
def test_the_root_is_the_same_however_the_log_was_taken_in(backend: str, tmp_path_factory, cuts: list[int]):
    """Taken in at any batch boundaries (checkpoints after any ingests), the index has one root,
    and taking in again changes nothing (idempotent)."""
    folder = tmp_path_factory.mktemp("cuts")
    ledger, _ = Ledger.init(str(folder / "l.db"), folder / "keys")
    with ledger:
        bounds = [0, *sorted(cuts), 120]
        for start, end in itertools.pairwise(bounds):
            ingest(ledger, views(end - start, start))
            sign_checkpoint(ledger)
        index = SubjectIndex(ledger)
        state = index.take_in()
        assert index.take_in() == state
        named = _from_log(ledger, 120)
        items = sorted((submap.key_hash(k), submap.value_hash(v)) for k, v in named.items())
        assert (state.root, state.subjects) == (submap.subtree_hash(items, 0), len(items))


def test_many_subjects_at_once_take_the_bulk_path_and_prove_the_same(ledger: Ledger):
    """Hundreds of subjects in one take-in (PostgreSQL: COPY into a scratch table, one upsert):
    the root equals the tree built from the log, and every subject proves its positions."""
    many = [{**v, "data": {**v["data"], "subject": f"c:{i}"}} for i, v in enumerate(views(400))]
    ingest(ledger, many)
    commit_subject_index(ledger)
    index = SubjectIndex(ledger)
    named = _from_log(ledger, 400)
    items = sorted((submap.key_hash(k), submap.value_hash(v)) for k, v in named.items())
    with ledger.db.read() as cur:
        state = index.state(cur)
    assert len(named) == 400 and (state.root, state.subjects) == (submap.subtree_hash(items, 0), len(items))
    for key in ("c:0", "c:399", "u:hki-3", "c:400"):
        proof, _ = index.prove(key)
        assert list(proof.positions) == named.get(key, [])
