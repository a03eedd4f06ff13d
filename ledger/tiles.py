"""Static publication of the log as ``c2sp.org/tlog-tiles``: plain files anyone given the folder
can mirror and check without database access.

The folder (``publish_tiles``)::

    checkpoint                          the latest checkpoint's C2SP note, every cosignature
    tile/<L>/<N>[.p/<W>]                hash tiles: 256 hashes of 32 bytes (a partial tile: W < 256)
    tile/entries/<N>[.p/<W>]            entry bundles: u16be length ‖ leaf bytes, per entry
    tile/entries-u32/<N>[.p/<W>]        only a bundle holding a leaf over 65,535 bytes: u32be lengths

Hash ``i`` of tile ``N`` at level ``L`` is ``MTH(D[(256N+i)·256^L : (256N+i+1)·256^L])``; ``<N>``
is written in 3-digit groups, all but the last prefixed ``x`` (1234067 → ``x001/x234/067``). An
entry is the leaf exactly as the seal hashes it (``ledger.seal.leaf_bytes``: the stored record,
personal fields as ciphertext), so ``SHA-256(0x00 ‖ entry)`` is its level-0 hash.

**Guarantees.** Nothing is published that disagrees with the signed checkpoint: new files are
written into a staging folder inside the target and moved into place only after the root the
tiles give equals the signed root; the checkpoint is replaced last, so a reader never sees a
checkpoint whose tiles are missing. Each event published is re-hashed from its stored bytes and
held against its sealed leaf. Full tiles and bundles are immutable: never rewritten (an existing
one must be byte-identical). Partial tiles are written for every checkpoint size in the last tile
of each level, as the spec asks, and removed once the full tile is in place (the spec allows it).
The pass streams the log in pages: memory holds one page and one tile per level.

**Incremental.** A second run starts at the last tile the published checkpoint left partial;
hashes before it come from the seal's stored subtrees (``seal_nodes``), after a check that the
published checkpoint's root is this log's root at that size. A missing full file is written again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger import merkle
from ledger.checkpoints import Checkpoint, checkpoint_note, log_origin
from ledger.db import Cursor
from ledger.errors import IntegrityFailure, UsageError
from ledger.merkle import Node
from ledger.note import CheckpointText, NoteError, SignedNote
from ledger.seal import PAGE, Seal, leaf_bytes, stored_bytes
from ledger.store import Ledger
from ledger.tile_folder import TileFolder

HEIGHT = 8
WIDTH = 1 << HEIGHT  # hashes in a full tile, entries in a full bundle
MAX_ENTRY = 0xFFFF  # the spec's u16 length prefix
ENTRIES, WIDE_ENTRIES = "entries", "entries-u32"


# ---------------------------------------------------------------------- the format (pure)


def index_path(n: int) -> str:
    """``<N>`` as path elements: zero-padded 3-digit groups, all but the last prefixed ``x``."""
    groups = [f"{n % 1000:03d}"]
    while n >= 1000:
        n //= 1000
        groups.append(f"x{n % 1000:03d}")
    return "/".join(reversed(groups))


def tile_path(level: int | str, n: int, width: int = WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]`` (``level`` ``entries`` or ``entries-u32`` for a bundle)."""
    return f"tile/{level}/{index_path(n)}" + ("" if width == WIDTH else f".p/{width}")


def encode_bundle(entries: Sequence[bytes]) -> tuple[str, bytes]:
    """``(where, bytes)`` of an entry bundle: the spec's u16be lengths under ``entries``, or, when
    an entry is longer than 65,535 bytes, u32be lengths under ``entries-u32``."""
    if all(len(e) <= MAX_ENTRY for e in entries):
        return ENTRIES, b"".join(len(e).to_bytes(2, "big") + e for e in entries)
    return WIDE_ENTRIES, b"".join(len(e).to_bytes(4, "big") + e for e in entries)


def widths(size: int, level: int) -> tuple[int, int]:
    """``(full tiles, width of the partial tile)`` at ``level`` in the tree of ``size`` leaves."""
    hashes = size >> (HEIGHT * level)
    return hashes >> HEIGHT, hashes % WIDTH


def levels_of(size: int) -> int:
    """How many levels of tiles the tree of ``size`` leaves has (0 for the empty tree)."""
    count = 0
    while size >> (HEIGHT * count):
        count += 1
    return count


# ---------------------------------------------------------------------- the report


@dataclass
class Published:
    """What one run wrote. ``unchanged``: files already in place with the same bytes."""

    tree_size: int
    root_hash: bytes
    previous_tree_size: int | None
    tiles_written: int = 0
    bundles_written: int = 0
    bytes_written: int = 0
    unchanged: int = 0
    partials_removed: int = 0
    oversized_bundles: int = 0
    checkpoint_written: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"tree_size": self.tree_size, "root_hash": self.root_hash.hex(),
                "previous_tree_size": self.previous_tree_size, "tiles_written": self.tiles_written,
                "entry_bundles_written": self.bundles_written, "bytes_written": self.bytes_written,
                "unchanged": self.unchanged, "partials_removed": self.partials_removed,
                "oversized_bundles": self.oversized_bundles, "checkpoint_written": self.checkpoint_written}


# ---------------------------------------------------------------------- the tiles, level by level


@dataclass
class _Level:
    """The tile being filled at one level: its hashes so far, and the widths of the partial tiles
    to publish when it is the last tile of the level."""

    level: int
    next: int  # the index, at this level, of the next hash
    hashes: list[bytes]
    last_tile: int  # the index of the level's last (partial) tile in the published tree
    partial_widths: set[int] = field(default_factory=set)

    @property
    def tile(self) -> int:
        return self.next >> HEIGHT


class _Tiler:
    """Hashes pushed in log order become tiles (and, at level 0, entry bundles) in the folder."""

    def __init__(self, folder: TileFolder, levels: list[_Level], *, entries: bool) -> None:
        self.folder, self.levels = folder, levels
        self.entries: list[bytes] | None = [] if entries else None
        self.oversized = 0  # bundles written with 32-bit lengths
        for lv in levels[1:]:  # the partial tiles the seal's hashes already fill
            for width in sorted(w for w in lv.partial_widths if w <= len(lv.hashes)):
                if lv.tile == lv.last_tile:
                    folder.put(tile_path(lv.level, lv.tile, width), b"".join(lv.hashes[:width]), full=False)

    def add(self, leaf: bytes, digest: bytes) -> None:
        if self.entries is not None:
            self.entries.append(leaf)
        self._push(0, digest)

    def _push(self, level: int, digest: bytes) -> None:
        lv = self.levels[level]
        lv.hashes.append(digest)
        lv.next += 1
        if len(lv.hashes) == WIDTH:
            n = lv.tile - 1
            self.folder.put(tile_path(level, n), b"".join(lv.hashes), full=True)
            if level == 0:
                self._bundle(n, full=True)
            parent = merkle.perfect_root(lv.hashes)
            lv.hashes = []
            self._push(level + 1, parent)
        elif lv.tile == lv.last_tile and len(lv.hashes) in lv.partial_widths:
            self.folder.put(tile_path(level, lv.tile, len(lv.hashes)), b"".join(lv.hashes), full=False)
            if level == 0:
                self._bundle(lv.tile, full=False)

    def _bundle(self, n: int, *, full: bool) -> None:
        if self.entries is None:
            return
        where, data = encode_bundle(self.entries)
        other = WIDE_ENTRIES if where == ENTRIES else ENTRIES
        self.folder.put(tile_path(where, n, len(self.entries)), data, full=full, bundle=True,
                        siblings=(tile_path(other, n),))
        self.oversized += where == WIDE_ENTRIES
        if full:
            self.entries = []

    def root(self, size: int) -> bytes:
        """The root of the tree of ``size`` leaves from the last tile of every level, as a reader
        of the published files computes it."""
        return merkle.root(self, size)

    def node_hashes(self, nodes: Collection[Node]) -> dict[Node, bytes]:
        """:class:`ledger.merkle.NodeSource` over the last tile of each level."""
        out: dict[Node, bytes] = {}
        for node in nodes:
            level, below = divmod(node.level, HEIGHT)
            lv = self.levels[level]
            first = (node.index << below) - (lv.next - len(lv.hashes))
            out[node] = merkle.perfect_root(lv.hashes[first : first + (1 << below)])
        return out


# ---------------------------------------------------------------------- publishing


class Publication:
    """One run of :func:`tile_publication`: ``pending`` leaves to read, then :meth:`run`."""

    def __init__(self, ledger: Ledger, root: Path, signed: tuple[Checkpoint, SignedNote], *, entries: bool) -> None:
        self.ledger, self.root, self.entries = ledger, root, entries
        self.checkpoint, self.note = signed[0], signed[1].encode().encode("utf-8")
        self.seal = Seal(ledger)
        size = self.checkpoint.tree_size
        with ledger.db.read() as cur:
            sealed, _ = self.seal.head(cur)
            if sealed < size or merkle.root(self.seal.source(cur), size) != self.checkpoint.root_hash:
                raise IntegrityFailure(f"the seal does not match the signed checkpoint of tree size {size}; "
                                       "nothing was published; run `lokikirja verify`")
            self.previous = self._published(cur)
        self.start = self._first_missing(self.previous or 0)
        self.pending = size - self.start

    def _published(self, cur: Cursor) -> int | None:
        """The tree size of the checkpoint in the folder, once it is shown to be this log's."""
        path = self.root / "checkpoint"
        if not path.exists():
            return None
        try:
            text = CheckpointText.parse(SignedNote.parse(path.read_text("utf-8")).text)
        except (NoteError, UnicodeDecodeError, OSError):
            raise UsageError(f"{path} is not a checkpoint note: publish into an empty folder") from None
        if text.origin != log_origin(self.ledger):
            raise UsageError(f"{self.root} holds the tiles of another log ({text.origin}): publish each log into "
                             "its own folder")
        size = self.checkpoint.tree_size
        if text.tree_size > size:
            raise IntegrityFailure(f"{path} is of tree size {text.tree_size}, beyond this log's latest checkpoint "
                                   f"({size}): the log was rolled back, or the folder holds another copy's tiles")
        if merkle.root(self.seal.source(cur), text.tree_size) != text.root_hash:
            raise IntegrityFailure(f"{path} (tree size {text.tree_size}) has another root than this log's seal at "
                                   "that size: the log or its seal was altered after it was published (run "
                                   "`lokikirja verify`), or the folder holds another copy's tiles")
        return text.tree_size

    def _first_missing(self, published: int) -> int:
        """The first leaf to read: that of the tile the published checkpoint left partial, or of
        an earlier full tile or bundle missing from the folder."""
        start = published >> HEIGHT << HEIGHT
        for level in range(levels_of(published)):
            full, _ = widths(published, level)
            for n in range(min(full, start >> (HEIGHT * (level + 1)))):
                there = (self.root / tile_path(level, n)).exists()
                if there and level == 0 and self.entries:
                    there = any((self.root / tile_path(w, n)).exists() for w in (ENTRIES, WIDE_ENTRIES))
                if not there:
                    start = n << (HEIGHT * (level + 1))
                    break
        return start

    def run(self, advance: Callable[[int], None] | None = None) -> Published:
        """Write the new tiles aside, check them against the signed root, move them into place."""
        size = self.checkpoint.tree_size
        folder = TileFolder(self.root)
        try:
            with self.ledger.db.read() as cur:
                tiler = _Tiler(folder, self._levels(cur), entries=self.entries)
                self._stream(cur, tiler, advance)
            if tiler.root(size) != self.checkpoint.root_hash:
                raise IntegrityFailure(f"the tiles of tree size {size} do not lead to the signed root; nothing was "
                                       "published; run `lokikirja verify`")
            folder.commit(self.note)
        finally:
            folder.discard()
        return Published(size, self.checkpoint.root_hash, self.previous, tiles_written=folder.tiles,
                         bundles_written=folder.bundles, bytes_written=folder.bytes, unchanged=folder.unchanged,
                         partials_removed=folder.removed, oversized_bundles=tiler.oversized,
                         checkpoint_written=folder.checkpoint_written)

    def _levels(self, cur: Cursor) -> list[_Level]:
        size, out = self.checkpoint.tree_size, []
        for level in range(levels_of(size)):
            first = self.start >> (HEIGHT * level)
            base = first >> HEIGHT << HEIGHT
            nodes = [Node(HEIGHT * level, i) for i in range(base, first)]
            known = self.seal.source(cur).node_hashes(nodes) if nodes else {}
            full, width = widths(size, level)
            out.append(_Level(level, first, [known[n] for n in nodes], full,
                              self._checkpoint_widths(cur, level) | ({width} - {0})))
        return out

    def _checkpoint_widths(self, cur: Cursor, level: int) -> set[int]:
        """The widths of the level's last tile at every signed tree size (the spec: a log serves
        the partial tiles of every tree size it produced a checkpoint of)."""
        size = self.checkpoint.tree_size
        full, _ = widths(size, level)
        rows = cur.execute(f"SELECT DISTINCT tree_size / %s FROM {self.seal.checkpoints} "
                           "WHERE tree_size >= %s AND tree_size <= %s",
                           (1 << (HEIGHT * level), full << (HEIGHT * (level + 1)), size)).fetchall()
        return {int(r[0]) - (full << HEIGHT) for r in rows} - {0}

    def _stream(self, cur: Cursor, tiler: _Tiler, advance: Callable[[int], None] | None) -> None:
        """Every event from leaf ``start`` to the checkpoint's size, re-hashed and held against its seal."""
        size, index, after = self.checkpoint.tree_size, self.start, 0
        if index:
            before = self.seal.sealed_leaves(cur, index - 1, index)
            if not before:
                raise IntegrityFailure(f"the seal has no leaf {index - 1}; nothing was published; "
                                       "run `lokikirja verify`")
            after = before[0].position
        while index < size:
            rows = self.seal.log_page(cur, after, min(PAGE, size - index), with_event=True)
            sealed = self.seal.sealed_leaves(cur, index, index + len(rows))
            if not rows:
                raise IntegrityFailure(f"the log holds {index} events but the signed checkpoint covers {size}; "
                                       "nothing was published; run `lokikirja verify`")
            for k, (position, event, state) in enumerate(rows):
                leaf = leaf_bytes(index + k, position, stored_bytes(state))
                digest = merkle.leaf_hash(leaf)
                if k >= len(sealed) or sealed[k] != (index + k, position, event, digest):
                    raise IntegrityFailure(f"the stored event at position {index + k} does not match its seal "
                                           "(altered, moved, inserted or deleted); nothing was published; "
                                           "run `lokikirja verify`")
                tiler.add(leaf, digest)
            index, after = index + len(rows), rows[-1][0]
            if advance is not None:
                advance(len(rows))


@contextlib.contextmanager
def tile_publication(ledger: Ledger, folder: str | os.PathLike[str], *, entries: bool = True
                     ) -> Iterator[Publication]:
    """Publish the latest checkpoint's tree into ``folder`` as C2SP tlog-tiles (see the module
    docstring): ``with tile_publication(...) as p: p.run(advance)``. One run at a time per folder
    (an exclusive lock on it). ``entries=False`` writes the hash tiles and the checkpoint only."""
    from ledger.db import folder_lock

    signed = checkpoint_note(ledger)  # no checkpoint yet: a usage error before the folder is made
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError("permission denied")
    except OSError as e:
        raise UsageError(f"cannot publish into {root}: {e.strerror or e}") from None
    with folder_lock(root):
        yield Publication(ledger, root, signed, entries=entries)


def publish_tiles(ledger: Ledger, folder: str | os.PathLike[str], *, entries: bool = True) -> Published:
    """:func:`tile_publication` in one call, without progress."""
    with tile_publication(ledger, folder, entries=entries) as publication:
        return publication.run()
