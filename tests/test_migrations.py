"""Versioned migrations on a real warehouse: a warehouse of the release before them
adopted by ``kho migrate`` with every row kept, and ``kho serve`` refusing a warehouse it
has not been migrated to."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from kho import db, migrations, warehouse
from tests.conftest import (
    Deployment,
    free_port,
    kho_fails,
    make_deployment,
    teardown_deployment,
)

PREVIOUS_RELEASE_SCHEMA = Path(__file__).with_name("previous_release") / "schema.sql"


def catalog(url: str) -> dict[str, list[tuple]]:
    """The kho-owned schemas' tables, columns, constraints, indexes and functions."""
    schemas = ["kho_secrets", "ingest", "quarantine", "master_data", "kho_meta",
               "reference", "api", "changes"]
    queries = {
        "columns": "select table_schema, table_name, column_name, data_type, is_nullable, "
                   "column_default from information_schema.columns where table_schema = any(%s)",
        "constraints": "select n.nspname, c.conname, pg_get_constraintdef(c.oid) from "
                       "pg_constraint c join pg_namespace n on n.oid = c.connamespace "
                       "where n.nspname = any(%s)",
        "indexes": "select schemaname, indexname, indexdef from pg_indexes "
                   "where schemaname = any(%s)",
        "functions": "select n.nspname, p.proname, md5(pg_get_functiondef(p.oid)) from pg_proc p "
                     "join pg_namespace n on n.oid = p.pronamespace where n.nspname = any(%s)",
        "triggers": "select tgname, tgrelid::regclass::text from pg_trigger "
                    "where not tgisinternal and tgrelid::regclass::text like 'api.%%'",
    }
    with psycopg.connect(url) as conn:
        return {name: sorted(conn.execute(query, (schemas,) if "%s" in query else ()
                                          ).fetchall(), key=repr)
                for name, query in queries.items()}


def rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    deployment = make_deployment("embedded", tmp_path_factory.mktemp("migrations"))
    try:
        yield deployment
    finally:
        teardown_deployment(deployment)


@pytest.fixture
def previous_release(server) -> Deployment:
    """A warehouse as the release before versioned migrations left it (its DDL, frozen in
    tests/previous_release/schema.sql, and rows in every kind of table), on the embedded
    server of a deployment."""
    server_url = server.warehouse_url
    url = db.with_database(server_url, f"{db.database_name(server_url)}_previous")
    db.drop_database(url)
    db.ensure_database(url)
    warehouse.prepare_roles(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PREVIOUS_RELEASE_SCHEMA.read_text(encoding="utf-8"))
        conn.execute("insert into kho_secrets.keys values ('person_id_key', 'previous-key')")
        conn.execute("""
            insert into master_data.person_ids (id, anchor_key, status, merged_into) values
                ('00000000-0000-0000-0000-000000000001', 'personal_id:1', 'active', null),
                ('00000000-0000-0000-0000-000000000002', 'id_card:2', 'merged',
                 '00000000-0000-0000-0000-000000000001')""")
        conn.execute("""
            insert into master_data.person_id_map values
                ('land', 'chu_su_dung', '7', 'holder', '00000000-0000-0000-0000-000000000001')""")
        conn.execute("insert into master_data.person_id_events (event, id, other_id, records) "
                     "values ('merged', '00000000-0000-0000-0000-000000000002', "
                     "'00000000-0000-0000-0000-000000000001', 1)")
        conn.execute("insert into master_data.person_link_reviews (identity_key, anchor_key, "
                     "decision, reviewed_by) values ('id_card:2', 'personal_id:1', 'accept', "
                     "'steward')")
        conn.execute("insert into api.clients (name, agency) values ('old-client', 'So TP')")
        conn.execute("insert into api.client_grants select client_id, 'land', 'personal' "
                     "from api.clients")
        conn.execute("insert into api.api_keys (key_id, client_id, secret_sha256) "
                     "select 'abcdefghijkl', client_id, sha256('secret') from api.clients")
        for _ in range(3):
            conn.execute("insert into api.access_log (client_name, outcome, person_ids) "
                         "values ('old-client', 'ok', "
                         "array['00000000-0000-0000-0000-000000000001']::uuid[])")
    deployment = Deployment("previous release", {**server.env, "KHO_WAREHOUSE_URL": url},
                            server.home)
    yield deployment
    db.drop_database(url)


PREVIOUS_TABLES = ("kho_secrets.keys", "master_data.person_ids", "master_data.person_id_map",
                   "master_data.person_id_events", "master_data.person_link_reviews",
                   "api.installation", "api.clients", "api.client_grants", "api.api_keys",
                   "api.access_log", "api.access_log_head", "ingest.watermarks")


def test_kho_serve_refuses_a_warehouse_it_has_not_been_migrated_to(previous_release):
    refused = kho_fails(previous_release, "serve", "--port", str(free_port()), timeout=120)
    assert "kho migrate" in refused.stderr and "before versioned migrations" in refused.stderr
    url = previous_release.env["KHO_WAREHOUSE_URL"]
    assert migrations.status(url).current is None  # serve changed nothing


def test_kho_migrate_adopts_the_previous_release_keeping_every_row(previous_release, server):
    url = previous_release.env["KHO_WAREHOUSE_URL"]
    before = {t: sorted(rows(url, f"select * from {t}"), key=repr) for t in PREVIOUS_TABLES}
    status = previous_release.kho("migrate", "--status").stdout
    assert "before versioned migrations" in status and "pending: 0001" in status, status

    out = previous_release.kho("migrate").stdout
    assert "adopting it" in out and "migrated from the release before versioned migrations " \
        f"to {migrations.head()}" in out, out
    assert rows(url, "select version_num from kho_meta.alembic_version") == \
        [(migrations.head(),)]
    assert {t: sorted(rows(url, f"select * from {t}"), key=repr)
            for t in PREVIOUS_TABLES} == before
    assert "3 entries" in previous_release.kho("audit", "verify").stdout
    assert "nothing to migrate" in previous_release.kho("migrate").stdout
    # Adopted, it is the schema a new warehouse gets (the server's own, migrated).
    adopted = catalog(url)
    assert all(adopted.values()) and adopted == catalog(server.warehouse_url)
    # The adopted log chains on.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("insert into api.access_log (client_name, outcome) values ('x', 'ok')")
    assert "4 entries" in previous_release.kho("audit", "verify").stdout
