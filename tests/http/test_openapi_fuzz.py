"""Schemathesis over the OpenAPI document: no generated input makes the server fail (5xx).

Every operation of the document the server serves at ``/openapi.json`` is called over real HTTP
with inputs generated from its schema — valid and invalid — with a token of a role that may use
it (so the work behind the door is reached, not only the 403), on a server of its own holding
the scenario. (The schema is built at collection, without a ledger, because schemathesis'
fixture-based loader does not run on pytest 9; the first test checks it is the served one.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from service.http.app import openapi_document
from tests.http.conftest import ingest_scenario, store_url
from tests.http.harness import LiveServer, ServerPool

EXAMPLES = 25  # per operation

schema = schemathesis.openapi.from_dict(openapi_document())
schema.config.generation.update(modes=list(schemathesis.GenerationMode))  # valid and invalid inputs


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx: object, value: object) -> bytes:
    """JSON Lines bodies are generated as text; sent as its UTF-8 bytes (lone surrogates kept, as bad input)."""
    return str(value).encode("utf-8", "surrogatepass")


@pytest.fixture
def fuzz_server(server_pool: ServerPool, request: pytest.FixtureRequest) -> LiveServer:
    folder = server_pool.root / "sqlite-fuzz-store"
    return server_pool.get("sqlite", "fuzz", lambda: store_url("sqlite", request, folder), ingest_scenario)


def test_the_fuzzed_document_is_the_served_one(fuzz_server: LiveServer) -> None:
    with fuzz_server.client() as client:
        assert client.get("/openapi.json").json() == openapi_document()


def _token_for(server: LiveServer, method: str, path: str) -> str:
    return server.tokens["ingest" if (method, path) == ("POST", "/v1/events") else "avi"]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_generated_request_makes_the_server_fail(case: schemathesis.Case, fuzz_server: LiveServer) -> None:
    token = _token_for(fuzz_server, case.method.upper(), case.path)
    case.call_and_validate(base_url=fuzz_server.url, headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error])
