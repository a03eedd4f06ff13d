"""The library's own recorder test cases, run against Lokikirja's recorder subclasses.

Both subclasses route the library's ``insert_events`` through the ingest path (one locked
transaction; COPY on PostgreSQL), so these cases exercise the code ingest runs.
"""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests import persistence as base

from ledger.postgres import LedgerPostgresRecorder
from ledger.sqlite import LedgerSQLiteRecorder


@pytest.fixture(autouse=True)
def _pg_url(request: pytest.FixtureRequest) -> None:
    cls = request.cls
    if cls is not None and getattr(cls, "needs_postgres", False):
        cls.pg_url = request.getfixturevalue("pg_database")


class _SQLiteMixin:
    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self._dir = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        self._dir.cleanup()
        super().tearDown()  # type: ignore[misc]

    def create_recorder(self) -> LedgerSQLiteRecorder:
        datastore = SQLiteDatastore(db_name=os.path.join(self._dir.name, f"{uuid.uuid4().hex}.db"))
        recorder = LedgerSQLiteRecorder(datastore)
        recorder.create_table()
        return recorder


class _PostgresMixin:
    needs_postgres = True
    pg_url: str

    def create_recorder(self) -> LedgerPostgresRecorder:
        from urllib.parse import urlsplit

        parts = urlsplit(self.pg_url)
        schema = f"rec_{uuid.uuid4().hex[:8]}"
        datastore = PostgresDatastore(
            dbname=parts.path.lstrip("/"), host=parts.hostname or "127.0.0.1",
            port=str(parts.port or 5432), user=parts.username or "postgres", password="",
            pool_size=4, schema=schema,
        )
        with datastore.get_connection() as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        recorder = LedgerPostgresRecorder(datastore, events_table_name="lokikirja_events")
        recorder.create_table()
        self._datastores = [*getattr(self, "_datastores", []), datastore]
        return recorder

    def tearDown(self) -> None:
        for ds in getattr(self, "_datastores", []):
            ds.close()
        super().tearDown()  # type: ignore[misc]


class TestSQLiteApplicationRecorder(_SQLiteMixin, base.ApplicationRecorderTestCase[LedgerSQLiteRecorder]):
    pass


class TestSQLiteNonInterleaving(_SQLiteMixin, base.NonInterleavingNotificationIDsBaseCase):
    insert_num = 1000


@pytest.mark.postgres
class TestPostgresApplicationRecorder(_PostgresMixin, base.ApplicationRecorderTestCase[LedgerPostgresRecorder]):
    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = False

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


@pytest.mark.postgres
class TestPostgresNonInterleaving(_PostgresMixin, base.NonInterleavingNotificationIDsBaseCase):
    insert_num = 1000
