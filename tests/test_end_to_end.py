"""The whole path on a real warehouse: seed -> Dagster run (extract, load, dbt build) -> HTTP.

Runs once on the embedded PostgreSQL and once on the PostgreSQL server at 127.0.0.1:5432
(skipped only where no such server runs).
"""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import psycopg
import pytest

from pipelines.sources.contracts import CONTRACTS
from tests.conftest import (
    Deployment,
    bearer,
    create_client,
    graphql,
    make_deployment,
    person_id,
    running_api,
    stable_id,
    teardown_deployment,
)

SCALE = "400"


@pytest.fixture(scope="module", params=["embedded", "server"])
def deployment(request, tmp_path_factory):
    deployment = make_deployment(request.param, tmp_path_factory.mktemp(request.param))
    # Clean sources: these tests follow single rows end to end; noise has its own tests.
    deployment.kho("sources", "seed", "--scale", SCALE, "--seed", "11", "--noise-level", "0")
    deployment.first_run = deployment.kho("materialize").stdout
    yield deployment
    teardown_deployment(deployment)


@pytest.fixture(scope="module")
def api(deployment: Deployment):
    with running_api(deployment) as base:
        yield base


@pytest.fixture(scope="module")
def officer(deployment: Deployment) -> dict[str, str]:
    """Headers of a civil-registry client allowed personal data, with a purpose."""
    key = create_client(deployment, "registry-officer", "civil_registry:personal")
    return bearer(key, purpose="checking a birth registration")


def source_row(deployment: Deployment, source: str, query: str) -> tuple:
    with psycopg.connect(deployment.source_url(source)) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row


def test_the_dagster_run_succeeds_with_every_dbt_test_passing(deployment):
    summary = deployment.first_run.strip().splitlines()[-1]
    match = re.fullmatch(r"succeeded in [\d.]+ s: (\d+) assets materialized, (\d+) checks "
                         r"passed, (\d+) checks? warned, (\d+) checks? failed", summary)
    assert match, deployment.first_run
    materialized, passed, warned, failed = map(int, match.groups())
    assert materialized >= len(CONTRACTS) + 2 + 4  # raw tables, reference, marts at least
    assert passed > 0
    assert failed == 0
    assert warned == 0  # clean sources: no quarantined row leaves a dangling reference


def test_raw_layer_holds_every_source_row_once(deployment):
    with psycopg.connect(deployment.warehouse_url) as warehouse:
        for contract in CONTRACTS:
            with psycopg.connect(deployment.source_url(contract.source)) as source:
                expected = source.execute(f"select count(*) from {contract.table}").fetchone()[0]
            landed = warehouse.execute(f"select count(*) from {contract.raw_table}").fetchone()[0]
            assert landed == expected > 0, contract.raw_table
            statuses = warehouse.execute(
                "select status from ingest.batches where source = %s and table_name = %s",
                (contract.source, contract.table)).fetchall()
            assert statuses and all(s == ("succeeded",) for s in statuses)


def test_a_second_run_changes_and_duplicates_nothing(deployment):
    with psycopg.connect(deployment.warehouse_url) as conn:
        before = conn.execute("select count(*) from marts.dim_person").fetchone()[0]
    output = deployment.kho("materialize").stdout
    assert output.strip().splitlines()[-1].endswith(" 0 checks failed")
    with psycopg.connect(deployment.warehouse_url) as conn:
        after = conn.execute("select count(*) from marts.dim_person").fetchone()[0]
        latest = conn.execute("""
            select distinct on (source, table_name) rows_extracted, rows_inserted, rows_updated
            from ingest.batches order by source, table_name, batch_id desc
        """).fetchall()
    assert after == before > 0
    assert len(latest) == len(CONTRACTS)
    assert all(extracted > 0 and inserted == 0 and updated == 0
               for extracted, inserted, updated in latest)


def test_person_from_the_civil_registry_over_http(deployment, api, officer):
    pid, name, birth = source_row(deployment, "civil_registry",
                                  "select so_dinh_danh, ho_ten, ngay_sinh from khai_sinh "
                                  "order by so_dang_ky limit 1")
    body = graphql(api, "query($id: ID!) { person(id: $id) { id personalIdNumber fullName "
                        "birthDate sourceSystems } }",
                   {"id": person_id(deployment.warehouse_url, pid)}, officer)
    assert "errors" not in body
    person = body["data"]["person"]
    assert person["personalIdNumber"] == pid
    assert person["fullName"] == name
    assert person["birthDate"] == datetime.strptime(birth, "%d/%m/%Y").date().isoformat()
    assert "civil_registry" in person["sourceSystems"]


def test_enterprise_from_the_register_over_http(deployment, api):
    code, name, status, ward = source_row(
        deployment, "enterprise",
        "select enterprise_code, name, status_code, ward_code from enterprises "
        "where unit_type = 'HQ' order by enterprise_code limit 1")
    body = graphql(api, "query($code: String!) { enterprise(code: $code) { enterpriseCode name "
                        "organizationType status legacyCommuneCode currentCommuneCode } }",
                   {"code": code})
    enterprise = body["data"]["enterprise"]
    assert enterprise == {
        "enterpriseCode": code, "name": name, "organizationType": "ENTERPRISE",
        "status": status.lower(), "legacyCommuneCode": ward,
        "currentCommuneCode": enterprise["currentCommuneCode"],
    }
    assert re.fullmatch(r"\d{5}", enterprise["currentCommuneCode"] or "")


def test_land_parcel_from_the_register_over_http(deployment, api):
    commune, sheet, number, area, use = source_row(
        deployment, "land",
        "select ma_xa, so_to_ban_do, so_thua, dien_tich, ma_loai_dat from thua_dat "
        "order by id limit 1")
    parcel_id = stable_id("land_parcel", f"{commune}:{sheet}:{number}")
    body = graphql(api, "query($id: ID!) { landParcel(id: $id) { id legacyCommuneCode "
                        "mapSheetNumber parcelNumber areaM2 landUseCode boundaryWkt } }",
                   {"id": parcel_id})
    parcel = body["data"]["landParcel"]
    assert parcel["id"] == parcel_id
    assert (parcel["legacyCommuneCode"], parcel["mapSheetNumber"], parcel["parcelNumber"]) == (
        commune, sheet, number)
    assert parcel["areaM2"] == pytest.approx(float(area))
    assert parcel["landUseCode"] == use
    assert parcel["boundaryWkt"].startswith("POLYGON((")


def test_unknown_and_malformed_ids(api, officer):
    body = graphql(api, "{ person(id: \"00000000-0000-0000-0000-000000000000\") { id } }",
                   headers=officer)
    assert "errors" not in body
    assert body["data"] == {"person": None}
    body = graphql(api, "{ person(id: \"not-a-uuid\") { id } enterprise(code: \"12\") { id } }",
                   headers=officer)
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert codes == {("person",): "BAD_USER_INPUT", ("enterprise",): "BAD_USER_INPUT"}


def test_graphiql_and_health_work_offline(api):
    page = httpx.get(f"{api}/graphql", headers={"accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "unpkg.com" not in page.text
    scripts = re.findall(r'src="(/static/vendor/[^"]+)"', page.text)
    assert scripts
    for script in scripts:
        assert httpx.get(f"{api}{script}", timeout=10).status_code == 200
    health = httpx.get(f"{api}/healthz", timeout=10).json()
    assert health["status"] == "ok" and health["access_log"]["state"] == "writing"
    assert httpx.get(f"{api}/", timeout=10).status_code == 200
