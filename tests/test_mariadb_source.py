"""A source on another server: the enterprise register on MariaDB, read unchanged.

Seeds the four sources with default noise (the enterprise register on the MariaDB server at
127.0.0.1:3306, the others beside a PostgreSQL warehouse), runs the real Dagster job,
advances the sources and runs it again.
"""

from __future__ import annotations

import pymysql
import pytest

from kho import db
from tests.conftest import (
    LOCAL_MARIADB,
    Deployment,
    local_mariadb_available,
    make_deployment,
    teardown_deployment,
)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    if not local_mariadb_available():
        pytest.skip("no MariaDB server on 127.0.0.1:3306")
    deployment = make_deployment("server", tmp_path_factory.mktemp("mariadb"))
    name = db.database_name(deployment.env["KHO_WAREHOUSE_URL"])
    deployment.env["KHO_SOURCE_ENTERPRISE_URL"] = f"{LOCAL_MARIADB}{name}_enterprise"
    yield deployment
    teardown_deployment(deployment)


def mariadb_rows(deployment: Deployment, query: str) -> list[tuple]:
    url = db.parse(deployment.env["KHO_SOURCE_ENTERPRISE_URL"])
    conn = pymysql.connect(host=url.host, port=url.port, user=url.username,
                           database=url.database)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return list(cur.fetchall())
    finally:
        conn.close()


def warehouse_rows(deployment: Deployment, query: str) -> list[tuple]:
    with db.connect(deployment.env["KHO_WAREHOUSE_URL"]) as conn:
        return conn.execute(query).fetchall()


def assert_raw_matches_the_register(deployment: Deployment) -> None:
    for table, key in (("enterprises", "enterprise_code"),
                       ("household_businesses", "registration_no")):
        source = {r[0]: r[1] for r in mariadb_rows(
            deployment, f"select {key}, status_code from {table}")}
        raw = {r[0]: r[1] for r in warehouse_rows(
            deployment, f"select {key}, status_code from raw_enterprise.{table} "
                        "where _deleted_at is null")}
        held = {r[0]: r[1] for r in warehouse_rows(
            deployment, "select record_key, payload ->> 'status_code' from "
                        f"quarantine.open_rows where table_name = '{table}'")}
        # Every register row is in the warehouse once: loaded, or held in quarantine as the
        # register has it now (the raw layer may keep its last good version meanwhile).
        assert {**raw, **held} == source, table
    broken = warehouse_rows(deployment, """
        select (select count(*) from raw_enterprise.enterprises where _value_problems is not null)
             + (select count(*) from raw_enterprise.household_businesses
                where _value_problems is not null)
             + (select count(*) from quarantine.open_rows where source = 'enterprise')""")
    assert broken[0][0] > 0, "default noise gives the register values to set aside"


def materialize(deployment: Deployment) -> None:
    summary = deployment.kho("materialize").stdout.strip().splitlines()[-1]
    assert summary.startswith("succeeded") and summary.endswith(" 0 checks failed"), summary


def test_the_enterprise_register_on_mariadb_loads_and_follows_change(deployment):
    seeded = deployment.kho("sources", "seed", "--scale", "2000", "--seed", "5").stdout
    assert "mysql+pymysql://root@127.0.0.1:3306/" in seeded
    described = deployment.kho("sources", "describe").stdout
    assert "name_no_diacritics" in described and "defect:" in described
    materialize(deployment)
    assert_raw_matches_the_register(deployment)

    advanced = deployment.kho("sources", "advance", "--days", "60").stdout
    assert "advanced 60 day(s) to 2026-03-02" in advanced
    changed = mariadb_rows(deployment, "select count(*) from enterprises where updated_at >= "
                           "'2026-01-02' union all select count(*) from household_businesses "
                           "where updated_at >= '2026-01-02'")
    assert sum(n for (n,) in changed) > 0
    materialize(deployment)
    assert_raw_matches_the_register(deployment)
    # The watermark columns MariaDB keeps (datetime(6)) arrive as the same instants.
    newest = mariadb_rows(deployment, "select max(updated_at) from enterprises")[0][0]
    loaded = warehouse_rows(deployment,
                            "select max(updated_at::timestamp) from raw_enterprise.enterprises")
    assert loaded[0][0] == newest
