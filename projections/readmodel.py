"""The read model: temporal state, access history and findings, following the log.

One follower (``Lokikirja/views``) so that every table of the read model moves together: a page
is taken in (``intake``), then what it touched is re-judged (``findings_engine``), all in the
page's transaction with the tracking position.
"""

from __future__ import annotations

from ledger.db import Cursor
from ledger.follower import Follower
from ledger.records import StoredFact
from ledger.store import Ledger
from projections import schema
from projections.findings_engine import FindingsEngine
from projections.intake import Intake


class ReadModel(Follower):
    name = "views"
    page_start: int | None = None

    def create_statements(self) -> list[str]:
        return schema.create_statements(self.db)

    def reset_statements(self) -> tuple[list[str], list[str]]:
        return schema.create_statements(self.db, defer=True), schema.deferred_statements(self.db)

    def table_names(self) -> list[str]:
        return schema.table_names(self.db)

    def apply(self, cur: Cursor, facts: list[StoredFact]) -> None:
        touched = Intake(self.db).write(cur, facts)
        judge = getattr(self, "_engine", None)
        if judge is None:
            judge = self._engine = FindingsEngine(self.ledger)
        judge.rejudge(cur, touched, start=self.page_start, end=facts[-1].position)


#: every read-side follower, in the order they catch up
FOLLOWERS: tuple[type[Follower], ...] = (ReadModel,)


def followers(ledger: object) -> list[Follower]:
    """Every read-side follower, in the order they catch up."""
    assert isinstance(ledger, Ledger)
    return [cls(ledger) for cls in FOLLOWERS]
