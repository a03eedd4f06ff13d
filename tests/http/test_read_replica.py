"""A read replica on a second host (ADR 0014): ``serve --read-dsn`` reads from a PostgreSQL
standby in a network namespace while everything that writes stays on the primary.

A real ``lokikirja serve`` (two of them: one allowing no lag, one allowing a lot) over a fresh
primary and its streaming standby (``tests/http/standby.py``): reads come from the replica and
say how far behind it is; with the standby's replay paused they wait, then refuse with 503 — or,
when lag is allowed, answer from the stale replica; an erasure on the primary reaches the
replica's dossier. Skipped, with the reason, where no network namespace or PostgreSQL server
binaries can be had (``tests/http/standby.py: unavailable``).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.factories import ev
from tests.http.conftest import ingest_scenario
from tests.http.harness import LiveServer, serve_beside, start_server
from tests.http.standby import Standby, unavailable

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LAG = "Lokikirja-Replica-Lag"
WAIT_S = 2  # the strict server's --replica-wait
CUSTOMER, NAME = "c:a1", "Asiakas c:a1"


@dataclass
class Replicated:
    """A primary, its standby, and two servers on them."""

    standby: Standby
    strict: LiveServer  # --max-replica-lag 0 (the default): every read waits for the replica to have it
    lenient: LiveServer  # --max-replica-lag 1000000: reads answer from the replica however far behind
    schema: str


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    reason = unavailable()
    if reason is not None:
        pytest.skip(f"no primary and standby in a network namespace here: {reason}")
    standby, servers = Standby(), []
    try:
        standby.start()
        schema = f"r_{uuid.uuid4().hex[:8]}"
        replica = standby.url("standby")  # no schema: the primary's is taken
        strict = start_server(f"{standby.url('primary')}?schema={schema}", tmp_path_factory.mktemp("replica"),
                              ["--read-dsn", replica, "--replica-wait", str(WAIT_S)])
        servers.append(strict)
        lenient = serve_beside(strict, ["--read-dsn", replica, "--max-replica-lag", "1000000"], name="lenient")
        servers.append(lenient)
        ingest_scenario(strict)
        yield Replicated(standby, strict, lenient, schema)
    finally:
        for server in servers:
            server.stop()
        standby.close()


@contextmanager
def paused(standby: Standby) -> Iterator[Standby]:
    """The standby, once it has replayed everything so far, with its WAL replay paused (resumed
    afterwards, whatever happens)."""
    standby.wait_replayed()
    standby.on_standby("SELECT pg_wal_replay_pause()")
    try:
        yield standby
    finally:
        standby.on_standby("SELECT pg_wal_replay_resume()")


def _findings(server: LiveServer) -> tuple[int, dict[str, str], set[tuple[str, str]]]:
    with server.client("avi") as client:
        response = client.get("/v1/findings")
    pairs = {(f["event"], f["rule"]) for f in response.json()} if response.status_code == 200 else set()
    return response.status_code, dict(response.headers), pairs


def _unknown_viewer() -> list[dict]:
    """A view by a user no event registers: new findings (ACCESS_WITHOUT_RIGHT, REFERENCE_UNKNOWN)."""
    return [ev("record.viewed", "2021-06-01T10:00:00+03:00", f"u:stranger-{uuid.uuid4().hex[:6]}",
               subject=CUSTOMER, purpose="service_guidance", categories=["identity"])]


def _ingest(server: LiveServer, events: list[dict]) -> None:
    with server.client("ingest") as client:
        response = client.post("/v1/events", json=events)
    assert response.status_code == 200, response.text


def test_reads_come_from_the_standby_and_say_how_far_behind_it_is(replicated: Replicated):
    server = replicated.strict
    assert replicated.standby.on_standby("SELECT pg_is_in_recovery()") is True  # a standby: it refuses writes
    status, headers, found = _findings(server)
    assert status == 200 and headers[LAG.lower()] == "0"
    on_primary = server.cli("findings", "--format", "json")
    assert on_primary.returncode == 0, on_primary.stderr
    assert found == {(f["event"], f["rule"]) for f in json.loads(on_primary.stdout)} != set()

    purpose = f"replica test {uuid.uuid4().hex[:8]}"
    with server.client("avi") as client:
        history = client.get("/v1/access-log", params={"subject": CUSTOMER, "purpose": purpose})
        assert client.get("/v1/health").headers.get(LAG) is None  # nothing read: no header
    assert history.status_code == 200 and history.json() and history.headers[LAG] == "0"
    # the query was recorded on the primary before the answer (the standby could not have taken it)
    assert [f.data["purpose"] for f in server.facts("ledger.queried")].count(purpose) == 1

    with server.client(follow_redirects=False) as web:  # the web UI reads there too
        assert web.post("/login", data={"token": server.tokens["avi"]}).status_code == 303
        page = web.get("/ranking")
    assert page.status_code == 200 and page.headers[LAG] == "0"


def test_a_standby_too_far_behind_makes_reads_wait_then_refuse(replicated: Replicated):
    strict, lenient = replicated.strict, replicated.lenient
    before = _findings(strict)[2]
    with paused(replicated.standby) as standby:
        _ingest(strict, _unknown_viewer())  # written on the primary; the standby does not replay it
        _refused_then_stale_then_answered(strict, lenient, standby, before)


def _refused_then_stale_then_answered(strict: LiveServer, lenient: LiveServer, standby: Standby,
                                      before: set[tuple[str, str]]) -> None:
    """With the standby's replay paused and a new fact on the primary: the strict server refuses
    after waiting, the lenient one answers the stale findings with their lag, and a strict read
    waiting while the replay resumes is answered with the fresh ones."""
    started = time.monotonic()
    with strict.client("avi") as client:
        refused = client.get("/v1/findings")
    assert refused.status_code == 503 and time.monotonic() - started >= WAIT_S
    assert refused.headers["retry-after"] == "1"
    assert "read replica is" in refused.json()["detail"] and "--max-replica-lag" in refused.json()["detail"]

    status, headers, stale = _findings(lenient)  # lag allowed: the replica's answer, saying how stale it is
    assert status == 200 and int(headers[LAG.lower()]) > 0
    assert stale == before

    answers: list[tuple[int, dict[str, str], set[tuple[str, str]]]] = []
    waiting = threading.Thread(target=lambda: answers.append(_findings(strict)))
    waiting.start()
    time.sleep(0.3)
    standby.on_standby("SELECT pg_wal_replay_resume()")  # the read waiting for it is answered
    waiting.join(30)
    status, headers, fresh = answers[0]
    assert status == 200 and headers[LAG.lower()] == "0"
    assert fresh > before and {rule for _, rule in fresh - before} >= {"ACCESS_WITHOUT_RIGHT", "REFERENCE_UNKNOWN"}


def _dossier(server: LiveServer) -> tuple[dict, dict[str, str]]:
    with server.client("avi") as client:
        response = client.get(f"/v1/dossier/{CUSTOMER}", params={"purpose": "replica erasure test"})
    assert response.status_code == 200, response.text
    return response.json(), dict(response.headers)


def _registration(dossier: dict) -> str:
    return next(e["summary"] for e in dossier["timeline"] if e["type"] == "customer.registered")


def test_an_erasure_on_the_primary_reaches_the_dossier_read_from_the_standby(replicated: Replicated):
    server = replicated.strict
    before, headers = _dossier(server)
    assert headers[LAG.lower()] == "0" and NAME in _registration(before)

    erased = server.cli("erase", CUSTOMER, "--reason", "request 2026/77", "--as", "u:dpo-hki")
    assert erased.returncode == 0, erased.stderr
    after, headers = _dossier(server)
    assert headers[LAG.lower()] == "0"
    assert NAME not in _registration(after) and "[erased]" in _registration(after)
    assert [e["summary"] for e in after["timeline"] if e["type"] == "subject.erased"] == [
        "personal data erased (request 2026/77)"]
    assert set(after["proofs"]) == {e["event"] for e in after["timeline"]}  # the checkpoint reached it too
    replicated.standby.wait_replayed()
    keys_left = replicated.standby.on_standby(
        f"SELECT count(*) FROM {replicated.schema}.lokikirja_data_keys WHERE subject = '{CUSTOMER}'", "lokikirja")
    assert keys_left == 0  # the data key's deletion was replayed there
