"""The operators' door over real HTTP, on both backends: /metrics parses with prometheus-client's
own parser and holds the expected families with sane values; /healthz turns red (503, "stuck")
when a follower really is stuck — its lock held from this test — and green again when it moves;
the witnesses' cosignatures; the server's own log is JSON lines; and nothing holds personal data."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.follower import tracking_table
from ledger.ingest import ingest_stream
from ledger.store import Ledger
from projections.health import take_reading
from tests.factories import ev
from tests.http.conftest import store_url
from tests.http.harness import LiveServer, ServerPool
from tests.scenarios import EVENTS

STUCK_AFTER = 3
HETU_RE = re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]")
ID_RE = re.compile(r"(?<![a-z0-9_])[cue]:[a-z0-9]")  # a customer, user or employer id


def _personal_values() -> set[str]:
    """Every id, HETU and name the scenario holds."""
    out: set[str] = set()
    for e in EVENTS:
        for key, value in [("actor", e["actor"]), *e["data"].items()]:
            if isinstance(value, str) and (key in ("hetu", "name") or re.match(r"[cue]:", value)):
                out.add(value)
    return out


def assert_no_personal_data(text: str) -> None:
    assert not HETU_RE.search(text), HETU_RE.search(text)
    assert not ID_RE.search(text), ID_RE.search(text)
    leaked = [v for v in _personal_values() if v in text]
    assert not leaked, leaked


def _families(server: LiveServer) -> dict[str, Any]:
    response = httpx.get(server.url + "/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert_no_personal_data(response.text)
    return {f.name: f for f in text_string_to_metric_families(response.text)}


def _value(families: dict[str, Any], name: str, sample: str | None = None, **labels: str) -> float:
    values = [s.value for s in families[name].samples if s.name == (sample or name) and
              all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(values) == 1, (name, labels, families[name].samples)
    return float(values[0])


def _until(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """Poll ``check`` until it returns something true (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def _health(server: LiveServer) -> tuple[int, dict[str, Any]]:
    response = httpx.get(server.url + "/healthz", timeout=30)
    assert_no_personal_data(response.text)
    return response.status_code, response.json()


def _caught_up(server: LiveServer) -> dict[str, Any] | None:
    status, doc = _health(server)
    return doc if status == 200 and doc["status"] == "ok" else None


def test_metrics_parse_and_hold_the_expected_families_after_an_ingest(scenario_server: LiveServer):
    server = scenario_server
    customer = next(e["data"]["customer"] for e in EVENTS if e["type"] == "customer.registered")
    with server.client("avi") as avi:
        assert avi.get(f"/v1/dossier/{customer}", params={"purpose": "metrics test"}).status_code == 200
        assert avi.get(f"/no/such/page/{customer}").status_code == 404
    with server.client("ingest") as source:
        assert source.post("/v1/events", content=b'{"id": "not a uuid"}\n',
                           headers={"Content-Type": "application/x-ndjson"}).status_code == 422
    _until(lambda: _caught_up(server), "the server's own query record caught up (the keeper)")
    families = _families(server)

    assert _value(families, "lokikirja_ingest_facts_appended", "lokikirja_ingest_facts_appended_total") >= len(EVENTS)
    assert families["lokikirja_ingest_batches"].type == "counter"
    assert _value(families, "lokikirja_ingest_batches", "lokikirja_ingest_batches_total", outcome="stored") >= 1
    assert _value(families, "lokikirja_ingest_batches", "lokikirja_ingest_batches_total", outcome="invalid") >= 1
    assert _value(families, "lokikirja_ingest_bad_events", "lokikirja_ingest_bad_events_total") >= 1
    assert _value(families, "lokikirja_queries_recorded", "lokikirja_queries_recorded_total",
                  command="dossier", refused="false") >= 1
    end = _value(families, "lokikirja_log_position")
    assert end >= len(EVENTS) + 1
    for follower in ("views", "seal"):
        assert _value(families, "lokikirja_follower_position", follower=follower) == end
        assert _value(families, "lokikirja_follower_lag_positions", follower=follower) == 0
        assert _value(families, "lokikirja_follower_lag_seconds", follower=follower) == 0
        assert _value(families, "lokikirja_follower_stuck", follower=follower) == 0
    assert _value(families, "lokikirja_seal_tree_size") >= _value(families, "lokikirja_checkpoint_tree_size") \
        >= len(EVENTS)
    assert 0 <= _value(families, "lokikirja_checkpoint_age_seconds") < 3600
    assert _value(families, "lokikirja_store_up") == 1

    latency = families["lokikirja_http_request_duration_seconds"]
    assert latency.type == "histogram"
    routes = {s.labels["route"] for s in latency.samples}
    assert {"/v1/events", "/v1/dossier/{customer}", "(unmatched)"} <= routes
    assert not any(customer in r or r.startswith("/no/") for r in routes)  # templates, never paths
    assert _value(families, "lokikirja_http_request_duration_seconds", "lokikirja_http_request_duration_seconds_count",
                  method="POST", route="/v1/events", status="422") >= 1
    backend = "postgres" if server.db.startswith("postgresql") else "sqlite"
    assert _value(families, "lokikirja_build_info", backend=backend) == 1
    assert {"process_resident_memory_bytes", "process_start_time_seconds", "python_info"} <= set(families)


def test_healthz_is_ok_when_every_follower_is_caught_up_and_needs_no_token(scenario_server: LiveServer):
    doc = _until(lambda: _caught_up(scenario_server), "caught up")
    assert [f["name"] for f in doc["followers"]] == ["views", "seal"]
    assert doc["checkpoint"]["tree_size"] >= len(EVENTS)
    assert doc["stuck_after"] == 60
    assert httpx.get(scenario_server.url + "/openapi.json").json()["paths"].keys().isdisjoint({"/healthz", "/metrics"})


@contextmanager
def holding_the_lock_of_views(ledger: Ledger) -> Iterator[None]:
    """The read model's follower lock, as a page being applied holds it (PostgreSQL: the advisory
    lock; SQLite: the write lock), until the block ends."""
    with ledger.db.write() as cur:
        ledger.db.lock(cur, f"lokikirja-follower:{tracking_table(ledger, 'views')}")
        yield


def _append_without_catching_up(ledger: Ledger, n: int = 5) -> None:
    """Facts appended as a source whose ingest stopped before catching up would leave them."""
    events = [ev("complaint.filed", "2022-01-10T10:00:00+02:00", complaint=f"k:stuck-{uuid.uuid4().hex[:12]}",
                 org="area:helsinki", topic="other") for _ in range(n)]
    ingest_stream(ledger, "stuck", io.BytesIO("\n".join(json.dumps(e) for e in events).encode()))


def _views(doc: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in doc["followers"] if f["name"] == "views")


@pytest.fixture
def stuck_server(backend: str, server_pool: ServerPool, request: pytest.FixtureRequest) -> LiveServer:
    folder = server_pool.root / f"{backend}-stuck-store"
    return server_pool.get(backend, "stuck", lambda: store_url(backend, request, folder),
                           args=["--stuck-after", str(STUCK_AFTER)])


def test_a_stuck_follower_turns_healthz_red_and_green_again_when_it_moves(stuck_server: LiveServer):
    server = stuck_server
    with Ledger.open(server.db, server.keys) as ledger:
        for _attempt in range(5):
            _append_without_catching_up(ledger)
            with holding_the_lock_of_views(ledger):
                if not next(f for f in take_reading(ledger).followers if f.name == "views").behind:
                    continue  # the server's keeper caught up before the lock was taken: again
                status, doc = _health(server)
                assert (status, doc["status"], _views(doc)["state"]) == (200, "lagging", "lagging"), doc
                assert _views(doc)["behind"] >= 5

                status, doc = _until(lambda: (s := _health(server))[0] == 503 and s, "stuck")
                assert doc["status"] == "stuck" and _views(doc)["state"] == "stuck", doc
                assert _views(doc)["stalled_seconds"] >= STUCK_AFTER
                families = _families(server)
                assert _value(families, "lokikirja_follower_stuck", follower="views") == 1
                assert _value(families, "lokikirja_follower_lag_positions", follower="views") >= 5
                assert _value(families, "lokikirja_follower_stalled_seconds", follower="views") >= STUCK_AFTER
                break
        else:
            pytest.fail("the keeper caught up every time before the lock was taken")
    doc = _until(lambda: _caught_up(server), "the follower moved again once the lock was released", timeout=120)
    assert _views(doc)["behind"] == 0
    events = [json.loads(line) for line in _log_lines(server)]
    names = [e["event"] for e in events]
    assert "follower.stuck" in names and "follower.moving" in names
    stuck = next(e for e in events if e["event"] == "follower.stuck" and e["follower"] == "views")
    assert stuck["level"] == "warning" and stuck["behind"] >= 5


def _log_lines(server: LiveServer) -> list[str]:
    return [line for line in Path(server.log).read_text().splitlines() if line.strip()]


def test_the_servers_log_is_json_lines_without_personal_data(scenario_server: LiveServer):
    lines = _log_lines(scenario_server)
    assert lines
    for line in lines:
        doc = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "event", "message"} <= set(doc)
        assert_no_personal_data(line)
    assert json.loads(lines[0])["event"] in ("note", "server.started")
    assert any(json.loads(line)["event"] == "server.started" for line in lines)


def test_witness_metrics_say_who_cosigned_the_latest_checkpoint(backend: str, server_pool: ServerPool,
                                                               request: pytest.FixtureRequest, tmp_path: Path):
    from tests.support.witnesses import make_witness

    server = server_pool.get(backend, "witnessed",
                             lambda: store_url(backend, request, server_pool.root / f"{backend}-witnessed-store"))
    witness = make_witness(tmp_path, "avi.example/witness-1", server.cli("keys", "verifier").stdout.strip())
    try:
        assert server.cli("witnesses", "add", witness.url, witness.vkey).returncode == 0
        with server.client("ingest") as source:
            assert source.post("/v1/events", json=EVENTS[:40]).status_code == 200
        families = _families(server)
        size = _value(families, "lokikirja_checkpoint_tree_size")
        assert _value(families, "lokikirja_witness_cosigned_latest", witness=witness.name) == 1
        assert _value(families, "lokikirja_witness_cosigned_tree_size", witness=witness.name) == size
        witness.stop()
        _until(lambda: _health(server)[1]["checkpoint"]["age_seconds"] >= 1.0, "a checkpoint may be signed again")
        with server.client("ingest") as source:
            assert source.post("/v1/events", json=EVENTS[40:80]).status_code == 200
        families = _families(server)
        assert _value(families, "lokikirja_checkpoint_tree_size") > size
        assert _value(families, "lokikirja_witness_cosigned_latest", witness=witness.name) == 0
        assert _value(families, "lokikirja_witness_cosigned_tree_size", witness=witness.name) == size
        doc = _health(server)[1]
        assert doc["status"] == "ok"  # a witness that is down is reported, it does not make the server unhealthy
        assert doc["witnesses"] == [{"name": witness.name, "key_id": witness.vkey.split("+")[1],
                                     "cosigned_latest": False, "cosigned_tree_size": size}]
        logged = [json.loads(line) for line in _log_lines(server)]
        assert any(witness.name in e["message"] and "did not cosign" in e["message"] for e in logged)
    finally:
        witness.stop()
