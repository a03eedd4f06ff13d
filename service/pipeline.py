"""What happens after facts are appended: read models and the seal catch up, a checkpoint is signed."""

from __future__ import annotations

from collections.abc import Sequence

from ledger.follower import Follower
from ledger.store import Ledger
from projections.readmodel import followers
from service import output
from service.output import progress_bar


def catch_up_projections(ledger: Ledger, readers: Sequence[Follower] | None = None) -> int:
    """Bring every read-side follower to the end of the log; returns the facts applied.
    ``readers``: followers kept by a long-lived caller (a server), whose caches stay warm;
    by default new ones."""
    applied = 0
    for follower in followers(ledger) if readers is None else readers:
        # the lag (two queries) only for a bar or a line someone sees
        with progress_bar(f"project {follower.name}", None, remaining=follower.lag) as advance:
            applied += follower.catch_up(advance)
    return applied


def after_append(ledger: Ledger, appended: int, *, checkpoint_min_interval: float = 0.0,
                 readers: Sequence[Follower] | None = None) -> None:
    """Bring every follower up to the end of the log (projections, Merkle seal) and sign a
    checkpoint, so that a command run after ingest sees everything. A server appending small
    batches passes ``checkpoint_min_interval`` (seconds) so it signs at most that often, and
    its own ``readers`` (see :func:`catch_up_projections`)."""
    del appended
    # projections catch up here (before sealing)
    catch_up_projections(ledger, readers)

    # --- integrity (ledger/seal.py, ledger/checkpoints.py): seal the new facts, sign a checkpoint
    from ledger.checkpoints import sign_checkpoint
    from ledger.seal import Seal

    seal_new_facts(ledger)
    seal = Seal(ledger, create=False)
    ledger.refresh_statistics([seal.leaves, seal.nodes])
    sign_checkpoint(ledger, min_interval=checkpoint_min_interval)
    ask_witnesses(ledger)


def ask_witnesses(ledger: Ledger) -> None:
    """Have the configured witnesses cosign the latest checkpoint; one that is down or refuses
    delays nothing and is reported on stderr (the next append asks it again)."""
    from ledger.witnesses import submit

    for o in submit(ledger):
        if o.status != "cosigned":
            output.stderr.print(f"{o.describe()} — it did not cosign the latest checkpoint", highlight=False,
                                soft_wrap=True)


def seal_new_facts(ledger: Ledger) -> int:
    """Seal every fact not sealed yet into the Merkle tree, with a progress bar (10 M facts take
    a minute or two); returns how many."""
    from ledger.seal import Seal, seal_catch_up

    with progress_bar("seal", None, remaining=lambda: max(0, ledger.max_position() - Seal(ledger).position())) \
            as advance:
        return seal_catch_up(ledger, advance)
