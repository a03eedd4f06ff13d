"""``serve``: the HTTP API and the web UI (``service/http``) on uvicorn."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console

from ledger.replica import Freshness, Replica
from ledger.store import Ledger
from service import output
from service.app import db_option, keys_option, main, note
from service.commands.tokens import tokens_option
from service.http.tokens import TokenFile, resolve_tokens_path
from service.letters import controller_option, load_contacts


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free).")
@click.option("--stuck-after", "stuck_after", default=60.0, show_default=True, metavar="SECONDS",
              type=click.FloatRange(min=1), help="A follower behind the log that has not advanced for this "
              "long is stuck: /healthz answers 503.")
@click.option("--read-dsn", "read_dsn", metavar="URL", envvar="LOKIKIRJA_READ_DSN", default=None,
              help="A postgresql:// URL of a streaming-replication standby of the store: reads go there, "
              "writes stay on --db (default: $LOKIKIRJA_READ_DSN, else none).")
@click.option("--max-replica-lag", "max_replica_lag", default=0, show_default=True, metavar="POSITIONS",
              type=click.IntRange(min=0), help="With --read-dsn: how many log positions a read from the "
              "replica may be behind the primary; further behind, it waits (--replica-wait), then answers 503.")
@click.option("--replica-wait", "replica_wait", default=5.0, show_default=True, metavar="SECONDS",
              type=click.FloatRange(min=0), help="With --read-dsn: how long a read waits for the replica to "
              "catch up before it answers 503.")
@controller_option
@db_option
@keys_option
@tokens_option
def serve(host: str, port: int, stuck_after: float, read_dsn: str | None, max_replica_lag: int,
          replica_wait: float, controller: Path | None, db: str | None, keys: str | None,
          tokens: str | None) -> None:
    """Serve the HTTP API (/v1/…, OpenAPI at /openapi.json) and the web UI (/) over the store.

    Requests authenticate with tokens from `lokikirja tokens add`. The server keeps no access log
    of its own: URLs can carry personal data, and the ledger records every query itself. Plain
    HTTP: beyond this machine, put it behind a TLS-terminating proxy.

    For operators, without a token: /healthz (200 ok or lagging, 503 stuck) and /metrics
    (Prometheus). The server's own events go to stderr, as JSON lines when stderr is not a
    terminal (docs/operations.md).

    With --read-dsn, reads (findings, access history, dossiers, reports, web pages) come from a
    PostgreSQL standby, and every response read there carries `Lokikirja-Replica-Lag: <positions>`;
    ingest, query records, the followers and checkpoints stay on --db (ADR 0014).

    Example: lokikirja serve --port 8000 --db ./ledger.db

    Example: lokikirja serve --db postgresql://db-1/lokikirja --read-dsn postgresql://db-2/lokikirja
    """
    import uvicorn
    from prometheus_client import disable_created_metrics

    from ledger.validtime import ValidTime
    from service import logs
    from service.http.app import create_app

    log = logs.configure(everything=True)
    disable_created_metrics()  # no `_created` series beside each counter: half the series, nothing lost
    if logs.json_lines():  # the human notes (a witness that did not cosign, …) become log lines too
        output.stderr = Console(file=logs.LineWriter(log), force_terminal=False, width=10_000)
    else:  # a server is not interactive: no progress bars from the read model catching up per request
        output.stderr = Console(stderr=True, force_terminal=False)
    ValidTime.from_env()  # a bad LOKIKIRJA_VALID_* stops the server here, not its first ingest
    contacts = load_contacts(controller)  # a bad file stops the server here, not its first letter
    token_file = TokenFile(resolve_tokens_path(tokens, keys))
    if not token_file.entries():
        note(f"no tokens in {token_file.path} yet: add one with `lokikirja tokens add`")
    if not _loopback(host):
        note(f"listening on {host} without TLS: put a TLS-terminating proxy in front of it")
    with Ledger.open(db, keys) as ledger, _replica(read_dsn, ledger, keys, max_replica_lag, replica_wait) as replica:
        app = create_app(ledger, token_file, stuck_after=stuck_after, replica=replica, contacts=contacts)
        reads = f", reads from {replica.ledger.target.display}" if replica is not None else ""
        logs.event(log, "info", "server.started",
                   f"serving the ledger at {ledger.target.display}{reads} on http://{host}:{port}/ "
                   "(OpenAPI: /openapi.json)", backend=ledger.db.kind, host=host, port=port,
                   stuck_after=stuck_after, version=app.version, read_replica=replica is not None,
                   max_replica_lag=max_replica_lag if replica is not None else None)
        uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning", server_header=False,
                    log_config=logs.uvicorn_config())


@contextmanager
def _replica(read_dsn: str | None, ledger: Ledger, keys: str | None, max_lag: int,
             wait: float) -> Iterator[Replica | None]:
    """The read replica at ``read_dsn`` while the server runs (None without one)."""
    if read_dsn is None:
        yield None
        return
    replica = Replica.open(read_dsn, ledger, keys, Freshness(max_lag=max_lag, wait=wait))
    try:
        yield replica
    finally:
        replica.close()
