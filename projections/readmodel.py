"""The read model: temporal state, access history and findings, following the log.

Two followers share its tables (ADR 0025):

- ``Lokikirja/views`` (:class:`ReadModel`) takes each page in (``intake``) and re-judges what it
  touched (``findings_engine``), in the page's transaction with its tracking position;
- ``Lokikirja/viewing`` (:class:`Viewing`) owns the views: their rows, their bulk state and their
  findings. Whenever it stands where the read model does, the read model applies the page whole
  and tracks both positions in the one transaction — every catch-up, ``serve`` and ``project``
  work so. A rebuild on PostgreSQL splits the page instead (:func:`rebuild`): the read model
  writes everything but the views, and the viewing follower, in a second process, judges the
  views against the state written, never past the read model's position. The read model's
  position is the smaller of the two (:func:`read_model_position`).
"""

from __future__ import annotations

import multiprocessing
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ledger.backend import Target
from ledger.collector import collector_paused
from ledger.db import Cursor
from ledger.follower import PAGE, Follower, Progress, page_tracker
from ledger.records import StoredFact
from ledger.store import Ledger
from projections import schema
from projections.findings_engine import FindingsEngine
from projections.intake import Intake, Part

#: ledgers whose viewing follower has been checked for a store followed whole before ADR 0025
_ADOPTED: weakref.WeakKeyDictionary[Ledger, bool] = weakref.WeakKeyDictionary()


class _Part(Follower):
    """A follower writing one :class:`Part` of each page into the read model's tables."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self._engines: dict[Part, FindingsEngine] = {}  # their history caches stay warm between pages

    def _judge(self, cur: Cursor, facts: list[StoredFact], part: Part) -> None:
        touched = Intake(self.db).write(cur, facts, part)
        judge = self._engines.get(part)
        if judge is None:
            judge = self._engines[part] = FindingsEngine(self.ledger, part)
        judge.rejudge(cur, touched, start=self.page_start, end=facts[-1].position)


class Viewing(_Part):
    """The views' part of the read model. It never applies a page before :class:`ReadModel` has:
    it judges views against the state that follower wrote (ADR 0025)."""

    name = "viewing"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        if ledger not in _ADOPTED:
            self._adopt()
            _ADOPTED[ledger] = True

    def create_statements(self) -> list[str]:
        return []  # the read model's tables are made by ReadModel

    def table_names(self) -> list[str]:
        return []  # …and dropped and analysed by it

    def apply(self, cur: Cursor, facts: list[StoredFact]) -> None:
        self._judge(cur, facts, Part.VIEWS)

    def catch_up(self, progress: Progress | None = None, *, page: int = PAGE, stop: int | None = None) -> int:
        bound = state_position(self.ledger)
        return super().catch_up(progress, page=page, stop=bound if stop is None else min(stop, bound))

    def _adopt(self) -> None:
        """A store whose read model was followed whole before this follower existed has its views
        judged up to the read model's position: this follower starts there."""
        views = self.db.table("v_views")
        with self.db.write() as cur:
            if self._lock(cur) or not self.db.table_exists(cur, views):
                return
            if cur.execute(f"SELECT 1 FROM {views} LIMIT 1").fetchone() is not None:
                self.tracker.track(cur, self.tracking_name, state_position(self.ledger))


class ReadModel(_Part):
    name = "views"
    #: write every page's state only, leaving the views to a :class:`Viewing` elsewhere (a rebuild)
    alone = False
    #: what of the page :meth:`apply` writes (set for each page)
    part = Part.ALL

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.viewing = Viewing(ledger)

    def create_statements(self) -> list[str]:
        return schema.create_statements(self.db)

    def reset_statements(self) -> tuple[list[str], list[str]]:
        return schema.create_statements(self.db, defer=True), schema.deferred_statements(self.db)

    def table_names(self) -> list[str]:
        return schema.table_names(self.db)

    def reset(self) -> None:
        """Drop the read model's tables and forget both followers' positions."""
        super().reset()
        self.viewing.reset()

    def _apply_page(self, facts: list[Any], last: int) -> bool:
        """As :meth:`Follower._apply_page`; the page whole, tracked by both followers, when the
        viewing follower stands here too; else all but its views."""
        with collector_paused(), self.db.write() as cur:
            if self._lock(cur) != self.page_start:
                return False
            whole = not self.alone and self.viewing._lock(cur) == self.page_start
            self.part = Part.ALL if whole else Part.STATE
            self.apply(cur, facts)
            self.tracker.track(cur, self.tracking_name, last)
            if whole:
                self.viewing.tracker.track(cur, self.viewing.tracking_name, last)
        return True

    def apply(self, cur: Cursor, facts: list[StoredFact]) -> None:
        self._judge(cur, facts, self.part)


def state_position(ledger: Ledger) -> int:
    """The position :class:`ReadModel` has applied (the state the views are judged against)."""
    return page_tracker(ledger, ReadModel.name).max_tracking_id(f"Lokikirja/{ReadModel.name}") or 0


#: every read-side follower, in the order they catch up
FOLLOWERS: tuple[type[Follower], ...] = (ReadModel, Viewing)


def followers(ledger: object) -> list[Follower]:
    """Every read-side follower, in the order they catch up (the viewing follower second: where
    it stands with the read model, it has nothing left to do)."""
    assert isinstance(ledger, Ledger)
    model = ReadModel(ledger)
    return [model, model.viewing]


def read_model_position(positions: dict[str, int]) -> int:
    """The position the whole read model has reached, from its followers' positions by name."""
    return min(positions.get(cls.name, 0) for cls in FOLLOWERS)


Bar = Callable[[str, int], AbstractContextManager[Progress]]


def rebuild(ledger: Ledger, bar: Bar | None = None) -> int:
    """Drop the read model and build it again from the log; returns the facts applied. ``bar``
    makes a progress callback for a follower's name and the facts to apply.

    On PostgreSQL the views are judged in a second process beside the state (ADR 0025); on SQLite,
    which has one writer at a time, one follower applies every page whole."""
    total = ledger.max_position()
    model = ReadModel(ledger)
    model.reset()
    if not ledger.db.REFRESHES_STATISTICS:  # SQLite
        with _bar(bar, model.name, total) as advance:
            return model.catch_up(advance)
    context = multiprocessing.get_context("spawn")
    finished = context.Event()
    helper = context.Process(target=_judge_views, args=(ledger.target, finished), name="lokikirja-viewing")
    helper.start()
    try:
        model.alone = True
        with _bar(bar, model.name, total) as advance:
            done = model.catch_up(advance)
        finished.set()
        with _bar(bar, Viewing.name, total) as advance:
            _await(helper, model.viewing, advance)
    finally:
        finished.set()
        if helper.is_alive():
            helper.terminate()
        helper.join()
    return done


def _bar(bar: Bar | None, name: str, total: int) -> AbstractContextManager[Progress]:
    if bar is not None:
        return bar(f"rebuild {name}", total)
    from contextlib import nullcontext

    return nullcontext(lambda n: None)


def _await(helper: Any, viewing: Viewing, advance: Progress) -> None:
    """Wait for the viewing follower's process, reporting its progress."""
    shown = 0
    while helper.is_alive():
        helper.join(0.2)
        now = viewing.position()
        if now > shown:
            advance(now - shown)
            shown = now
    if helper.exitcode != 0:
        raise RuntimeError(f"the rebuild's viewing follower stopped with exit code {helper.exitcode} "
                           "(its error is above); run `lokikirja rebuild` again")


def _judge_views(target: Target, finished: Any) -> None:
    """In a second process: apply the views' part of each page the read model has applied, until
    ``finished`` is set and everything the read model applied is."""
    with Ledger.open_target(target, need_keys=False) as ledger:
        viewing = Viewing(ledger)
        while True:
            last_round = finished.is_set()
            if viewing.catch_up() == 0:
                if last_round:
                    return
                finished.wait(0.05)
