"""Test helper: a real witness (``lokikirja witness serve``) in a subprocess on a free loopback port,
with its own folder (key and state), that can be stopped and started again from its state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.http.harness import free_port

START_TIMEOUT_S = 30


def lokikirja(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LOKIKIRJA_DEBUG"}
    result = subprocess.run([sys.executable, "-m", "service", *args], capture_output=True, text=True, env=env,
                            timeout=120)
    assert not check or result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result


@dataclass
class RunningWitness:
    folder: Path
    name: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def vkey(self) -> str:
        return lokikirja("witness", "key", "--dir", str(self.folder)).stdout.strip()

    def start(self) -> RunningWitness:
        log = open(self.folder.parent / f"{self.folder.name}.log", "ab")  # noqa: SIM115 (kept by the process)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service", "witness", "serve", "--dir", str(self.folder), "--port", str(self.port)],
            stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"the witness in {self.folder} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def post(self, body: str) -> httpx.Response:
        return httpx.post(self.url + "/add-checkpoint", content=body.encode(), timeout=10)


def make_witness(base: Path, name: str, *log_vkeys: str) -> RunningWitness:
    """Initialise a witness following the logs of ``log_vkeys`` and start it."""
    folder = base / name.replace("/", "_")
    lokikirja("witness", "init", "--dir", str(folder), "--name", name,
              *[a for k in log_vkeys for a in ("--log-key", k)])
    return RunningWitness(folder, name).start()
