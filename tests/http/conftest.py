"""Fixtures of the HTTP tests: real servers (``tests/http/harness.py``) on both backends.

``scenario_server`` is a server on the parametrised ``backend`` whose store holds the scenario
of ``tests/scenarios.py``, ingested over HTTP; it is started once per backend and shared.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http.harness import LiveServer, ServerPool
from tests.scenarios import EVENTS


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    pool = ServerPool(tmp_path_factory.mktemp("servers"))
    yield pool
    pool.close()


def store_url(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """A fresh store on ``backend``: a SQLite file in ``folder`` or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder / f"ledger-{uuid.uuid4().hex[:6]}.db")
    return f"{request.getfixturevalue('pg_database')}?schema=h_{uuid.uuid4().hex[:10]}"


def ingest_scenario(server: LiveServer) -> None:
    with server.client("ingest") as client:
        response = client.post("/v1/events", json=EVENTS)
    assert response.status_code == 200, response.text
    assert response.json() == {"ingested": len(EVENTS), "duplicates": 0}


@pytest.fixture
def scenario_server(backend: str, server_pool: ServerPool, request: pytest.FixtureRequest) -> LiveServer:
    """A live server (shared per backend) whose ledger holds the scenario."""
    folder = server_pool.root / f"{backend}-scenario-store"
    return server_pool.get(backend, "scenario", lambda: store_url(backend, request, folder), ingest_scenario)


@pytest.fixture
def sqlite_scenario_server(server_pool: ServerPool, request: pytest.FixtureRequest) -> LiveServer:
    """The scenario on SQLite only (browser and schema-driven tests need one backend)."""
    folder = server_pool.root / "sqlite-scenario-store"
    return server_pool.get("sqlite", "scenario", lambda: store_url("sqlite", request, folder), ingest_scenario)
