"""``init`` and ``ingest``."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

from ledger.errors import InvalidInput, UsageError
from ledger.store import Ledger
from service.app import db_option, format_option, keys_option, main
from service.output import emit_json, progress_bar, stdout


@main.command()
@click.option("--origin", metavar="ORIGIN", envvar="LOKIKIRJA_ORIGIN", default=None,
              help="The log's identity in its C2SP checkpoints, e.g. lokikirja.example.fi/area-helsinki "
                   "(default: $LOKIKIRJA_ORIGIN, else lokikirja.invalid/<signing key id>); fixed at creation.")
@db_option
@keys_option
@format_option("table", "json")
def init(origin: str | None, db: str | None, keys: str | None, fmt: str) -> None:
    """Create the store and its keys (files 0600). Running it again changes nothing.

    Example: lokikirja init --db ./ledger.db --keys ./ledger-keys --origin lokikirja.example.fi/area-helsinki
    """
    from ledger.checkpoints import check_origin, log_origin

    ledger, created = Ledger.init(db, keys, None if origin is None else check_origin(origin))
    with ledger:
        meta = ledger.meta()
        doc = {"db": ledger.target.display, "keys": meta["keys_dir"], "created": created,
               "signing_key_id": meta["signing_key_id"], "origin": log_origin(ledger)}
    if fmt == "json":
        emit_json(doc)
    elif created:
        stdout.print(f"Created a ledger at {doc['db']} with keys in {doc['keys']} "
                     f"(signing key {doc['signing_key_id']}, origin {doc['origin']}).")
    else:
        stdout.print(f"The ledger at {doc['db']} already exists; nothing changed.")


def _check_readable(path: Path) -> None:
    """A file to ingest: a regular file, or anything else that reads like one (a named pipe,
    ``/dev/stdin``, a shell's ``<(zcat events.jsonl.gz)``) — not a folder, not a missing path."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a file of events")
    if not os.access(path, os.R_OK):
        raise UsageError(f"{path}: cannot be read (permission denied)")


def _spool_stdin() -> Path:
    fd, name = tempfile.mkstemp(prefix="lokikirja-stdin-", suffix=".jsonl")
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    return Path(name)


@main.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE…")
@db_option
@keys_option
@format_option("table", "json")
def ingest(files: tuple[str, ...], db: str | None, keys: str | None, fmt: str) -> None:
    """Validate and append contract events (JSON Lines); "-" reads stdin.

    Every line of a file is validated first: if any line is bad, nothing from that file is
    stored and each bad line is reported as FILE:LINE: field: message (exit 2). Re-ingesting is
    idempotent. Projections and the Merkle seal catch up and a checkpoint is signed before it returns.
    Off a terminal, a progress line goes to stderr every LOKIKIRJA_PROGRESS_INTERVAL seconds
    (default 5; 0: none) instead of a progress bar. A file of more than 5,000 lines is validated in
    LOKIKIRJA_INGEST_WORKERS worker processes (default: the processors, at most 4; 0: none).

    A fact's at must lie in the valid-time range (default 1970-01-01 to 2039-12-31, Helsinki; env
    LOKIKIRJA_VALID_FROM, LOKIKIRJA_VALID_UNTIL) and at most LOKIKIRJA_MAX_DAYS_AHEAD (default 1) day
    after it is recorded; free text and lists have length limits (docs/input.md).

    Example: lokikirja ingest events.jsonl --format json
    """
    from ledger.ingest import IngestReport, ingest_stream
    from ledger.validtime import ValidTime
    from service.pipeline import after_append

    for name in files:
        if name != "-":
            _check_readable(Path(name))
    valid_time = ValidTime.from_env()  # a bad LOKIKIRJA_VALID_* is a usage error before anything opens
    total = IngestReport()
    failures: list[InvalidInput] = []
    with Ledger.open(db, keys, create=True) as ledger:
        for name in files:
            path = _spool_stdin() if name == "-" else Path(name)
            try:
                size = path.stat().st_size if path.is_file() else None  # a pipe's size is not known
                with path.open("rb") as stream, progress_bar(
                    f"ingest {'stdin' if name == '-' else name}", size, bytes_mode=True
                ) as advance:
                    total.add(ingest_stream(ledger, "-" if name == "-" else name, stream, on_bytes=advance,
                                            valid_time=valid_time))
            except InvalidInput as e:
                failures.append(e)
            finally:
                if name == "-":
                    path.unlink(missing_ok=True)
        after_append(ledger, total.ingested)
    if fmt == "json":
        emit_json({"ingested": total.ingested, "duplicates": total.duplicates})
    else:
        # the result is data, so it goes to stdout like every format's; stderr carries only problems
        stdout.print(f"ingested {total.ingested}, duplicates {total.duplicates}", highlight=False)
    if failures:
        raise InvalidInput.of_sources(failures)
