"""``lokikirja tokens add|list|revoke`` through the real CLI, against a running server."""

from __future__ import annotations

import json
import stat

import pytest

from ledger.errors import UsageError
from service.http.tokens import check_grant
from tests.http.harness import LiveServer


def test_a_token_is_shown_once_kept_hashed_in_a_0600_file_and_revoked_at_once(sqlite_scenario_server: LiveServer):
    server = sqlite_scenario_server
    added = server.cli("tokens", "add", "--user", "u:dpo-esp", "--role", "dpo", "--org", "area:espoo",
                       "--format", "json")
    assert added.returncode == 0, added.stderr
    doc = json.loads(added.stdout)
    token = doc["token"]
    assert token.startswith("lkk_") and "shown only now" in added.stderr
    assert token not in server.tokens_path.read_text()
    assert stat.S_IMODE(server.tokens_path.stat().st_mode) == 0o600
    with server.client() as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/findings", headers=headers).status_code == 200
        listed = json.loads(server.cli("tokens", "list", "--format", "json").stdout)
        mine = next(t for t in listed if t["id"] == doc["id"])
        assert mine == {**{k: doc[k] for k in ("id", "user", "role", "org", "created")}, "revoked": None,
                        "customers": [], "case": None}
        assert "sha256" not in mine and "token" not in mine
        revoked = server.cli("tokens", "revoke", doc["id"])
        assert revoked.returncode == 0, revoked.stderr
        assert client.get("/v1/findings", headers=headers).status_code == 401


@pytest.mark.parametrize(("user", "role", "org"), [
    ("bob", "avi", None), ("u:x", "dpo", None), ("u:x", "area-user", "te:uusimaa"), ("u:x", "root", None),
    ("u:x", "avi", "helsinki"),
])
def test_a_token_needs_a_user_id_a_role_and_the_organisation_its_role_needs(user: str, role: str, org: str | None):
    with pytest.raises(UsageError):
        check_grant(user, role, org)


def test_tokens_add_refuses_a_dpo_without_an_organisation(sqlite_scenario_server: LiveServer):
    result = sqlite_scenario_server.cli("tokens", "add", "--user", "u:x", "--role", "dpo")
    assert result.returncode == 2 and "needs --org" in result.stderr and "Traceback" not in result.stderr


def test_an_appeals_token_needs_its_case_and_customers(sqlite_scenario_server: LiveServer):
    server = sqlite_scenario_server
    missing = server.cli("tokens", "add", "--user", "u:appeals-2", "--role", "appeals", "--customer", "c:a1")
    assert missing.returncode == 2 and "--case" in missing.stderr
    stray = server.cli("tokens", "add", "--user", "u:dpo-x", "--role", "dpo", "--org", "area:espoo", "--case", "1")
    assert stray.returncode == 2 and "appeals tokens only" in stray.stderr
    made = server.cli("tokens", "add", "--user", "u:appeals-2", "--role", "appeals", "--case", "2026/90",
                      "--customer", "c:a1", "--customer", "c:a6", "--format", "json")
    assert made.returncode == 0 and json.loads(made.stdout)["customers"] == ["c:a1", "c:a6"]
