"""Where a read replica is opened (``ledger/replica.py``), without a standby: the schema follows
the primary's, nothing is created there, and a replica of a SQLite store is refused — also by
``serve --read-dsn``, before it listens."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import UsageError
from ledger.replica import replica_target
from ledger.store import resolve_target
from tests.conftest import Cli


def test_the_replica_takes_the_primarys_schema_unless_its_url_names_one_and_creates_nothing():
    primary = resolve_target("postgresql://ledger@db-1:5432/lokikirja?schema=area_hki")
    inherited = replica_target("postgresql://reader@db-2/lokikirja", primary)
    assert (inherited.pg or {})["schema"] == "area_hki" and (inherited.pg or {})["host"] == "db-2"
    assert inherited.env["CREATE_TABLE"] == "false" and inherited.env["POSTGRES_SCHEMA"] == "area_hki"
    assert inherited.display.endswith("(read replica)")
    named = replica_target("postgresql://reader@db-2/lokikirja?schema=other", primary)
    assert (named.pg or {})["schema"] == "other"


@pytest.mark.parametrize(("primary", "read_dsn", "says"), [
    ("ledger.db", "postgresql://reader@db-2/lokikirja", "needs the store on PostgreSQL"),
    ("postgresql://ledger@db-1/lokikirja", "ledger-copy.db", "must be a postgresql:// URL"),
])
def test_a_replica_that_cannot_be_one_is_refused(primary: str, read_dsn: str, says: str):
    with pytest.raises(UsageError, match=says):
        replica_target(read_dsn, resolve_target(primary))


def test_serve_refuses_a_read_dsn_beside_a_sqlite_store_before_listening(tmp_path: Path):
    cli = Cli(str(tmp_path / "ledger.db"), tmp_path / "keys", tmp_path)
    cli("init", check=0)
    refused = cli("serve", "--port", "0", "--read-dsn", "postgresql://reader@127.0.0.1:1/lokikirja", check=2)
    assert "--read-dsn needs the store on PostgreSQL" in refused.stderr
