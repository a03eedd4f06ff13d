"""Prometheus metrics of a running server (``GET /metrics``), in prometheus-client's own registry.

Two kinds:

- counted by this process since it started: ingest batches by outcome, facts appended and
  duplicates, bad events, queries recorded, background failures, and request latencies by route
  (:class:`RequestTimer`, a pure ASGI middleware);
- read from the store at each scrape (:class:`LedgerCollector`, through ``Monitor.health``, which
  takes no lock): the log's position, each follower's position, lag and stall, the seal and the
  latest checkpoint, each witness's cosignature. Any process's ingest shows in these.

No label carries personal data: a request is labelled with its **route template**
(``/v1/dossier/{customer}``), never its path, and requests no route matched share one label.
The metric names and what to alert on are in docs/operations.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from service.http.actions import InvalidBatch, TooLarge
from service.http.monitor import Monitor

log = logging.getLogger("lokikirja.http")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "(unmatched)"
BATCH_OUTCOMES = ("stored", "invalid", "conflict", "too_large")


class Metrics:
    """The registry of one server and the counters its handlers bump."""

    def __init__(self, monitor: Monitor, *, version: str, backend: str) -> None:
        r = self.registry = CollectorRegistry()
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        Gauge("lokikirja_build_info", "The running Lokikirja: its version and the store's backend (always 1).",
              ["version", "backend"], registry=r).labels(version, backend).set(1)
        self.latency = Histogram("lokikirja_http_request_duration_seconds",
                                 "Time to answer a request, by method, route template and status.",
                                 ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=r)
        self.batches = Counter("lokikirja_ingest_batches", "Ingest batches (POST /v1/events) by outcome.",
                               ["outcome"], registry=r)
        for outcome in BATCH_OUTCOMES:
            self.batches.labels(outcome)
        self.appended = Counter("lokikirja_ingest_facts_appended", "Facts appended by ingest batches.", registry=r)
        self.duplicates = Counter("lokikirja_ingest_duplicates", "Facts of ingest batches already stored.",
                                  registry=r)
        self.bad_events = Counter("lokikirja_ingest_bad_events",
                                  "Bad events in refused ingest batches (invalid or conflicting).", registry=r)
        self.queries = Counter("lokikirja_queries_recorded",
                               "Queries recorded as ledger.queried by this server, by command and refusal.",
                               ["command", "refused"], registry=r)
        self.failures = Counter("lokikirja_background_failures",
                                "Failures of the server's background tasks (follow, watch).", ["task"], registry=r)
        for task in ("follow", "watch"):
            self.failures.labels(task)
        r.register(LedgerCollector(monitor))

    def query_recorded(self, command: str, refused: bool) -> None:
        self.queries.labels(command, "true" if refused else "false").inc()

    def background_failed(self, task: str) -> None:
        self.failures.labels(task).inc()

    @contextmanager
    def ingest(self) -> Iterator[Callable[[dict[str, int]], None]]:
        """Count one ingest batch: call the yielded function with its result; a refusal is counted
        by its exception (which goes on)."""
        def stored(result: dict[str, int]) -> None:
            self.batches.labels("stored").inc()
            self.appended.inc(result["ingested"])
            self.duplicates.inc(result["duplicates"])
        try:
            yield stored
        except InvalidBatch as e:
            self.batches.labels("conflict" if e.status == 409 else "invalid").inc()
            self.bad_events.inc(e.total)
            raise
        except TooLarge:
            self.batches.labels("too_large").inc()
            raise

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The registry in the format the scraper asked for (Prometheus text, or OpenMetrics)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


class LedgerCollector:
    """Gauges read from the store at each scrape (see the module docstring)."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def describe(self) -> list[Metric]:
        return []  # read at scrape time only: registering must not read the store

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("lokikirja_store_up", "1 when the store could be read at this scrape, else 0.")
        try:
            health = self.monitor.health()
        except Exception:
            log.error("the store could not be read for /metrics", exc_info=True,
                      extra={"event": "metrics.store_unreadable", "fields": {}})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _ledger_families(health)


def _gauge(name: str, doc: str, value: float | None = None, labels: list[str] | None = None) -> GaugeMetricFamily:
    g = GaugeMetricFamily(name, doc, labels=labels)
    if value is not None:
        g.add_metric([], value)
    return g


def _ledger_families(health: Any) -> Iterator[Metric]:
    r = health.reading
    yield _gauge("lokikirja_log_position", "The log's last position (the highest notification id).",
                 r.log_position)
    per = {name: _gauge(name, doc, labels=["follower"]) for name, doc in [
        ("lokikirja_follower_position", "The last log position a follower (views, seal) has applied."),
        ("lokikirja_follower_lag_positions", "Log positions a follower has not applied yet."),
        ("lokikirja_follower_lag_seconds", "Age of the oldest fact a follower has not applied (0: caught up)."),
        ("lokikirja_follower_stalled_seconds", "Seconds a follower has been behind without advancing."),
        ("lokikirja_follower_stuck", "1 when a follower is stuck: behind, and not advanced for the stuck-after time.")]}
    for f in health.followers:
        values = [f.reading.position, f.reading.behind, f.lag_seconds, f.stalled_seconds, int(f.state == "stuck")]
        for g, value in zip(per.values(), values, strict=True):
            g.add_metric([f.reading.name], value)
    yield from per.values()
    yield _gauge("lokikirja_stuck_after_seconds", "How long a follower may stand still behind before it is stuck.",
                 health.stuck_after)
    yield _gauge("lokikirja_seal_tree_size", "Leaves in the Merkle tree (facts sealed).", r.sealed_size)
    if r.checkpoint_size is not None:
        yield _gauge("lokikirja_checkpoint_tree_size", "Tree size of the latest signed checkpoint.", r.checkpoint_size)
        yield _gauge("lokikirja_checkpoint_timestamp_seconds", "When the latest checkpoint was signed (Unix time).",
                     r.checkpoint_time.timestamp())
        yield _gauge("lokikirja_checkpoint_age_seconds", "Seconds since the latest checkpoint was signed.",
                     health.checkpoint_age)
    cosigned = _gauge("lokikirja_witness_cosigned_latest",
                      "1 when a configured witness has cosigned the latest checkpoint, else 0.", labels=["witness"])
    size = _gauge("lokikirja_witness_cosigned_tree_size",
                  "The largest tree a configured witness has cosigned (0: none yet).", labels=["witness"])
    for w in r.witnesses:
        cosigned.add_metric([w.name], int(w.cosigned_size is not None and w.cosigned_size == r.checkpoint_size))
        size.add_metric([w.name], w.cosigned_size or 0)
    yield cosigned
    yield size


class RequestTimer:
    """ASGI middleware: each request's duration in ``lokikirja_http_request_duration_seconds``,
    labelled with the matched route's template (set in the scope by the router)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def send_noting_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.latency.labels(method, route, str(status[0])).observe(time.perf_counter() - started)
