"""What happens after facts are appended: read models and the seal catch up, a checkpoint is signed."""

from __future__ import annotations

from ledger.store import Ledger


def after_append(ledger: Ledger, appended: int) -> None:
    """Bring every follower up to the end of the log (projections, Merkle seal) and sign a
    checkpoint. Filled in as the followers land (projections, ledger.seal)."""
    del ledger, appended
