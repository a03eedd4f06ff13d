"""The folder ``lokikirja publish-tiles`` writes (``ledger/tiles.py``): files are written aside,
each synced to disk, and moved into place only when the whole run is known good; the checkpoint
is replaced last, so a reader (or a crash) never leaves a checkpoint whose tiles are missing.

- A run writes into ``.lokikirja-staging-<random>/`` inside the folder (same file system: a move
  is an atomic rename) and removes it when done; one a crashed run left is removed by the next.
- A file already in place is never rewritten: it must hold exactly the bytes the run would write.
- The partial tiles of a tile this run completes are removed after the checkpoint is in place
  (c2sp.org/tlog-tiles: a log MAY delete a partial tile once the full tile is available).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from ledger.errors import IntegrityFailure
from ledger.keys import fsync_folder

STAGING_PREFIX = ".lokikirja-staging-"


class TileFolder:
    """One run's view of the folder: what it staged, kept and will remove."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for stale in root.glob(STAGING_PREFIX + "*"):  # a run that crashed (the caller holds the lock)
            shutil.rmtree(stale, ignore_errors=True)
        self.staging = root / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
        self.staging.mkdir()
        self.tiles = self.bundles = self.bytes = self.unchanged = self.removed = 0
        self.checkpoint_written = False
        self.conflict: Path | None = None  # a file in place with other bytes: reported after the root check
        self._superseded: list[Path] = []  # partial-tile folders of the full tiles this run adds

    def put(self, rel: str, data: bytes, *, full: bool, bundle: bool = False, siblings: tuple[str, ...] = ()) -> None:
        """Stage ``data`` for ``rel`` unless it is in place already (then with the same bytes).
        ``siblings``: other names of the same tile whose partial tiles a full one supersedes."""
        final = self.root / rel
        if final.exists():
            if final.read_bytes() != data and self.conflict is None:
                self.conflict = final
            self.unchanged += 1
            return
        _write_durably(self.staging / rel, data)
        self.bundles += bundle
        self.tiles += not bundle
        self.bytes += len(data)
        if full:
            for name in (rel, *siblings):
                partials = self.root / f"{name}.p"
                if partials.is_dir():
                    self._superseded.append(partials)

    def commit(self, checkpoint: bytes) -> None:
        """Move the staged files into place, then the checkpoint; then drop superseded partials.
        Nothing moves when a file in place holds other bytes than the run's (another log's folder)."""
        if self.conflict is not None:
            raise IntegrityFailure(f"{self.conflict} holds other bytes than this log's: the folder holds another "
                                   "log's or an earlier history's tiles; nothing was published")
        folders: set[Path] = set()
        for dirpath, _dirs, files in os.walk(self.staging):
            for name in files:
                rel = Path(dirpath, name).relative_to(self.staging)
                (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staging / rel, self.root / rel)
                folders.add((self.root / rel).parent)
        for folder in folders:  # the renames are durable before the checkpoint names their tree
            fsync_folder(folder)
        path = self.root / "checkpoint"
        if not path.exists() or path.read_bytes() != checkpoint:
            _write_durably(self.staging / "checkpoint", checkpoint)
            os.replace(self.staging / "checkpoint", path)
            fsync_folder(self.root)
            self.checkpoint_written = True
            self.bytes += len(checkpoint)
        for partials in self._superseded:
            self.removed += sum(1 for p in partials.rglob("*") if p.is_file())
            shutil.rmtree(partials, ignore_errors=True)

    def discard(self) -> None:
        """Remove the staging folder (after :meth:`commit`, or instead of it)."""
        shutil.rmtree(self.staging, ignore_errors=True)


def _write_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())

