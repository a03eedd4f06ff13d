"""A reader of a published c2sp.org/tlog-tiles folder written for the tests from the spec's text
and RFC 6962 alone — no database, nothing of ``ledger/`` but the note verifier: it checks every
file, recomputes the root from the tiles and builds inclusion proofs from them."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

W = 256  # hashes per full tile, entries per full bundle
H = 32  # bytes per hash


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def spec_path(kind: str, n: int, width: int = W) -> str:
    """tlog-tiles §Merkle Tree: <N> in zero-padded 3-digit elements, all but the last with an x."""
    digits = str(n)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    encoded = "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])
    return f"tile/{kind}/{encoded}" + ("" if width == W else f".p/{width}")


def parse_bundle(data: bytes, *, wide: bool = False) -> list[bytes]:
    """Entries: big-endian uint16 length + data (uint32 for Lokikirja's entries-u32 fallback)."""
    size = 4 if wide else 2
    out, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i : i + size], "big")
        entry = data[i + size : i + size + n]
        assert len(entry) == n, "a truncated entry"
        out.append(entry)
        i += size + n
    return out


@dataclass
class Checkpoint:
    origin: str
    size: int
    root: bytes
    text: str
    signatures: list[str]


def read_checkpoint(folder: Path) -> Checkpoint:
    note = (folder / "checkpoint").read_text("utf-8")
    text, _, sigs = note.partition("\n\n")
    origin, size, root = text.split("\n")
    return Checkpoint(origin, int(size), base64.b64decode(root), text + "\n", sigs.splitlines())


class Tiles:
    """The tiles of the tree of ``size`` leaves in ``folder``, every one checked on reading."""

    def __init__(self, folder: Path, size: int) -> None:
        self.folder, self.size = folder, size
        self.cache: dict[tuple[int, int], list[bytes]] = {}

    def tile(self, level: int, n: int) -> list[bytes]:
        """Tile ``n`` at ``level``: full if the tree holds it whole, else partial of the tree's width."""
        if (level, n) in self.cache:
            return self.cache[(level, n)]
        hashes_at_level = self.size // W**level
        width = W if (n + 1) * W <= hashes_at_level else hashes_at_level - n * W
        assert 0 < width <= W, f"no tile {level}/{n} in a tree of size {self.size}"
        data = (self.folder / spec_path(str(level), n, width)).read_bytes()
        assert len(data) == width * H, f"tile {level}/{n} has {len(data)} bytes, not {width * H}"
        hashes = [data[i : i + H] for i in range(0, len(data), H)]
        if level == 0:
            for i, entry in enumerate(self.entries(n, width)):
                assert sha(b"\x00" + entry) == hashes[i], f"entry {n * W + i} does not hash to its tile"
        else:  # each hash is the MTH of a full tile below
            for i, h in enumerate(hashes):
                assert perfect(self.tile(level - 1, n * W + i)) == h, f"tile {level}/{n} hash {i}"
        self.cache[(level, n)] = hashes
        return hashes

    def entries(self, n: int, width: int = W) -> list[bytes]:
        path = self.folder / spec_path("entries", n, width)
        if path.exists():
            entries = parse_bundle(path.read_bytes())
        else:
            entries = parse_bundle((self.folder / spec_path("entries-u32", n, width)).read_bytes(), wide=True)
        assert len(entries) == width, f"bundle {n} has {len(entries)} entries, not {width}"
        return entries

    def perfect_hash(self, level: int, index: int) -> bytes:
        """MTH of the perfect subtree of 2^level leaves at ``index`` (RFC 6962), from the tiles."""
        if level % 8 == 0:
            tile_level = level // 8
            return self.tile(tile_level, index // W)[index % W]
        return sha(b"\x01" + self.perfect_hash(level - 1, 2 * index) + self.perfect_hash(level - 1, 2 * index + 1))

    def mth(self, a: int, b: int) -> bytes:
        """RFC 6962 §2.1 MTH(D[a:b]) for a subtree range."""
        n = b - a
        if n == 0:
            return sha(b"")
        if n & (n - 1) == 0 and a % n == 0:
            return self.perfect_hash(n.bit_length() - 1, a // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return sha(b"\x01" + self.mth(a, a + k) + self.mth(a + k, b))

    def path(self, m: int, a: int, b: int) -> list[bytes]:
        """RFC 6962 §2.1.1 PATH(m, D[a:b]), deepest sibling first."""
        n = b - a
        if n == 1:
            return []
        k = 1 << ((n - 1).bit_length() - 1)
        if m < k:
            return [*self.path(m, a, a + k), self.mth(a + k, b)]
        return [*self.path(m - k, a + k, b), self.mth(a, a + k)]

    def leaf(self, index: int) -> bytes:
        n = index // W
        width = W if (n + 1) * W <= self.size else self.size - n * W
        return self.entries(n, width)[index % W]


def perfect(hashes: list[bytes]) -> bytes:
    assert len(hashes) == W
    while len(hashes) > 1:
        hashes = [sha(b"\x01" + hashes[i] + hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, as docs/integrity.md writes it out."""
    fn, sn, r = index, size - 1, sha(b"\x00" + leaf)
    for c in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha(b"\x01" + c + r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha(b"\x01" + r + c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def expected_files(size: int, checkpoint_sizes: list[int], *, entries: bool = True) -> set[str]:
    """The files a folder published at ``size`` must hold: every full tile and bundle, and the
    last tile of each level at every checkpoint size that falls into it."""
    out = {"checkpoint"}
    level = 0
    while size // W**level:
        hashes = size // W**level
        kinds = [str(level)] + (["entries"] if entries and level == 0 else [])
        for kind in kinds:
            out |= {spec_path(kind, n) for n in range(hashes // W)}
            for s in checkpoint_sizes:
                if s <= size and (s // W**level) // W == hashes // W and (s // W**level) % W:
                    out.add(spec_path(kind, hashes // W, (s // W**level) % W))
        level += 1
    return out


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")}


def verify_folder(folder: Path, *, entries: bool = True) -> tuple[Checkpoint, Tiles]:
    """Every tile and bundle of the published tree checked; the root from the tiles is the note's."""
    cp = read_checkpoint(folder)
    tiles = Tiles(folder, cp.size)
    if not entries:
        tiles.entries = lambda n, width=W: []  # type: ignore[method-assign]
    level = 0
    while cp.size // W**level:
        hashes = cp.size // W**level
        for n in range((hashes + W - 1) // W):
            tiles.tile(level, n)
        level += 1
    assert tiles.mth(0, cp.size) == cp.root, "the tiles do not lead to the checkpoint's root"
    return cp, tiles
