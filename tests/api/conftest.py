"""One deployment for the API's tests (the graph: test_root_queries.py, test_relations.py,
test_filters.py and the others beside them, sharing helpers.py; test_access.py: who sees
what; test_ui.py: the planners' pages), built once for this package and stopped after it.

On the embedded warehouse: seeded with noise, materialized, advanced 60 days (plus one
parcel and one enterprise changed in their sources, since the simulated days never change
a parcel's own attributes) and materialized again, so that the snapshots hold more than one
version of some records.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import (
    Deployment,
    create_client,
    make_deployment,
    running_api,
    teardown_deployment,
)

# The graph's tests assert inside helpers.py too: its failures are explained like theirs.
pytest.register_assert_rewrite("tests.api.helpers")

SCALE = "1500"
SEED = "7"
ADVANCE_DAYS = "60"
ALL_GRANTS = ("land:personal", "enterprise:personal", "civil_registry:personal",
              "cadre:personal", "audit")
# Two CMNDs far apart (not one mistyped for the other), of the review queue's planted case.
CONTESTING_CMNDS = ("970000001", "961234598")
# Headers of a client holding every grant, with a purpose: filled in when the deployment
# is made (the graph's own tests read as this client).
FULL_ACCESS: dict[str, str] = {}


def change_sources(deployment: Deployment) -> None:
    """Changes the simulated days do not make: a parcel's area and land use, and an
    enterprise's name and legal representative, each one day after the latest update of
    its table (so the next extraction picks them up and the snapshots version them); and
    a case for the stewards' review queue: two land holdings under two CMNDs giving one
    person's name and birth date (one person holds one CMND)."""
    with psycopg.connect(deployment.warehouse_url) as warehouse:
        name, born, sex = warehouse.execute(
            "select full_name, birth_date, sex from marts.dim_person p "
            "where personal_id_number is not null and birth_date_precision = 'day' "
            "and extract(day from birth_date) > 12 and not exists (select from "
            "marts.dim_person o where o.full_name_key = p.full_name_key "
            "and o.person_id <> p.person_id) order by person_id limit 1").fetchone()
    with psycopg.connect(deployment.source_url("land")) as land:
        for cmnd in CONTESTING_CMNDS:
            land.execute(
                "insert into chu_su_dung (id, loai_chu, ho_ten, loai_giay_to, so_giay_to, "
                "ngay_sinh, gioi_tinh, dia_chi, ngay_cap_nhat) select max(id) + 1, 'CN', %s, "
                "'CMND', %s, %s, %s, 'Ấp 1, Xã Tân Lập', now() from chu_su_dung",
                (name, cmnd, born.strftime("%d/%m/%Y"), "Nam" if sex == "male" else "Nữ"))
    with psycopg.connect(deployment.warehouse_url) as warehouse:
        source_id, land_use = warehouse.execute(
            "select land_parcel_source_id, land_use_code from marts.dim_land_parcel "
            "where area_m2 > 0 order by land_parcel_source_id limit 1").fetchone()
        other_use = warehouse.execute(
            "select min(land_use_code) from marts.dim_land_parcel where land_use_code <> %s",
            (land_use,)).fetchone()[0]
        enterprise_codes = [r[0] for r in warehouse.execute(
            "select enterprise_code from marts.dim_organization "
            "where organization_type = 'enterprise' and status = 'active' "
            "order by enterprise_code").fetchall()]
    with psycopg.connect(deployment.source_url("land")) as land:
        land.execute(
            "update thua_dat set dien_tich = dien_tich + 250, ma_loai_dat = %s, "
            "ngay_cap_nhat = (select max(ngay_cap_nhat) from thua_dat) + interval '1 day' "
            "where id = %s", (other_use, source_id))
    with psycopg.connect(deployment.source_url("enterprise")) as enterprise:
        representatives = enterprise.execute(
            "select enterprise_code, legal_rep_name, legal_rep_id_no, legal_rep_dob "
            "from enterprises where enterprise_code = any(%s) and legal_rep_id_no ~ '^\\d{12}$' "
            "order by enterprise_code", (enterprise_codes,)).fetchall()
        changed, other = representatives[0], next(
            r for r in representatives[1:] if r[2] != representatives[0][2])
        enterprise.execute(
            "update enterprises set name = name || ' (đổi tên)', legal_rep_name = %s, "
            "legal_rep_id_no = %s, legal_rep_dob = %s, "
            "updated_at = (select max(updated_at) from enterprises) + interval '1 day' "
            "where enterprise_code = %s", (other[1], other[2], other[3], changed[0]))


@pytest.fixture(scope="package")
def deployment(tmp_path_factory):
    deployment = make_deployment("embedded", tmp_path_factory.mktemp("api"))
    try:
        deployment.kho("sources", "seed", "--scale", SCALE, "--seed", SEED)
        deployment.kho("materialize")
        deployment.kho("sources", "advance", "--days", ADVANCE_DAYS)
        change_sources(deployment)
        deployment.kho("materialize")
        key = create_client(deployment, "full-access", *ALL_GRANTS,
                            extra=("--rate-limit", "1000000"))
        FULL_ACCESS.update({"Authorization": f"Bearer {key}",
                            "X-Purpose": "kho's own tests of the graph"})
        yield deployment
    finally:
        teardown_deployment(deployment)


@pytest.fixture(scope="package")
def api(deployment, request):
    """The API the graph's tests read; ``--api-executor resolvers`` runs them all against the
    resolvers alone, as ``tests/api/test_compiler.py`` compares the two."""
    resolvers = request.config.getoption("--api-executor") == "resolvers"
    with running_api(deployment, {"KHO_API_COMPILER": "off"} if resolvers else None) as base:
        yield base


@pytest.fixture(scope="package")
def wh(deployment):
    with psycopg.connect(deployment.warehouse_url, autocommit=True) as conn:
        yield conn
