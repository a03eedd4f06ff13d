"""A real ``lokikirja serve`` in a subprocess on a free loopback port, with a token for each role.

:class:`LiveServer` is the server as the tests see it: its URL, its store, tokens by name and
an httpx client per token. :class:`ServerPool` starts one server per (backend, name) on first
use and stops them all at the end of the session, so the suites share a few servers instead of
starting one per test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ledger.records import StoredFact
from ledger.store import Ledger
from service.http.tokens import TokenFile

#: name → (user, role, organisation) of the tokens every server gets
GRANTS: dict[str, tuple[str, str, str | None]] = {
    "ingest": ("u:source-ura", "ingest", None),
    "avi": ("u:avi-inspector", "avi", None),
    "dpo-hki": ("u:dpo-hki", "dpo", "area:helsinki"),
    "dpo-te": ("u:dpo-te", "dpo", "te:uusimaa"),
    "area-hki": ("u:hki-officer", "area-user", "area:helsinki"),
    "area-esp": ("u:esp-officer", "area-user", "area:espoo"),
    "appeals": ("u:appeals-board", "appeals", None),
}
#: the case of the appeals token: the only customer it may read
APPEAL_CASE = {"customers": ("c:a1",), "case": "2026/88"}
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A running server and what the tests need to talk to it."""

    url: str
    db: str
    keys: Path
    tokens_path: Path
    process: subprocess.Popen[bytes]
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client for the token named ``who`` (no token with ``None``)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120, **kwargs)

    def user(self, who: str) -> str:
        return GRANTS[who][0]

    def facts(self, type_name: str) -> list[StoredFact]:
        """Every stored fact of a type, read straight from the store (as an auditor would)."""
        with Ledger.open(self.db, self.keys, need_keys=False) as ledger:
            return [f for f in ledger.read_log() if f.type == type_name]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The real ``lokikirja`` command against this server's store."""
        env = {**os.environ, "LOKIKIRJA_DB": self.db, "LOKIKIRJA_KEYS": str(self.keys),
               "LOKIKIRJA_TOKENS": str(self.tokens_path), "COLUMNS": "200"}
        return subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, text=True,
                              env=env, timeout=300)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(db: str, folder: Path, args: Sequence[str] = ()) -> LiveServer:
    """Initialise a store in ``folder`` (or at ``db``), make the tokens, start ``serve`` (with
    ``args`` besides) and wait until it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    keys, tokens_path = folder / "keys", folder / "tokens.json"
    Ledger.init(db, keys)[0].close()
    store = TokenFile(tokens_path)
    tokens = {name: store.add(*grant, **(APPEAL_CASE if grant[1] == "appeals" else {}))[1]
              for name, grant in GRANTS.items()}
    return _serve(db, keys, tokens_path, tokens, folder / "server.log", args)


def serve_beside(server: LiveServer, args: Sequence[str] = (), *, name: str = "beside") -> LiveServer:
    """Another ``serve`` on ``server``'s store, keys and tokens (with ``args`` besides), logging
    to ``<name>.log`` beside its log."""
    return _serve(server.db, server.keys, server.tokens_path, server.tokens, server.log.with_name(f"{name}.log"),
                  args)


def _serve(db: str, keys: Path, tokens_path: Path, tokens: dict[str, str], log: Path,
           args: Sequence[str]) -> LiveServer:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOKIKIRJA_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db,
             "--keys", str(keys), "--tokens", str(tokens_path), *args], stdout=out, stderr=subprocess.STDOUT,
            env=env)
    server = LiveServer(f"http://127.0.0.1:{port}", db, keys, tokens_path, process, log, dict(tokens))
    _wait_until_up(server)
    return server


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"lokikirja serve exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            if httpx.get(server.url + "/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"lokikirja serve did not answer within {START_TIMEOUT_S} s:\n{server.log.read_text()}")


class ServerPool:
    """Servers started on first use, keyed by (backend, name), stopped by :meth:`close`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._servers: dict[tuple[str, str], LiveServer] = {}

    def get(self, backend: str, name: str, db_url: Callable[[], str],
            setup: Callable[[LiveServer], None] | None = None, args: Sequence[str] = ()) -> LiveServer:
        key = (backend, name)
        if key not in self._servers:
            server = start_server(db_url(), self.root / f"{backend}-{name}", args)
            self._servers[key] = server
            if setup is not None:
                setup(server)
        return self._servers[key]

    def close(self) -> None:
        for server in self._servers.values():
            server.stop()
