"""A PostgreSQL primary and a streaming-replication standby on "another host", for the tests.

The other host is a network namespace made for the test: a veth pair joins it to this one, with
``10.77.N.1/24`` on this side (where the primary listens) and ``10.77.N.2/24`` inside (where the
standby listens); the namespace has nothing else but its loopback. The clusters are fresh
(``initdb`` into a temporary folder owned by the ``postgres`` OS user, which ``initdb`` needs:
it refuses root), on ports of their own, so the machine's own server on 5432 is never touched.
The standby is a ``pg_basebackup -R`` of the primary, started inside the namespace with ``ip
netns exec``. :meth:`Standby.close` stops both servers and removes the namespace, the veth pair
and the folder, whatever state the setup stopped in.

:func:`unavailable` says why this cannot run here (not root, no ``ip netns``, no PostgreSQL
server binaries), so that the tests skip with that reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

OS_USER = "postgres"
SERVER_BINARIES = ("initdb", "pg_ctl", "pg_basebackup", "postgres")


def server_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` with the server binaries (None: none)."""
    found = [d for d in Path("/usr/lib/postgresql").glob("*/bin")
             if all((d / b).exists() for b in SERVER_BINARIES)] if Path("/usr/lib/postgresql").is_dir() else []
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0, default=None)


def unavailable() -> str | None:
    """Why a primary and a standby in a network namespace cannot be made here (None: they can)."""
    if os.geteuid() != 0:
        return "making a network namespace needs root"
    if shutil.which("ip") is None or shutil.which("runuser") is None:
        return "`ip` (iproute2) or `runuser` is not installed"
    if server_bin() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) in /usr/lib/postgresql/*/bin"
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        return f"no `{OS_USER}` OS user to run the PostgreSQL servers as (initdb refuses root)"
    probe = f"lkk-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip() or made.returncode}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _run(*args: str | Path, netns: str | None = None, timeout: float = 120) -> str:
    command = [str(a) for a in args]
    if netns is not None:
        command = ["ip", "netns", "exec", netns, *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _free_subnet() -> int:
    """A third octet N such that no interface of this host is on 10.77.N.0/24."""
    used = _run("ip", "-4", "-o", "addr", "show")
    start = os.getpid() % 200
    for step in range(250):
        n = (start + step) % 250 + 1
        if f"10.77.{n}." not in used:
            return n
    raise RuntimeError("no free 10.77.N.0/24 subnet for the test's veth pair")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Standby:
    """A primary on this host and its streaming standby in a network namespace."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="lokikirja-replica-")))
    netns: str = field(default_factory=lambda: f"lkk-{os.getpid()}-{uuid.uuid4().hex[:4]}")
    subnet: int = 0
    primary_port: int = 0
    standby_port: int = 0
    _started: list[Path] = field(default_factory=list)

    @property
    def host_if(self) -> str:  # interface names are at most 15 characters
        return f"lkh{self.netns[4:]}"[:15]

    @property
    def peer_if(self) -> str:
        return f"lkn{self.netns[4:]}"[:15]

    @property
    def primary_host(self) -> str:
        return f"10.77.{self.subnet}.1"

    @property
    def standby_host(self) -> str:
        return f"10.77.{self.subnet}.2"

    def url(self, which: str, database: str = "lokikirja") -> str:
        host, port = ((self.primary_host, self.primary_port) if which == "primary"
                      else (self.standby_host, self.standby_port))
        return f"postgresql://{OS_USER}@{host}:{port}/{database}"

    # ------------------------------------------------------------------ setting up
    def start(self) -> Standby:
        """Make the namespace, the primary and the standby; wait until the standby streams."""
        self._network()
        self._primary()
        self._standby()
        self.wait_streaming()
        return self

    def _network(self) -> None:
        self.subnet = _free_subnet()
        _run("ip", "netns", "add", self.netns)
        _run("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if)
        _run("ip", "link", "set", self.peer_if, "netns", self.netns)
        _run("ip", "addr", "add", f"{self.primary_host}/24", "dev", self.host_if)
        _run("ip", "link", "set", self.host_if, "up")
        _run("ip", "-n", self.netns, "addr", "add", f"{self.standby_host}/24", "dev", self.peer_if)
        _run("ip", "-n", self.netns, "link", "set", self.peer_if, "up")
        _run("ip", "-n", self.netns, "link", "set", "lo", "up")

    def _as_postgres(self, binary: str, *args: str | Path, netns: str | None = None) -> str:
        bin_dir = server_bin()
        assert bin_dir is not None
        return _run("runuser", "-u", OS_USER, "--", bin_dir / binary, *args, netns=netns)

    def _primary(self) -> None:
        pg = pwd.getpwnam(OS_USER)
        os.chown(self.root, pg.pw_uid, pg.pw_gid)
        data = self.root / "primary"
        self._as_postgres("initdb", "-D", data, "-U", OS_USER, "--auth=trust", "--no-sync", "-E", "UTF8")
        self.primary_port, self.standby_port = _free_port(), _free_port()
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nlisten_addresses = '{self.primary_host}'\nport = {self.primary_port}\n"
                       f"unix_socket_directories = '{data}'\nfsync = off\nwal_level = replica\n"
                       "max_wal_senders = 4\nwal_sender_timeout = '10s'\n")
        with (data / "pg_hba.conf").open("a") as hba:
            subnet = f"10.77.{self.subnet}.0/24"
            hba.write(f"\nhost all all {subnet} trust\nhost replication {OS_USER} {subnet} trust\n")
        self._as_postgres("pg_ctl", "-D", data, "-l", self.root / "primary.log", "-w", "-t", "60", "start")
        self._started.append(data)

    def _standby(self) -> None:
        data = self.root / "standby"
        self._as_postgres("pg_basebackup", "-h", self.primary_host, "-p", str(self.primary_port), "-U", OS_USER,
                          "-D", data, "-R", "-X", "stream", netns=self.netns)
        with (data / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"\nlisten_addresses = '{self.standby_host}'\nport = {self.standby_port}\n"
                       f"unix_socket_directories = '{data}'\nhot_standby = on\n")
        self._as_postgres("pg_ctl", "-D", data, "-l", self.root / "standby.log", "-w", "-t", "60", "start",
                          netns=self.netns)
        self._started.append(data)

    def wait_streaming(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with psycopg.connect(self.url("primary", "postgres"), autocommit=True, connect_timeout=5) as conn:
                if conn.execute("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'").fetchone():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the standby did not start streaming:\n{self.log('standby')}")

    # ------------------------------------------------------------------ in the tests
    def log(self, which: str) -> str:
        path = self.root / f"{which}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def on_standby(self, statement: str, database: str = "postgres") -> object:
        """Run one statement on the standby (e.g. ``SELECT pg_wal_replay_pause()``); its first value."""
        with psycopg.connect(self.url("standby", database), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(statement).fetchone()
        return None if row is None else row[0]

    def wait_replayed(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(self.url("primary", "postgres"), autocommit=True, connect_timeout=5) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()
        assert target is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.on_standby(f"SELECT pg_last_wal_replay_lsn() >= '{target[0]}'::pg_lsn"):
                return
            time.sleep(0.05)
        raise RuntimeError("the standby did not replay the primary's WAL in time")

    # ------------------------------------------------------------------ tearing down
    def close(self) -> None:
        """Stop both servers, remove the namespace and the veth pair, delete the folder."""
        for data in reversed(self._started):
            with contextlib.suppress(Exception):
                self._as_postgres("pg_ctl", "-D", data, "-m", "immediate", "-w", "-t", "30", "stop")
            pid_file = data / "postmaster.pid"
            if pid_file.exists():  # pg_ctl could not stop it: the postmaster, by its pid file
                with contextlib.suppress(Exception):
                    os.kill(int(pid_file.read_text().split()[0]), 9)
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)  # gone with the namespace, normally
        shutil.rmtree(self.root, ignore_errors=True)
