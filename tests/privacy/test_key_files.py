"""Key files: made 0600, never overwritten, and whole or not at all when several processes set
up the same store at the same moment."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ledger.keys import create_keys


def _ids(folder: str) -> tuple[str, str, str]:
    ring = create_keys(Path(folder))
    return ring.signing_key_id, ring.master_key_id, ring.index_key_id


def test_key_files_are_private_and_never_overwritten(tmp_path: Path):
    first = _ids(str(tmp_path / "keys"))
    assert _ids(str(tmp_path / "keys")) == first
    files = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert files == ["index.key", "master.key", "signing.key"], "no file written aside is left behind"
    for path in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_processes_creating_the_same_keys_at_once_all_get_the_same_keys(tmp_path: Path):
    folders = [str(tmp_path / f"keys-{round}") for round in range(5) for _ in range(4)]
    with ProcessPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(_ids, folders))
    for round in range(5):
        assert len(set(made[round * 4:(round + 1) * 4])) == 1
