"""Files that hold personal data are readable by their owner only (mode 0600).

The SQLite store (its ``-wal`` and ``-shm`` files too: SQLite creates them with the database file's
mode), the letters and reports written with ``--out``, evidence bundles: created 0600 whatever the
umask, and an existing file that is overwritten is narrowed to 0600 as well. The key files have
their own, stricter writer (``ledger/keys.py``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600


def create_private(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (a new SQLite store before SQLite opens it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE)
    os.close(fd)


def open_private(path: Path) -> BinaryIO:
    """``path`` opened to write from its start, left 0600 — a regular file, that is: a device or
    a pipe (``--out /dev/stdout``) keeps its mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fchmod(fd, PRIVATE)  # an existing file, made before, is narrowed too
    return os.fdopen(fd, "wb")


def write_private(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` (see :func:`open_private`)."""
    with open_private(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
