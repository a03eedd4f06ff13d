"""Lokikirja's checkpoints and proofs, as the real CLI prints them, checked by Go's
``golang.org/x/mod/sumdb/note`` and ``sumdb/tlog`` (Debian's golang-golang-x-mod-dev) through
``tests/interop/sumdb_check.go`` — code no one on the project wrote — on both backends; altered
ones must fail there too."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.tampering import views
from tests.support.witnesses import make_witness

GOPATH = "/usr/share/gocode"
HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def sumdb_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not Path(GOPATH, "src/golang.org/x/mod/sumdb/note").is_dir():
        reason = "Go and golang-golang-x-mod-dev are needed (apt-get install golang-go golang-golang-x-mod-dev)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: the interop tests must run)")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("go") / "sumdb_check"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": GOPATH, "GOFLAGS": "",
           "GOCACHE": str(tmp_path_factory.mktemp("gocache"))}
    subprocess.run([go, "build", "-o", str(out), "sumdb_check.go"], cwd=HERE, env=env, check=True, timeout=300)
    return out


def run(binary: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def log(cli, tmp_path: Path):
    """A log with 300 events, a witness that cosigned its checkpoints, and its keys."""
    cli("init", "--origin", "lokikirja.example.fi/area-interop", check=0)
    log_vkey = cli("keys", "verifier", check=0).stdout.strip()
    witness = make_witness(tmp_path, "avi.example/interop", log_vkey)
    cli("witnesses", "add", witness.url, witness.vkey, check=0)
    batch = tmp_path / "batch.jsonl"
    for start, n in ((0, 200), (200, 100)):
        batch.write_text("".join(json.dumps(e) + "\n" for e in views(n, start)))
        cli("ingest", str(batch), check=0)
    yield cli, log_vkey, witness.vkey
    witness.stop()


def test_checkpoint_notes_open_with_gos_note_package(sumdb_check: Path, log, tmp_path: Path):
    cli, log_vkey, witness_vkey = log
    note = cli("checkpoint", "--format", "note", check=0).stdout
    path = tmp_path / "checkpoint.note"
    path.write_text(note)
    opened = run(sumdb_check, "note", log_vkey, str(path), witness_vkey)
    assert opened.returncode == 0, opened.stderr
    doc = json.loads(opened.stdout)
    assert doc["origin"] == "lokikirja.example.fi/area-interop" and doc["tree_size"] == 300
    assert doc["verified"] == ["lokikirja.example.fi/area-interop", "avi.example/interop"]
    assert doc["root_hash"] == json.loads(cli("checkpoint", "--format", "json", check=0).stdout)["root_hash"]

    lines = note.split("\n")
    lines[2] = base64.b64encode(b"\x00" * 32).decode()  # another root under the same signatures
    path.write_text("\n".join(lines))
    assert run(sumdb_check, "note", log_vkey, str(path)).returncode == 1
    other = cli("keys", "verifier", check=0).stdout.strip().rsplit("+", 1)[0] + "+" + base64.b64encode(
        b"\x01" + b"\x11" * 32).decode()
    path.write_text(note)
    assert run(sumdb_check, "note", other, str(path)).returncode == 1  # a key the note is not signed by


def test_tlog_proofs_pass_tlog_check_record(sumdb_check: Path, log, tmp_path: Path):
    cli, log_vkey, _ = log
    path = tmp_path / "event.tlog-proof"
    for event in (views(1, 0)[0]["id"], views(1, 137)[0]["id"], views(1, 299)[0]["id"]):
        proof = cli("proof", "inclusion", event, "--format", "tlog-proof", check=0).stdout
        assert proof.startswith("c2sp.org/tlog-proof@v1\nextra ")
        path.write_text(proof)
        checked = run(sumdb_check, "inclusion", log_vkey, str(path))
        assert checked.returncode == 0, checked.stderr
    head, _, note = proof.partition("\n\n")
    lines = head.split("\n")
    index = int(lines[2].split()[1])
    altered = {
        "index": [*lines[:2], f"index {index - 1}", *lines[3:]],
        "path": [*lines[:3], base64.b64encode(b"\x00" * 32).decode(), *lines[4:]],
        "extra": [lines[0], "extra " + base64.b64encode(b"lokikirja/leaf/v1\nforged").decode(), *lines[2:]],
        "short": lines[:-1],
    }
    for name, changed in altered.items():
        path.write_text("\n".join(changed) + "\n\n" + note)
        assert run(sumdb_check, "inclusion", log_vkey, str(path)).returncode == 1, name


def test_consistency_proofs_pass_tlog_check_tree(sumdb_check: Path, log, tmp_path: Path):
    cli, _, _ = log
    path = tmp_path / "consistency.json"
    for old, new in ((200, 300), (1, 300), (37, 201), (300, 300), (128, 256)):
        doc = json.loads(cli("proof", "consistency", str(old), str(new), "--format", "json", check=0).stdout)
        path.write_text(json.dumps(doc))
        checked = run(sumdb_check, "consistency", str(path))
        assert checked.returncode == 0, (old, new, checked.stderr)
    doc = json.loads(cli("proof", "consistency", "37", "201", "--format", "json", check=0).stdout)
    for change in ("first_root", "second_root", "proof"):
        bad = dict(doc)
        if change == "proof":
            bad["proof"] = doc["proof"][:-1]
        else:
            bad[change] = "00" * 32
        path.write_text(json.dumps(bad))
        assert run(sumdb_check, "consistency", str(path)).returncode == 1, change


def test_published_tiles_pass_gos_tile_hash_reader(sumdb_check: Path, log, tmp_path: Path):
    """tlog.TileHashReader authenticates the tiles against the note's root; ProveRecord builds proofs
    from them, CheckRecord accepts them for the entries read from the bundles."""
    cli, log_vkey, _ = log
    folder = tmp_path / "tiles"
    cli("publish-tiles", str(folder), check=0)
    note = (folder / "checkpoint").read_text()
    assert note == cli("checkpoint", "--format", "note", check=0).stdout
    assert len(note.split("\n\n")[1].splitlines()) == 2  # the log's signature and the witness's cosignature
    checked = run(sumdb_check, "tiles", log_vkey, str(folder), "0", "137", "255", "256", "299")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["tree_size"] == 300
    tile = folder / "tile/0/000"
    tile.write_bytes(tile.read_bytes()[:-1] + bytes([tile.read_bytes()[-1] ^ 1]))
    refused = run(sumdb_check, "tiles", log_vkey, str(folder), "3")
    assert refused.returncode == 1 and refused.stderr.startswith("tiles rejected")
