"""``status``: the facts of /healthz and /metrics for an operator at a shell, no server needed."""

from __future__ import annotations

import sys
from typing import Any

import click

from ledger.store import Ledger
from service.app import db_option, format_option, main
from service.output import emit_json, emit_rows, stdout


@main.command()
@click.option("--stuck-after", "stuck_after", default=60.0, show_default=True, metavar="SECONDS",
              type=click.FloatRange(min=1), help="A follower behind the log that has not advanced for this long "
              "is stuck.")
@click.option("--sample", default=5.0, show_default=True, metavar="SECONDS", type=click.FloatRange(min=0),
              help="How long to watch a follower that may be stuck (behind by a fact older than --stuck-after) "
                   "for an advance; 0: do not watch.")
@db_option
@format_option("table", "json")
def status(stuck_after: float, sample: float, db: str | None, fmt: str) -> None:
    """Show the ledger's health: each follower's lag, the latest checkpoint, the witnesses.

    The same facts as the server's /healthz, read from the store without taking any lock (it
    answers while a follower is stuck) and without catching anything up. A follower is ok
    (caught up), lagging (behind, but advancing) or stuck (behind, and not advanced for
    --stuck-after seconds). Exit 1 when a follower is stuck.

    Example: lokikirja status --db postgresql://ledger@db/lokikirja --format json
    """
    from projections.health import look

    with Ledger.open(db, need_keys=False) as ledger:
        health = look(ledger, stuck_after=stuck_after, sample=sample)
    doc = health.to_json()
    if fmt == "json":
        emit_json(doc)
    else:
        _table(doc)
    if health.status == "stuck":
        sys.exit(1)


def _table(doc: dict[str, Any]) -> None:
    stdout.print(f"status: {doc['status']} (at {doc['at']}, {doc['backend']}, log position {doc['log_position']})",
                 highlight=False)
    emit_rows(doc["followers"], ["name", "state", "position", "behind", "lag_seconds", "stalled_seconds"], "table")
    checkpoint = doc["checkpoint"]
    if checkpoint is None:
        stdout.print("checkpoint: none yet", highlight=False)
    else:
        stdout.print(f"checkpoint: tree size {checkpoint['tree_size']} of {checkpoint['sealed_tree_size']} sealed, "
                     f"signed {checkpoint['timestamp']} ({checkpoint['age_seconds']:.0f} s ago)", highlight=False)
    if not doc["witnesses"]:
        stdout.print("witnesses: none configured", highlight=False)
    for w in doc["witnesses"]:
        cosigned = "cosigned the latest checkpoint" if w["cosigned_latest"] else (
            f"last cosigned tree size {w['cosigned_tree_size']}" if w["cosigned_tree_size"] else "never cosigned")
        stdout.print(f"witness {w['name']}+{w['key_id']}: {cosigned}", highlight=False)
