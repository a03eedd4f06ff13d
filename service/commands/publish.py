"""``publish-tiles``: the log as static C2SP tlog-tiles files (docs/integrity.md §9)."""

from __future__ import annotations

import click

from ledger.store import Ledger
from ledger.tiles import tile_publication
from service.app import db_option, format_option, main, note
from service.output import emit_json, progress_bar, stdout


@main.command("publish-tiles")
@click.argument("folder", metavar="DIR")
@click.option("--entries/--no-entries", default=True, show_default=True,
              help="Also write the entry bundles (the stored records, personal fields as ciphertext). "
                   "Without them the folder holds only hashes and the checkpoint.")
@db_option
@format_option("table", "json")
def publish_tiles(folder: str, entries: bool, db: str | None, fmt: str) -> None:
    """Write the log up to its latest checkpoint into DIR as c2sp.org/tlog-tiles, for mirrors.

    DIR/checkpoint is the checkpoint's signed note with every cosignature; DIR/tile/<L>/<N> the
    hash tiles; DIR/tile/entries/<N> the entry bundles: each event's leaf bytes as the seal
    hashes them. Incremental: a second run writes only new tiles (full tiles are never
    rewritten) and the checkpoint last, after the tiles are checked against its signed root.
    The entry bundles hold the pseudonymous record: serve DIR only to readers entitled to the
    log (AVI, the witness), or publish openly with --no-entries. Exit 1 when the log or the seal
    does not match the signed checkpoint; nothing is published then.

    Example: lokikirja publish-tiles /srv/lokikirja/area-helsinki --format json
    """
    with (Ledger.open(db, need_keys=False) as ledger,
          tile_publication(ledger, folder, entries=entries) as run,
          progress_bar("publish tiles", run.pending) as advance):
        report = run.run(advance)
    if fmt == "json":
        emit_json(report.to_json())
        return
    stdout.print(f"published tree size {report.tree_size} to {folder}: {report.tiles_written} tile(s) and "
                 f"{report.bundles_written} entry bundle(s) written ({report.bytes_written:,} bytes), "
                 f"{report.unchanged} already in place", highlight=False, soft_wrap=True)
    if report.oversized_bundles:
        note(f"{report.oversized_bundles} entry bundle(s) hold a leaf over 65,535 bytes and were written under "
             "tile/entries-u32/ (32-bit lengths) instead of tile/entries/")
