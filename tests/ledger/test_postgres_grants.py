"""The PostgreSQL grants of docs/integrity.md, run as written: the application role can ingest,
seal, sign and verify, and the database refuses it any change to the log or the seal."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.conftest import MAINTENANCE_DSN, Cli
from tests.factories import write_jsonl
from tests.scenarios import EVENTS
from tests.support.tampering import views

pytestmark = pytest.mark.postgres
DOC = Path(__file__).resolve().parents[2] / "docs" / "integrity.md"


def _grants_block() -> str:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```sql\n(.*?)```", text, re.S)
    assert block is not None, "docs/integrity.md has no sql block"
    return block.group(1)


def _statements(block: str, names: dict[str, str]) -> tuple[list[str], list[str]]:
    """(superuser statements, owner statements) of the block, with this test's names."""
    for placeholder, name in names.items():
        block = block.replace(placeholder, name)
    lines = [line.split("--")[0] for line in block.splitlines()]
    statements = [s.strip() for s in "\n".join(lines).replace("'…'", "'secret'").split(";") if s.strip()]
    superuser = [s for s in statements if s.startswith("CREATE ")]
    return superuser, [s for s in statements if s.startswith("GRANT ")]


@pytest.fixture
def roles(tmp_path: Path) -> Iterator[dict[str, str]]:
    try:
        admin = psycopg.connect(MAINTENANCE_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL not reachable: {e}")
    tag = uuid.uuid4().hex[:8]
    names = {"lokikirja_owner": f"lk_owner_{tag}", "lokikirja_app": f"lk_app_{tag}",
             "DATABASE lokikirja": f"DATABASE lk_grants_{tag}"}
    try:
        yield {**names, "database": f"lk_grants_{tag}"}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "lk_grants_{tag}" WITH (FORCE)')
        for role in (names["lokikirja_app"], names["lokikirja_owner"]):
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def _url(user: str, database: str) -> str:
    parts = urlsplit(MAINTENANCE_DSN)
    return f"postgresql://{user}:secret@{parts.hostname}:{parts.port or 5432}/{database}?schema=ledger"


def _granted_store(roles: dict[str, str], tmp_path: Path) -> Cli:
    """The docs' block run as written: the roles and database made, the store made by the owner
    (``init``, ``checkpoint``), the grants given; returns the CLI as the application role."""
    superuser, grants = _statements(_grants_block(), {k: v for k, v in roles.items() if k != "database"})
    with psycopg.connect(MAINTENANCE_DSN, autocommit=True) as admin:
        for statement in superuser:
            admin.execute(statement)
    owner, app = roles["lokikirja_owner"], roles["lokikirja_app"]
    keys = tmp_path / "keys"
    as_owner = Cli(_url(owner, roles["database"]), keys, tmp_path)
    as_owner("init", check=0)
    as_owner("checkpoint", check=0)
    with psycopg.connect(_url(owner, roles["database"]).split("?")[0], autocommit=True) as conn:
        for statement in grants:
            conn.execute(statement)
    return Cli(_url(app, roles["database"]), keys, tmp_path)


APP_ENV = {"LOKIKIRJA_CREATE_TABLE": "no"}


def test_the_documented_grants_let_the_application_append_and_verify_but_never_change_the_log(
        roles: dict[str, str], tmp_path: Path):
    as_app = _granted_store(roles, tmp_path)
    app, env = roles["lokikirja_app"], APP_ENV
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in views(40)))
    assert json.loads(as_app("ingest", str(events), "--format", "json", check=0, env=env).stdout)["ingested"] == 40
    assert json.loads(as_app("verify", "--format", "json", check=0, env=env).stdout)["ok"] is True
    refused = {
        "UPDATE ledger.lokikirja_events SET state = state": "permission denied",
        "DELETE FROM ledger.lokikirja_events": "permission denied",
        "TRUNCATE ledger.lokikirja_events": "append-only",
        "DELETE FROM ledger.lokikirja_seal_leaves": "permission denied",
        "UPDATE ledger.lokikirja_checkpoints SET root_hash = root_hash": "permission denied",
        "UPDATE ledger.lokikirja_seal_tracking SET notification_id = 1 "
        "WHERE application_name = 'Lokikirja/seal'": "only moves forward",
        "ALTER TABLE ledger.lokikirja_events DISABLE TRIGGER ALL": "must be owner",
        "DROP TRIGGER lokikirja_append_only ON ledger.lokikirja_events": "must be owner",
        "SET session_replication_role = replica": "permission denied",
    }
    with psycopg.connect(_url(app, roles["database"]).split("?")[0], autocommit=True) as conn:
        for statement, why in refused.items():
            with pytest.raises(psycopg.Error, match=why):
                conn.execute(statement)


def test_the_application_role_cannot_shred_a_data_key_without_its_erasure_in_the_log(
        roles: dict[str, str], tmp_path: Path):
    """Issue 17.5: deleting a customer's data key is a silent crypto-shred unless ``subject.erased``
    is logged in the same transaction; the database refuses it to the application role."""
    as_app = _granted_store(roles, tmp_path)
    app, env = roles["lokikirja_app"], APP_ENV
    as_app("ingest", str(write_jsonl(tmp_path / "s.jsonl", EVENTS)), check=0, env=env)
    other = next(e["id"] for e in EVENTS if e["type"] == "record.viewed")
    with psycopg.connect(_url(app, roles["database"]).split("?")[0], autocommit=True) as conn:
        with pytest.raises(psycopg.Error, match=r"deleted only with its subject\.erased event"):
            conn.execute("DELETE FROM ledger.lokikirja_data_keys WHERE subject = 'c:a1'")
        with pytest.raises(psycopg.Error, match=r"deleted only with its subject\.erased event"), conn.transaction():
            conn.execute("SELECT set_config('lokikirja.erasure_event', %s, true)", (other,))
            conn.execute("DELETE FROM ledger.lokikirja_data_keys WHERE subject = 'c:a1'")
        with pytest.raises(psycopg.Error):
            conn.execute("TRUNCATE ledger.lokikirja_data_keys")
        assert conn.execute("SELECT COUNT(*) FROM ledger.lokikirja_data_keys WHERE subject = 'c:a1'"
                            ).fetchone() == (1,)
    done = as_app("erase", "c:a1", "--reason", "request 2026/31", "--as", "u:dpo-1", "--format", "json",
                  check=0, env=env)
    assert json.loads(done.stdout)["status"] == "erased"


def test_init_again_gives_an_older_store_the_erasure_trigger(cli: Cli, db_url: str, keys_dir: Path):
    if not db_url.startswith("postgresql://"):
        pytest.skip("a PostgreSQL trigger")
    from ledger.store import Ledger

    cli("init", check=0)
    with Ledger.open(db_url, keys_dir) as ledger, ledger.db.write() as cur:
        cur.execute(f"DROP TRIGGER lokikirja_erasure_logged ON {ledger.db.table('data_keys')}")
    cli("init", check=0)
    with Ledger.open(db_url, keys_dir) as ledger, ledger.db.read() as cur:
        assert cur.scalar("SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'lokikirja_erasure_logged' "
                          "AND tgrelid = %s::regclass", (ledger.db.table("data_keys"),)) == 1
