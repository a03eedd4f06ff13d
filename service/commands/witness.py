"""``witness init|add-log|key|status|serve`` — the supervisor's witness — and ``witnesses
add|list|remove`` — the witnesses a ledger asks to cosign its checkpoints (docs/integrity.md)."""

from __future__ import annotations

from pathlib import Path

import click

from ledger import witnesses as log_witnesses
from ledger.errors import UsageError
from ledger.note import NoteError, VerifierKey
from ledger.store import Ledger
from ledger.witness import Witness
from service.app import db_option, format_option, main, note
from service.output import emit_json, emit_rows, stdout

DEFAULT_DIR = "lokikirja-witness"


def dir_option(f):  # type: ignore[no-untyped-def]
    return click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DIR,
                        envvar="LOKIKIRJA_WITNESS_DIR", show_default=True,
                        help="The witness's folder: its key and state (env LOKIKIRJA_WITNESS_DIR).")(f)


def _vkey(text: str) -> VerifierKey:
    try:
        return VerifierKey.parse(text)
    except NoteError as e:
        raise UsageError(str(e)) from None


@main.group()
def witness() -> None:
    """Run a witness (c2sp.org/tlog-witness), e.g. at AVI: it cosigns a log's checkpoints only
    when each is consistent with every one it cosigned before, and keeps its own state."""


@witness.command("init")
@click.option("--name", required=True, metavar="NAME", help="The witness's key name, e.g. avi.fi/witness-1.")
@click.option("--log-key", "log_keys", multiple=True, metavar="VKEY",
              help="A log's verifier key to follow (`lokikirja keys verifier` on the log); repeatable.")
@dir_option
@format_option("table", "json")
def witness_init(name: str, log_keys: tuple[str, ...], folder: Path, fmt: str) -> None:
    """Create the witness's key (0600) and state in --dir; print its verifier key (type 0x04),
    which the log (`lokikirja witnesses add`) and every verifier (--witness-key) pin.

    Example: lokikirja witness init --dir ./avi-witness --name avi.fi/witness-1 --log-key "$(cat log.vkey)"
    """
    w = Witness.init(folder, name)
    origins = [w.trust_log(_vkey(k)) for k in log_keys]
    if fmt == "json":
        emit_json({"name": w.name, "vkey": str(w.verifier), "dir": str(folder), "logs": origins})
    else:
        stdout.print(str(w.verifier), highlight=False, soft_wrap=True)
        for origin in origins:
            note(f"following the log {origin}")


@witness.command("add-log")
@click.argument("vkey", metavar="LOG_VKEY")
@click.option("--origin", default=None, help="The log's origin (default: the key's name).")
@dir_option
def witness_add_log(vkey: str, origin: str | None, folder: Path) -> None:
    """Follow one more log (or accept a log's next key after a rotation): cosign checkpoints of
    its origin signed by LOG_VKEY.

    Example: lokikirja witness add-log "$(cat log.vkey)" --dir ./avi-witness
    """
    followed = Witness(folder).trust_log(_vkey(vkey), origin)
    note(f"following the log {followed}")


@witness.command("key")
@dir_option
def witness_key(folder: Path) -> None:
    """Print the witness's verifier key (name+hexid+base64(0x04 ‖ key))."""
    stdout.print(str(Witness(folder).verifier), highlight=False, soft_wrap=True)


@witness.command("status")
@dir_option
@format_option("table", "json")
def witness_status(folder: Path, fmt: str) -> None:
    """The logs this witness follows, the latest tree size it cosigned of each, and the submissions
    it refused (evidence of a fork or a rollback)."""
    w = Witness(folder)
    doc = {"name": w.name, "vkey": str(w.verifier), "logs": w.logs(), "refused": w.refused()}
    if fmt == "json":
        emit_json(doc)
        return
    stdout.print(f"witness {doc['vkey']}", highlight=False, soft_wrap=True)
    emit_rows([{"origin": x["origin"], "tree_size": x["tree_size"]} for x in doc["logs"]],
              ["origin", "tree_size"], "table", title="logs followed")
    if doc["refused"]:
        emit_rows(doc["refused"], ["at", "origin", "status", "reason"], "table", title="refused submissions")


@witness.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7380, show_default=True, type=click.IntRange(0, 65535), help="Port.")
@dir_option
def witness_serve(host: str, port: int, folder: Path) -> None:
    """Serve the witness protocol: POST /add-checkpoint, GET /<sha256(origin)>/checkpoint.

    Example: lokikirja witness serve --dir ./avi-witness --port 7380
    """
    import uvicorn

    from service.commands.serve import _loopback
    from service.http.witness_app import create_witness_app

    w = Witness(folder)
    if not w.logs():
        note("this witness follows no log yet: add one with `lokikirja witness add-log`")
    if not _loopback(host):
        note(f"listening on {host} without TLS: put a TLS-terminating proxy in front of it (the protocol "
             "needs no secrecy, but a verifier should know it talks to the real witness)")
    note(f"witness {w.verifier} on http://{host}:{port}/")
    uvicorn.run(create_witness_app(w), host=host, port=port, access_log=False, log_level="warning",
                server_header=False)


# ---------------------------------------------------------------------- the log's witnesses


@main.group()
def witnesses() -> None:
    """The witnesses this ledger asks to cosign each new checkpoint."""


@witnesses.command("add")
@click.argument("url", metavar="URL")
@click.argument("vkey", metavar="VERIFIER_KEY")
@db_option
def witnesses_add(url: str, vkey: str, db: str | None) -> None:
    """Ask the witness at URL to cosign every new checkpoint; VERIFIER_KEY (type 0x04, from
    `lokikirja witness key`) checks its cosignatures. The current checkpoint is submitted at once.

    Example: lokikirja witnesses add http://witness.avi.example:7380 "$(cat witness.vkey)"
    """
    with Ledger.open(db, need_keys=False) as ledger:
        added = log_witnesses.add(ledger, url, vkey)
        outcomes = [o for o in log_witnesses.submit(ledger, force=True) if o.witness == added.name]
    note(f"added the witness {added.key} at {added.url}")
    for o in outcomes:
        note(o.describe())


@witnesses.command("list")
@db_option
@format_option("table", "json")
def witnesses_list(db: str | None, fmt: str) -> None:
    """The configured witnesses: name, verifier key, URL."""
    with Ledger.open(db, need_keys=False) as ledger:
        rows = [{"name": w.name, "vkey": str(w.key), "url": w.url} for w in log_witnesses.configured(ledger)]
    if fmt == "json":
        emit_json(rows)
    else:
        emit_rows(rows, ["name", "url", "vkey"], "table", title="witnesses")


@witnesses.command("remove")
@click.argument("name", metavar="NAME")
@db_option
def witnesses_remove(name: str, db: str | None) -> None:
    """Stop asking the witness NAME (its cosignatures already kept stay)."""
    with Ledger.open(db, need_keys=False) as ledger:
        if not log_witnesses.remove(ledger, name):
            raise UsageError(f"no witness named {name}")
    note(f"removed the witness {name}")
