"""``lokikirja publish-tiles`` through the real CLI, on both backends, checked from the published
files alone (``tiles_reader``: hashlib and the c2sp.org/tlog-tiles text, no database): every tile
and bundle, the root against the checkpoint note's (verified with the log's verifier key), RFC 6962
inclusion proofs built from the tiles; incremental runs that never rewrite a full tile; refusals."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from uuid import UUID

import pytest

from ledger.checkpoints import checkpoint_note, inclusion_proof, log_origin, log_verifier, sign_checkpoint
from ledger.note import SignedNote
from ledger.records import canonical_json
from ledger.store import Ledger
from tests.support.independent import sigstore_root
from tests.support.tampering import Attacker, ingest, views
from tests.support.tiles_reader import (
    expected_files,
    files_in,
    sha,
    spec_path,
    verify_folder,
    verify_inclusion,
)


def publish(cli, folder: Path, *args: str, check: int = 0) -> dict:
    return json.loads(cli("publish-tiles", str(folder), *args, "--format", "json", check=check).stdout)


def grow_to(ledger: Ledger, size: int) -> int:
    """Ingest events up to ``size`` in all, then sign the checkpoint of that size."""
    have = sign_checkpoint(ledger)["tree_size"]
    if size > have:
        ingest(ledger, views(size - have, have))
    return sign_checkpoint(ledger)["tree_size"]


def full_files(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every full tile and bundle: inode, mtime and bytes."""
    out = {}
    for rel in files_in(folder):
        if rel != "checkpoint" and ".p/" not in rel:
            st = (folder / rel).stat()
            out[rel] = (st.st_ino, st.st_mtime_ns, (folder / rel).read_bytes())
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def check_from_the_files(ledger: Ledger, folder: Path, sizes: list[int]) -> None:
    """What a mirror can check with the folder and the log's verifier key, and no database."""
    cp, tiles = verify_folder(folder)
    assert cp.size == sizes[-1]
    note = (folder / "checkpoint").read_text()
    assert SignedNote.parse(note).verify([log_verifier(ledger)]), "the note does not verify with the log's key"
    assert note == checkpoint_note(ledger)[1].encode()  # with every stored signature
    assert files_in(folder) == expected_files(cp.size, sizes)
    for index in sorted({0, cp.size // 2, cp.size - 1, 255, 256, 511} & set(range(cp.size))):
        leaf = tiles.leaf(index)
        path = tiles.path(index, 0, cp.size)
        assert leaf[:18] == b"lokikirja/leaf/v1\n" and int.from_bytes(leaf[18:26], "big") == index
        assert verify_inclusion(index, cp.size, leaf, path, cp.root)
        assert sigstore_root(index, cp.size, sha(b"\x00" + leaf), path) == cp.root
        made = inclusion_proof(ledger, UUID(views(1, index)[0]["id"]))  # the same as the ledger's own proof
        assert base64.b64decode(made["leaf"]) == leaf and made["audit_path"] == [h.hex() for h in path]


def test_tiles_of_every_size_check_from_the_files_alone_and_full_tiles_are_never_rewritten(
        ledger: Ledger, cli, tmp_path: Path):
    folder, sizes, before = tmp_path / "tiles", [], {}
    for size in (0, 1, 255, 256, 257, 700):
        if size == 700 and ledger.db.kind == "postgres":
            gap = Attacker(ledger)
            gap.consume_positions(3)  # a legitimate gap in the positions: the leaves still number 0, 1, 2, …
            gap.close()
        sizes.append(grow_to(ledger, size))
        done = publish(cli, folder)
        assert (done["tree_size"], done["previous_tree_size"]) == (size, sizes[-2] if len(sizes) > 1 else None)
        assert done["root_hash"] == sign_checkpoint(ledger)["root_hash"] and done["checkpoint_written"]
        check_from_the_files(ledger, folder, sizes)
        after = full_files(folder)
        assert {rel: after[rel] for rel in before} == before, "a full tile was rewritten"
        assert done["tiles_written"] + done["entry_bundles_written"] >= len(after) - len(before)
        before = after
        assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no staging left behind
    assert publish(cli, folder)["tiles_written"] == 0  # nothing new: nothing written
    fresh = tmp_path / "fresh"
    publish(cli, fresh)
    assert snapshot(fresh) == snapshot(folder)  # incremental = published at once, file for file


@pytest.mark.parametrize("backend", ["sqlite"])  # the level-2 layout; reading is the same code on both
def test_the_65536_boundary_gives_a_full_level_1_tile_and_level_2(ledger: Ledger, cli, tmp_path: Path):
    folder, sizes = tmp_path / "tiles", []
    for size in (65535, 65536, 65536 + 257):
        sizes.append(grow_to(ledger, size))
        publish(cli, folder)
        cp, tiles = verify_folder(folder)
        assert files_in(folder) == expected_files(size, sizes)
        for index in {256 * 255, 65534, size - 1}:
            assert verify_inclusion(index, size, tiles.leaf(index), tiles.path(index, 0, size), cp.root)
    assert (folder / "tile/1/000").stat().st_size == 8192 and (folder / "tile/2/000.p/1").exists()
    assert (folder / spec_path("0", 257, 1)).exists() and spec_path("0", 257, 1) == "tile/0/257.p/1"
    assert (folder / "tile/1/001.p/1").exists() and spec_path("0", 1234067) == "tile/0/x001/x234/067"


def test_an_altered_event_or_seal_is_refused_and_nothing_is_published(ledger: Ledger, cli, tmp_path: Path):
    folder = tmp_path / "tiles"
    grow_to(ledger, 600)
    publish(cli, folder)
    grow_to(ledger, 700)  # the next run reads leaves 512…699 and takes the seal's hashes before them
    published = snapshot(folder)
    seal = Attacker(ledger).seal
    leaf = f"UPDATE {seal.leaves} SET hash = %s WHERE leaf_index = 651"
    node = f"UPDATE {seal.nodes} SET hash = %s WHERE level = %s AND idx = %s"
    cases = {
        "event": (lambda a: a.flip_byte(a.positions()[650], 40),
                  "the stored event at position 650 does not match its seal"),
        "leaf hash": (lambda a: a.sql(leaf, (b"\x07" * 32,)), "position 651 does not match its seal"),
        "root node": (lambda a: a.sql(node, (b"\x07" * 32, 9, 0)), "the seal does not match the signed checkpoint"),
        "published root node": (lambda a: a.sql(node, (b"\x07" * 32, 4, 36)),  # in the root of 600, not of 700
                                "(tree size 600) has another root than this log's seal at that size"),
        # in neither signed root: found once the tiles are hashed, before any file is in place
        "level-8 node": (lambda a: a.sql(node, (b"\x07" * 32, 8, 1)), "do not lead to the signed root"),
    }
    nodes = [(9, 0), (4, 36), (8, 1)]
    for name, (tamper, says) in cases.items():
        attacker = Attacker(ledger)  # drops the triggers the last CLI run put back
        position = attacker.positions()[650]
        state = attacker.row(position)[1]
        saved = [attacker.sql(f"SELECT hash FROM {seal.leaves} WHERE leaf_index = 651")[0][0]]
        saved += [attacker.sql(f"SELECT hash FROM {seal.nodes} WHERE level = %s AND idx = %s", n)[0][0] for n in nodes]
        tamper(attacker)
        refused = cli("publish-tiles", str(folder), check=1)
        assert says in refused.stderr and len(refused.stderr.strip().splitlines()) == 1, (name, refused.stderr)
        assert snapshot(folder) == published, name
        attacker = Attacker(ledger)
        attacker.set_state(position, state)
        attacker.sql(leaf, (saved[0],))
        for n, digest in zip(nodes, saved[1:], strict=True):
            attacker.sql(node, (digest, *n))
        attacker.close()
    assert publish(cli, folder)["tree_size"] == 700  # the log restored: published
    verify_folder(folder)


def test_usage_errors_are_one_sentence_and_exit_2(ledger: Ledger, cli, tmp_path: Path):
    folder = tmp_path / "tiles"
    no_checkpoint = cli("publish-tiles", str(folder), check=2)
    assert "no checkpoint yet" in no_checkpoint.stderr and not folder.exists()
    grow_to(ledger, 10)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for where in (a_file, a_file / "below"):
        refused = cli("publish-tiles", str(where), check=2)
        assert refused.stderr.startswith("error: cannot publish into") and len(refused.stderr.splitlines()) == 1
    other = tmp_path / "other"
    other.mkdir()
    (other / "checkpoint").write_text(checkpoint_note(ledger)[1].encode().replace(
        log_origin(ledger), "elsewhere.example/log", 1))
    assert "holds the tiles of another log" in cli("publish-tiles", str(other), check=2).stderr
    (other / "checkpoint").write_text("not a note")
    assert "is not a checkpoint note" in cli("publish-tiles", str(other), check=2).stderr
    shown = cli("publish-tiles", str(folder), check=0).stdout
    assert shown.startswith("published tree size 10 to ") and "1 tile(s) and 1 entry bundle(s) written" in shown


def test_a_folder_from_a_longer_or_other_history_is_refused_with_exit_1(ledger: Ledger, cli, tmp_path: Path):
    folder = tmp_path / "tiles"
    grow_to(ledger, 700)
    publish(cli, folder)
    attacker = Attacker(ledger)
    attacker.delete_tail(600)  # the operator rolls the log back, checkpoints and seal included, and signs
    assert sign_checkpoint(ledger)["tree_size"] == 600
    published = snapshot(folder)
    refused = cli("publish-tiles", str(folder), check=1)
    assert "tree size 700, beyond this log's latest checkpoint (600)" in refused.stderr
    assert snapshot(folder) == published
    attacker = Attacker(ledger)  # (the CLI run put the triggers back)
    for p in attacker.positions()[500:]:  # ... rewrites part of what was published, re-seals and grows
        attacker.set_actor(p, "u:someone-else")
    attacker.cut_seal(300)
    attacker.close()
    ingest(ledger, views(100, 10_000))
    assert sign_checkpoint(ledger)["tree_size"] == 700
    refused = cli("publish-tiles", str(folder), check=1)
    assert "(tree size 700) has another root than this log's seal at that size" in refused.stderr
    assert snapshot(folder) == published


def test_missing_full_files_are_written_again_and_the_rest_left_alone(ledger: Ledger, cli, tmp_path: Path):
    folder = tmp_path / "tiles"
    sizes = [grow_to(ledger, 700)]
    publish(cli, folder)
    before = full_files(folder)
    for rel in ("tile/0/000", "tile/entries/001"):
        (folder / rel).unlink()
    done = publish(cli, folder)
    assert (done["tiles_written"], done["entry_bundles_written"], done["checkpoint_written"]) == (1, 1, False)
    after = full_files(folder)
    assert {k: v[2] for k, v in after.items()} == {k: v[2] for k, v in before.items()}
    assert after["tile/0/001"] == before["tile/0/001"] and after["tile/entries/000"] == before["tile/entries/000"]
    check_from_the_files(ledger, folder, sizes)


def test_without_entries_only_hashes_are_published_and_entries_can_follow(ledger: Ledger, cli, tmp_path: Path):
    folder = tmp_path / "tiles"
    sizes = [grow_to(ledger, 300)]
    done = publish(cli, folder, "--no-entries")
    assert done["entry_bundles_written"] == 0 and not (folder / "tile/entries").exists()
    cp, _ = verify_folder(folder, entries=False)
    assert files_in(folder) == expected_files(300, sizes, entries=False)
    assert cp.root.hex() == done["root_hash"]
    assert publish(cli, folder)["entry_bundles_written"] == 2  # later with entries: all of them
    check_from_the_files(ledger, folder, sizes)


def test_a_leaf_over_65535_bytes_goes_to_a_bundle_with_32_bit_lengths(ledger: Ledger, cli, tmp_path: Path):
    folder = tmp_path / "tiles"
    ingest(ledger, views(3))
    # a 70,000-character field, as a store may hold from before input length limits: written as a
    # stored row (ingest may refuse such a line), then sealed and signed like any other
    attacker = Attacker(ledger)
    event, state = attacker.forged_row(attacker.positions()[0])
    doc = json.loads(state)
    doc["data"]["purpose"] = "x" * 70_000
    attacker.insert_at(attacker.positions()[-1] + 1, event, canonical_json(doc))
    attacker.close()
    sizes = [sign_checkpoint(ledger)["tree_size"]]
    assert sizes == [4]
    done = publish(cli, folder)
    assert done["oversized_bundles"] == 1
    assert (folder / "tile/entries-u32/000.p/4").exists() and not (folder / "tile/entries").exists()
    cp, tiles = verify_folder(folder)
    assert len(tiles.leaf(3)) > 70_000
    assert verify_inclusion(3, cp.size, tiles.leaf(3), tiles.path(3, 0, cp.size), cp.root)
    assert files_in(folder) == {p.replace("entries", "entries-u32") for p in expected_files(4, sizes)}
    shown = cli("publish-tiles", str(tmp_path / "again"), check=0)
    assert "tile/entries-u32/" in shown.stderr


def test_publishing_twice_at_once_takes_turns(ledger: Ledger, cli, tmp_path: Path):
    import subprocess
    import sys

    folder = tmp_path / "tiles"
    grow_to(ledger, 2000)
    env = {**os.environ, "LOKIKIRJA_DB": cli.db, "LOKIKIRJA_KEYS": str(cli.keys)}
    runs = [subprocess.Popen([sys.executable, "-m", "service", "publish-tiles", str(folder), "--format", "json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], results
    written = sorted(json.loads(out)["tiles_written"] for out, _ in results)
    assert written[0] == 0 and written[1] > 0  # the second found everything in place
    verify_folder(folder)


@pytest.mark.parametrize("n", [0, 7, 999, 1000, 1001, 65_535, 999_999, 1_000_000, 1_234_067, 10**12 + 5])
def test_tile_indexes_are_written_in_x_prefixed_3_digit_groups(n: int):
    from ledger.tiles import tile_path

    assert tile_path(3, n) == spec_path("3", n)
    assert tile_path("entries", n, 17) == spec_path("entries", n, 17)
    assert tile_path(0, 1_234_067, 5) == "tile/0/x001/x234/067.p/5"
