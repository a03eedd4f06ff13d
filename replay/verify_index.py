"""``verify``'s check of the subject index: every committed root rebuilt from the log itself.

Each ``ledger.index_committed`` fact in the log commits to the subject map of the first
``tree_size`` leaves (``ledger/subject_index.py``). The log is read once more in leaf order and
the map rebuilt in memory (:class:`~ledger.submap.MemoryMap`: one hash per subject, whatever the
number of events); at each committed tree size the rebuilt root must equal the committed one. An
index that leaves out one view of a person, or lists an event under a person it does not name,
is caught at the fact that committed it, and the subject and the event are named where the
index's own tables still show them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import orjson

from ledger import submap
from ledger.db import Cursor
from ledger.seal import Seal
from ledger.subject_index import INDEX_TYPE, SubjectIndex, index_keys
from replay.verify_scan import BadPosition

PAGE = 5000


def _log(seal: Seal, cur: Cursor,
         progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, int, bytes, dict[str, Any]]]:
    """``(leaf index, position, event id, stored record)`` of every stored event in log order."""
    leaf, after = 0, 0
    while rows := seal.log_page(cur, after, PAGE, with_event=True):
        for position, event, state in rows:
            yield leaf, position, event, orjson.loads(state)
            leaf += 1
        after = rows[-1][0]
        if progress is not None:
            progress(len(rows))


def check_index(seal: Seal, cur: Cursor, progress: Callable[[int], None] | None = None) -> BadPosition | None:
    """The first committed index root that the log does not reproduce, or ``None`` (``progress``:
    told of the events read)."""
    commits = _commits(seal, cur)
    if not commits:
        return None
    built = submap.MemoryMap()
    pending = sorted(commits, key=lambda c: c[2]["data"]["tree_size"])
    for leaf, _position, _event, doc in _log(seal, cur, progress):
        while pending and pending[0][2]["data"]["tree_size"] == leaf:
            if (bad := _compare(seal, cur, built, pending.pop(0))) is not None:
                return bad
        for key in index_keys(doc["type"], doc["data"]):
            built.add(submap.key_hash(key), leaf)
    for commit in pending:
        if (bad := _compare(seal, cur, built, commit)) is not None:
            return bad
    return None


def _commits(seal: Seal, cur: Cursor) -> list[tuple[int, bytes, dict[str, Any]]]:
    """``(leaf index, event id, stored record)`` of every ``ledger.index_committed`` fact."""
    rows = cur.execute(f"SELECT {seal.position_column}, state FROM {seal.events} WHERE topic = %s "
                       f"ORDER BY {seal.position_column}", (INDEX_TYPE,)).fetchall()
    sealed = seal.leaves_at(cur, [position for position, _ in rows])
    out = []
    for position, state in rows:
        doc = orjson.loads(bytes(state) if isinstance(state, memoryview) else state)
        leaf = sealed[position].leaf_index if position in sealed else seal.count_before(cur, position)
        out.append((leaf, UUID(doc["id"]).bytes, doc))
    return out


def _compare(seal: Seal, cur: Cursor, built: submap.MemoryMap,
             commit: tuple[int, bytes, dict[str, Any]]) -> BadPosition | None:
    leaf, event, doc = commit
    data = doc["data"]
    where = (f"the subject index committed at position {leaf} (over the first {data['tree_size']} events)")
    if data["tree_size"] > leaf:
        return BadPosition(leaf, str(UUID(bytes=event)), f"{where} claims events that come after it")
    root, subjects = built.root()
    if root.hex() == data["root"] and subjects == data["subjects"]:
        return None
    return BadPosition(leaf, str(UUID(bytes=event)), f"{where} does not match the log: "
                       + (_diagnose(seal, cur, built, data["tree_size"]) or
                          "a subject's events were left out of it or added to it"))


def _diagnose(seal: Seal, cur: Cursor, built: submap.MemoryMap, tree_size: int) -> str | None:
    """Which subject and event the index's own tables disagree with the log on, if they show it."""
    index = SubjectIndex(seal.ledger)
    differing = []
    for kh, value in cur.execute(f"SELECT key_hash, value_hash FROM {index.leaves}"):
        if built.values.get(bytes(kh)) != bytes(value):
            differing.append(bytes(kh))
            break
    if not differing:
        return None
    kh = differing[0]
    listed = {leaf for (leaf,) in cur.execute(f"SELECT leaf_index FROM {index.entries} WHERE key_hash = %s "
                                              "AND leaf_index < %s", (kh, tree_size))}
    for leaf, _position, event, doc in _log(seal, cur):
        if leaf >= tree_size:
            break
        keys = {k for k in index_keys(doc["type"], doc["data"]) if submap.key_hash(k) == kh}
        named = bool(keys)
        if named != (leaf in listed):
            key = next(iter(keys)) if keys else _key_of(seal, cur, kh, tree_size)
            what = f"the {doc['type']} event {UUID(bytes=event)} at position {leaf}"
            return (f"it leaves out {what} of {key}" if named else
                    f"it lists {what} under {key or 'a subject'} the event does not name")
    return None


def _key_of(seal: Seal, cur: Cursor, kh: bytes, tree_size: int) -> str | None:
    for leaf, _position, _event, doc in _log(seal, cur):
        if leaf >= tree_size:
            return None
        for key in index_keys(doc["type"], doc["data"]):
            if submap.key_hash(key) == kh:
                return key
    return None

