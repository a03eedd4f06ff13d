"""``verify``: recompute the whole log's Merkle tree and hold it against the seal and the
signed checkpoints — with the public key from the meta table, never the private keys.

The log is streamed in pages (bounded memory, one read snapshot). Each stored event's leaf is
recomputed from its stored bytes (``ledger.seal.leaf_hashes``, the sealer's own encoding) and
folded 256 leaves at a time:

- each complete block of 256 leaves is compared with the seal's stored subtree hash of that block
  (one extra row per 256 events); on a difference the block's leaves are compared with the sealed
  leaves one by one, which names the first bad position, its event and what happened (altered,
  deleted, moved, reordered, inserted, replaced);
- at every checkpoint's tree size the recomputed root must equal the signed root, and every
  signature must verify (each once). An attacker who also rewrote the seal tables is caught here;
  the report then names the first event not covered by an earlier intact checkpoint;
- a log shorter than the seal or than a checkpoint is truncated.

**Pinned trust** (``policy``, ``replay/trust.py``): checkpoint signatures are checked with the
pinned log key(s) only, never the store's; each checkpoint's C2SP note and the pinned witnesses'
cosignatures on it must verify; the newest checkpoint with a quorum of them is the *witnessed
head*. The witnesses are asked for the newest checkpoint they cosigned: the events must hash to
its root at its size (else the log was rewritten after it was witnessed), and the store's latest
checkpoint must not be older (else it was rolled back). Without a policy the report says that
only the store's own key was used.

**The subject index**: every ``ledger.index_committed`` root is rebuilt from the log and must
match (``replay/verify_index.py``): an index that hides one of a person's events, or lists one
that does not name them, fails at the fact that committed it.

Events after the latest checkpoint are *not yet covered*: compared with the seal where sealed,
counted in :attr:`VerifyReport.uncovered`, and never a failure. Large logs are scanned in
contiguous segments by several processes (one per CPU, on one exported snapshot on PostgreSQL);
any problem found that way is re-checked by the plain sequential pass, which writes the report.
"""

from __future__ import annotations

import concurrent.futures as futures
import itertools
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from ledger import merkle
from ledger.checkpoints import (
    Checkpoint,
    log_origin,
    notes_by_size,
    previous_public_keys,
    public_key,
    stored_checkpoints,
)
from ledger.db import Cursor
from ledger.seal import Seal
from ledger.store import Ledger
from replay.trust import TrustPolicy, WitnessView, ask_witnesses, describe, label, witnessing
from replay.verify_index import check_index
from replay.verify_scan import (
    BLOCK,
    BLOCK_LEVEL,
    FORKED,
    BadPosition,
    Found,
    Progress,
    Scanned,
    Scanner,
    Segment,
    scan_in_worker,
)

__all__ = ["BadPosition", "VerifyReport", "verify"]

PARALLEL_MIN = 100_000  # sealed events below which one process is faster than several
MAX_WORKERS = 8


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify`. ``uncovered``: events after the latest checkpoint."""

    ok: bool
    events: int
    checkpoints: int
    first_bad: BadPosition | None
    uncovered: int = 0
    sealed: int = 0
    trust: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON (CONTRACT §6): exactly ``ok``, ``events``, ``checkpoints``,
        ``first_bad`` — and, under a pinned policy only, ``trust``: the keys the verdict relied on
        (``replay/trust.py``). Without a policy the CLI says on stderr that the store's key was used."""
        doc = {"ok": self.ok, "events": self.events, "checkpoints": self.checkpoints,
               "first_bad": None if self.first_bad is None else self.first_bad.to_json()}
        if self.trust is not None and self.trust.get("policy") == "pinned":
            doc["trust"] = self.trust
        return doc


def verify(ledger: Ledger, progress: Progress | None = None, *, workers: int | None = None,
           policy: TrustPolicy | None = None, index_progress: Progress | None = None) -> VerifyReport:
    """Verify every stored event against the seal and every checkpoint (see the module docstring).
    ``workers``: processes to scan with (default: one per CPU for large logs); ``policy``: the
    pinned keys to trust instead of the store's; ``index_progress``: told of the events read again
    for the subject index (a second pass, only when the log holds a commitment)."""
    from ledger.witnesses import configured

    policy = policy or TrustPolicy()
    seal = Seal(ledger)
    if policy.pinned:
        keys, who = policy.raw_log_keys(), "the pinned log key " + ", ".join(label(k) for k in policy.log_keys)
    else:
        kid, key = public_key(ledger)
        previous = previous_public_keys(ledger)
        keys = [key, *(k for _i, k in previous)]
        who = f"the ledger's public key (key id {', '.join([kid, *(i for i, _k in previous)])})"
    asked = ask_witnesses(policy, [*policy.witness_urls, *(w.url for w in configured(ledger)
                                                           if w.key in policy.witness_keys)])
    with _snapshot(ledger) as cur:
        job = _Job(seal, cur, keys, progress or (lambda _n: None), who=who, views=asked.views)
        wanted = workers or min(os.cpu_count() or 1, MAX_WORKERS)
        report = None
        if wanted > 1 and (workers or job.sealed >= PARALLEL_MIN) and _can_fork():
            report = job.parallel(wanted)
        if report is None or not report.ok:
            report = job.compose([job.scan(Segment(0, 0, None))])
        if report.ok and (bad := check_index(seal, cur, index_progress)) is not None:
            report = replace(report, ok=False, first_bad=bad)
        return job.judge_trust(report, policy, asked.notes, log_origin(ledger))


@contextmanager
def _snapshot(ledger: Ledger) -> Iterator[Cursor]:
    """One read snapshot for the whole pass (REPEATABLE READ on PostgreSQL: it can be exported)."""
    with ledger.db.snapshot() as cur:
        yield cur


# ---------------------------------------------------------------------- the whole job


class _Job:
    def __init__(self, seal: Seal, cur: Cursor, keys: list[bytes], progress: Progress, *,
                 who: str = "the ledger's public key", views: Sequence[WitnessView] = ()) -> None:
        self.seal, self.cur, self.keys, self.who, self.progress = seal, cur, keys, who, progress
        self.sealed, _ = seal.head(cur)
        self.checkpoints = stored_checkpoints(seal, cur)
        self.views = [v for v in views if v.tree_size > 0]
        self.marks = {0} | {c.tree_size for c in self.checkpoints} | {v.tree_size for v in self.views}

    def _signed(self, checkpoint: Checkpoint) -> bool:
        return any(checkpoint.verifies_with(k) for k in self.keys)

    def scan(self, segment: Segment) -> Scanned:
        return Scanner(self.seal, self.cur, self.sealed, self.marks, self.progress).run(segment)

    def _plan(self, workers: int) -> list[Segment]:
        """Contiguous segments of whole 256-leaf blocks, bounded by the sealed positions."""
        firsts = sorted({(self.sealed * j // workers) >> BLOCK_LEVEL << BLOCK_LEVEL for j in range(workers)})
        bounds = [0]
        for a in firsts[1:]:
            before = self.seal.sealed_leaves(self.cur, a - 1, a)
            if not before:
                return []  # the seal lacks a leaf: the sequential pass explains it
            bounds.append(before[0].position)
        bounds.append(self.seal.last_position(self.cur))
        return [Segment(a, bounds[j], bounds[j + 1]) for j, a in enumerate(firsts)]

    def parallel(self, workers: int) -> VerifyReport | None:
        """Scan segments in ``workers`` processes at once; ``None`` when that cannot decide."""
        segments = self._plan(workers)
        if len(segments) < 2:
            return None
        firsts = [s.first_leaf for s in segments]
        counter = multiprocessing.get_context("fork").Value("q", 0)
        FORKED.update(job=self, counter=counter, snapshot=self._export_snapshot())
        try:
            with futures.ProcessPoolExecutor(len(segments) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
                running = [pool.submit(scan_in_worker, s) for s in segments[1:]]
                seen = [0]
                self.progress = _with_children(self.progress, counter, seen)
                first = self.scan(segments[0])
                while futures.wait(running, timeout=0.2).not_done:
                    self.progress(0)
                scans = [first] + [f.result() for f in running]
        except Exception:  # a worker failed: the sequential pass decides
            return None
        finally:
            FORKED.clear()
        expected = [b - a for a, b in itertools.pairwise(firsts)]
        if any(s.count != e for s, e in zip(scans, expected, strict=False)):
            return None  # rows missing at a segment's end: the sequential pass names them
        return self.compose(scans)

    def _export_snapshot(self) -> str | None:
        return self.seal.db.export_snapshot(self.cur)

    def compose(self, scans: list[Scanned]) -> VerifyReport:
        """Check every checkpoint against the scanned blocks; the first problem in log order wins."""
        bad = next((s.bad for s in scans if s.bad is not None), None)
        limit = bad.position if bad else None
        total = sum(s.count for s in scans)
        blocks = [b for s in scans for b in s.blocks]
        parts = {k: v for s in scans for k, v in s.parts.items()}
        tree, verified, covered = merkle.CompactRange(), 0, 0
        heads: list[Checkpoint | WitnessView] = sorted([*self.checkpoints, *self.views],
                                                       key=lambda h: (h.tree_size, isinstance(h, WitnessView)))
        try:
            for head in heads:
                n = head.tree_size
                if (limit is not None and n - 1 >= limit) or n > total:
                    break  # a bad leaf or the end of the log comes first
                if isinstance(head, Checkpoint) and not self._signed(head):
                    raise Found(_forged(head, n - 1, self.who))
                while tree.size < n >> BLOCK_LEVEL << BLOCK_LEVEL:
                    tree.push(BLOCK_LEVEL, blocks[tree.size >> BLOCK_LEVEL])
                subtrees = tree.hashes + (parts[n] if n % BLOCK else [])
                if (merkle.fold(subtrees) if subtrees else merkle.EMPTY_ROOT) != head.root_hash:
                    raise Found(_mismatch(head, covered) if isinstance(head, Checkpoint) else _unwitnessed(head))
                if isinstance(head, Checkpoint):
                    verified, covered = verified + 1, n
            if bad is not None:
                raise Found(bad)
            self._check_tail(total, verified)
        except Found as found:
            events = total if bad is None else self.seal.count_after(self.cur, 0)
            return VerifyReport(False, events, verified, found.bad, sealed=self.sealed)
        return VerifyReport(True, total, verified, None, total - covered, self.sealed)

    def _check_tail(self, total: int, verified: int) -> None:
        if total < self.sealed:
            event = self.seal.sealed_leaves(self.cur, total, total + 1)[0].event
            raise Found(BadPosition(total, str(UUID(bytes=event)), (
                f"truncated: the log ends after {total} events but {self.sealed} were sealed; the event sealed "
                f"at position {total} and every later one are missing")))
        for checkpoint in self.checkpoints[verified:]:
            if not self._signed(checkpoint):
                raise Found(_forged(checkpoint, checkpoint.tree_size - 1, self.who))
            raise Found(BadPosition(total, None, (
                f"truncated: the log holds {total} events but the checkpoint of tree size "
                f"{checkpoint.tree_size} ({checkpoint.timestamp}) covers more; its tail was removed")))
        for view in self.views:
            if view.tree_size > total:
                raise Found(BadPosition(total, None, (
                    f"rolled back: {view.describe()}, but the log holds only {total} events; "
                    "its tail was removed after it was witnessed")))

    def judge_trust(self, report: VerifyReport, policy: TrustPolicy, notes: list[str], origin: str) -> VerifyReport:
        """The report with its ``trust`` part; under a pinned policy, also fail on a forged note or
        cosignature, a missing quorum, or a store older than a witness's newest checkpoint."""
        if not policy.pinned:
            return replace(report, trust=describe(policy, log_keys=[self.who]))
        witnessed, problem = None, None
        if report.ok:
            witnessed, problem = self._witnessed_head(policy)
        latest = self.checkpoints[-1].tree_size if self.checkpoints else 0
        newest = max(self.views, key=lambda v: v.tree_size, default=None)
        if problem is None and report.ok and newest is not None and newest.tree_size > latest:
            problem = BadPosition(latest, None, (
                f"rolled back: {newest.describe()}, but the store's latest checkpoint covers only {latest} events; "
                "the newer checkpoints were removed (a rollback or a rewrite of the tail)"))
        if problem is None and report.ok and policy.quorum and witnessed is None:
            problem = BadPosition(0, None, (
                f"unwitnessed: no checkpoint in the store is cosigned by {policy.quorum} of the pinned witnesses"))
        trust = describe(policy, origin=origin, witnessed_size=witnessed,
                         witnesses_seen=[{"witness": label(v.witness), "url": v.url, "tree_size": v.tree_size,
                                          "cosigned_at": v.when} for v in self.views],
                         notes=notes)
        if problem is not None:
            return replace(report, ok=False, first_bad=problem, trust=trust)
        return replace(report, trust=trust)

    def _witnessed_head(self, policy: TrustPolicy) -> tuple[int | None, BadPosition | None]:
        """The size of the newest checkpoint a quorum of pinned witnesses cosigned, or the forgery found."""
        notes = notes_by_size(self.seal.ledger, self.cur, self.checkpoints)
        witnessed = None
        for checkpoint in self.checkpoints:
            found = witnessing(policy, checkpoint, notes.get(checkpoint.tree_size))
            if found.problem is not None:
                return None, BadPosition(max(checkpoint.tree_size - 1, 0), None, (
                    f"forged checkpoint note: the checkpoint of tree size {checkpoint.tree_size} "
                    f"({checkpoint.timestamp}): {found.problem}"))
            if policy.witness_keys and len({k for k, _t in found.cosigners}) >= policy.quorum:
                witnessed = checkpoint.tree_size
        return witnessed, None


def _unwitnessed(view: WitnessView) -> BadPosition:
    return BadPosition(view.tree_size - 1, None, (
        f"rewritten after it was witnessed: the events up to leaf {view.tree_size - 1} do not hash to the root that "
        f"{view.describe()}; the log was altered, or a fork was shown to the witness"))


def _forged(checkpoint: Checkpoint, position: int, who: str) -> BadPosition:
    return BadPosition(position, None, (
        f"forged checkpoint: the checkpoint of tree size {checkpoint.tree_size} ({checkpoint.timestamp}) "
        f"does not verify with {who} (its key id is {checkpoint.key_id}); it was forged or altered"))


def _mismatch(checkpoint: Checkpoint, covered: int) -> BadPosition:
    return BadPosition(covered, None, (
        f"the events from leaf {covered} to leaf {checkpoint.tree_size - 1} do not hash to the root signed by the "
        f"checkpoint of tree size {checkpoint.tree_size} ({checkpoint.timestamp}); one of them was altered, removed, "
        "reordered or inserted, and the seal tables were rewritten to match"))


# ---------------------------------------------------------------------- worker processes


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _with_children(own: Progress, counter: Any, seen: list[int]) -> Progress:
    def advance(n: int) -> None:
        now = counter.value
        own(n + now - seen[0])
        seen[0] = now
    return advance


