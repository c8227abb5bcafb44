"""The warehouse model on a real warehouse: dbt build over noisy simulated sources, every
mart tested and documented, both administrative generations, and write-audit-publish (a
build whose tests fail is not published; the API keeps answering from the last good one).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict

import psycopg
import pytest
import shapely
from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance

from kho.settings import DBT_PROJECT_DIR
from pipelines.dbt.project import run_dbt
from pipelines.reference.admin_units import crosswalk_rows
from pipelines.sources import geometry
from simulated_sources import cadastre
from simulated_sources.admin_units import long_an_communes
from simulated_sources.population import PLANNING_ZONES
from tests.conftest import (
    Deployment,
    graphql,
    make_deployment,
    running_api,
    stable_id,
    teardown_deployment,
)

SCALE = "1500"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    # The embedded server; the same build on an operator's PostgreSQL server (15 here) is
    # tests/test_end_to_end.py's, which runs on both.
    deployment = make_deployment("embedded", tmp_path_factory.mktemp("embedded"))
    # Default noise: messy names, CMNDs, year-only dates, broken rows quarantined.
    deployment.kho("sources", "seed", "--scale", SCALE, "--seed", "5")
    deployment.first_run = deployment.kho("materialize").stdout
    yield deployment
    teardown_deployment(deployment)


def query(deployment: Deployment, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(deployment.warehouse_url) as conn:
        return conn.execute(sql, params).fetchall()


def manifest() -> dict:
    return json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())


def test_build_publishes_every_mart_with_no_failed_test(deployment):
    summary = deployment.first_run.strip().splitlines()[-1]
    assert summary.startswith("succeeded") and summary.endswith(" 0 checks failed"), summary
    assert "materialized marts/published" in deployment.first_run
    nodes = manifest()["nodes"].values()
    marts = {n["name"] for n in nodes if n["resource_type"] == "model" and n["fqn"][1] == "marts"}
    published = {r[0] for r in query(deployment, "select tablename from pg_tables "
                                                 "where schemaname = 'marts'")}
    assert marts <= published
    assert {"dim_person", "dim_organization", "dim_land_parcel", "dim_admin_unit",
            "fct_land_right", "fct_land_transfer", "fct_enterprise_role", "fct_employment",
            "fct_civil_event"} <= marts
    # Lists of exceptions (data-quality findings, the stewards' queue) may be empty at this
    # scale; every other mart holds rows.
    for mart in {m for m in marts if not m.startswith(("dq_", "review_"))}:
        assert query(deployment, f"select count(*) from marts.{mart}")[0][0] > 0, mart
    # The API's schema holds exactly one build, the one recorded as published.
    (build,) = query(deployment, "select invocation_id, status from marts.kho_build "
                                 "order by finished_at desc limit 1")
    assert build[1] == "succeeded"
    (latest,) = query(deployment, "select invocation_id from kho_meta.publications "
                                  "order by publication_id desc limit 1")
    assert latest[0] == build[0]
    assert query(deployment, "select count(*) from pg_namespace where nspname = 'marts_build'"
                 ) == [(0,)]


def test_every_mart_is_described_tested_and_contracted():
    nodes = manifest()["nodes"].values()
    tested = Counter(dep for n in nodes if n["resource_type"] == "test"
                     for dep in n["depends_on"]["nodes"])
    marts = [n for n in nodes if n["resource_type"] == "model" and n["fqn"][1] == "marts"]
    for mart in marts:
        assert mart["description"].strip(), mart["name"]
        assert mart["config"]["contract"]["enforced"], mart["name"]
        assert mart["columns"], mart["name"]
        undocumented = [c for c, spec in mart["columns"].items() if not spec["description"]]
        assert not undocumented, (mart["name"], undocumented)
        assert tested[mart["unique_id"]] >= 2, mart["name"]  # at least unique + not null


def test_dbt_docs_generate_works(deployment):
    result = run_dbt(deployment.warehouse_url, deployment.home / "dbt-docs", "docs", "generate",
                     env=deployment.env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    catalog = json.loads((deployment.home / "dbt-docs" / "catalog.json").read_text())
    assert any(key.endswith(".dim_person") for key in catalog["nodes"])
    # Nothing sent to dbt Labs (dbt's usage events are off in the project itself).
    log = (deployment.home / "dbt-docs" / "dbt.log").read_text()
    assert "send_anonymous_usage_stats': 'False'" in log
    assert "Sending event" not in log


def test_names_ids_and_dates_are_normalised_in_staging(deployment):
    # Old tone placement, NFD and capitals all meet in one comparable form.
    rows = query(deployment, "select holder_name_normalized, holder_name_key "
                             "from staging.stg_land__land_users "
                             "where holder_name_normalized is not null")
    assert rows
    for normalized, key in rows:
        assert normalized == normalized.lower()
        assert not any(old in normalized for old in ("òa ", "óa ", "ủy ", "úy "))
        assert key.isascii(), key
    # Year-only birth dates are kept with their precision, not as a false 1 January.
    precisions = dict(query(deployment, "select birth_date_precision, count(*) "
                                        "from staging.stg_land__land_users group by 1"))
    assert precisions.get("year", 0) > 0 and precisions.get("day", 0) > 0
    # Personal IDs are only ever 12 digits; 9-digit cards are kept apart.
    assert query(deployment, """
        select count(*) from intermediate.int_persons__mentions
        where personal_id_number !~ '^\\d{12}$' or id_card_number !~ '^\\d{9}$'
    """) == [(0,)]
    assert query(deployment, "select count(*) from intermediate.int_persons__mentions "
                             "where id_card_number is not null")[0][0] > 0


def test_staging_reads_an_identity_number_as_ingestion_does(deployment):
    # util.identity_number takes a number already written as one without the regular
    # expressions; every other writing goes through ingestion's own reading.
    written = ["080123456789", "123456789", "097123456789", "000123456789", "80123456789",
               "080 123 456 789", "080.123.456.789", "０８０１２３４５６７８９", "12345678",
               "1234567890123", "", " ", "abc123456789", "301-234-567", "1234567890",
               "080123456789 ", "08012345678x", None]
    rows = query(deployment, "select value, util.identity_number(value), "
                             "ingest.identity_number(value) from unnest(%s::text[]) as value",
                 (written,))
    assert len(rows) == len(written)
    assert [(value, staged) for value, staged, _ in rows] == [
        (value, ingested) for value, _, ingested in rows]
    assert {staged for _, staged, _ in rows} >= {"080123456789", "123456789", "301234567"}


def test_parsing_gives_the_same_values_in_parallel_workers(deployment):
    # Run the parsers inside parallel workers, where an exception handler cannot run.
    with psycopg.connect(deployment.warehouse_url) as conn:
        if conn.info.server_version >= 160000:
            conn.execute("set debug_parallel_query = on")
        else:
            conn.execute("set force_parallel_mode = on")
        conn.execute("set parallel_setup_cost = 0")
        conn.execute("set min_parallel_table_scan_size = 0")
        plan = "\n".join(r[0] for r in conn.execute(
            "explain select util.try_timestamp(updated_at) from raw_enterprise.enterprises"))
        assert "Gather" in plan
        lost = conn.execute("""
            select count(*) filter (where util.try_timestamp(updated_at) is null),
                   count(*) filter (where util.parse_date(registration_date) is null
                                    and nullif(btrim(registration_date), '') is not null),
                   count(*) filter (where util.try_numeric(charter_capital_vnd) is null
                                    and nullif(btrim(charter_capital_vnd), '') is not null)
            from raw_enterprise.enterprises where _deleted_at is null
              and enterprise_code not in (select record_key from quarantine.open_rows
                                          where source = 'enterprise')
        """).fetchone()
    assert lost == (0, 0, 0)


def test_codes_are_decoded_in_both_languages(deployment):
    rows = query(deployment, "select land_use_code, land_use_name_vi, land_use_name_en "
                             "from marts.dim_land_parcel")
    assert rows and all(vi and en for code, vi, en in rows if code)
    # A parcel without a code is one whose code the land register wrote wrong: it is set
    # aside and reported to the land office.
    uncoded = query(deployment, "select count(*) from marts.dim_land_parcel p "
                                "where land_use_code is null and not exists ("
                                "select from marts.dq_source_values v where v.source_table = "
                                "'thua_dat' and v.source_record_key = "
                                "p.land_parcel_source_id::text and v.column_name = "
                                "'ma_loai_dat')")
    assert uncoded == [(0,)]
    assert ("LUC", "Đất chuyên trồng lúa", "Specialised paddy land") in set(rows)
    forms = query(deployment, "select legal_form_name_vi, legal_form_name_en "
                              "from marts.dim_organization where legal_form_code = 'CP'")
    assert forms and set(forms) == {("Công ty cổ phần", "Joint-stock company")}
    # Planning zones, free text in the register, are matched to the warehouse's list by name
    # (diacritics, case and punctuation aside): every zone the register writes has a code
    # and an English name, in the parcel mart and its history alike.
    zones = query(deployment, "select distinct planning_zone, planning_zone_code, "
                              "planning_zone_name_en from marts.dim_land_parcel "
                              "where planning_zone is not null")
    assert {zone for zone, *_ in zones} >= set(PLANNING_ZONES)
    assert all(code and en for _, code, en in zones), zones
    assert ("Khu đô thị mới", "KDT_MOI", "New urban area") in set(zones)
    assert query(deployment, "select count(*) from marts.dim_land_parcel p join "
                             "marts.dim_land_parcel_history h using (land_parcel_id) where "
                             "h.is_current and (p.planning_zone_code, p.planning_zone_name_en) "
                             "is distinct from (h.planning_zone_code, "
                             "h.planning_zone_name_en)") == [(0,)]


def test_a_parcel_keeps_the_register_boundary_beside_its_wgs84_one(deployment):
    """The land register keeps VN-2000 metres; the parcel mart holds that boundary and its
    system beside the WGS 84 one the API serves, which lies inside the province."""
    parcels = query(deployment, "select land_parcel_id, boundary_wkt, boundary_wkt_vn2000, "
                                "boundary_crs from marts.dim_land_parcel")
    assert parcels
    to_wgs84 = cadastre.to_wgs84()
    lons = [c.lon for c in long_an_communes()]
    lats = [c.lat for c in long_an_communes()]
    for _, wgs84, vn2000, crs in parcels:
        assert crs == "VN-2000 / TM-3 105-45"
        metres, degrees = geometry.parse_polygon(vn2000), geometry.parse_polygon(wgs84)
        assert len(metres) == len(degrees) >= 4
        for (e, n), (lon, lat) in zip(metres, degrees, strict=True):
            assert (lon, lat) == pytest.approx(to_wgs84.transform(e, n), abs=2e-7)
            assert min(lons) - 0.05 < lon < max(lons) + 0.05
            assert min(lats) - 0.05 < lat < max(lats) + 0.05
    # Each version in the history keeps both boundaries too.
    history = query(deployment, "select p.boundary_wkt, p.boundary_wkt_vn2000, p.boundary_crs, "
                                "h.boundary_wkt, h.boundary_wkt_vn2000, h.boundary_crs "
                                "from marts.dim_land_parcel p join marts.dim_land_parcel_history h "
                                "using (land_parcel_id) where h.is_current")
    assert len(history) == len(parcels)
    assert all(row[:3] == row[3:] for row in history)
    some, wgs84 = parcels[0][0], parcels[0][1]
    with running_api(deployment) as api:
        served = graphql(api, "query($id: ID!) { landParcel(id: $id) { boundaryWkt } }",
                         {"id": str(some)})["data"]["landParcel"]["boundaryWkt"]
    assert served == wgs84


def test_each_commune_is_outlined_by_its_parcels(deployment):
    """Without a boundary file, every commune with surveyed parcels, of either generation,
    has the outline derived from them: one shape holding every parcel of the commune and
    no parcel of another, served by the API with its source."""
    outlines = dict(query(deployment, """
        select admin_unit_id, outline_wkt from marts.dim_admin_unit
        where outline_source = 'parcels' and boundary_wkt is null"""))
    parcels = query(deployment, """
        select 'current:commune:' || current_commune_code, 'legacy:commune:' ||
               legacy_commune_code, boundary_wkt
        from marts.dim_land_parcel where boundary_wkt is not null""")
    located = {unit for current, legacy, _ in parcels for unit in (current, legacy)}
    assert set(outlines) == located
    assert not query(deployment, "select 1 from marts.dim_admin_unit where outline_wkt is "
                                 "not null and outline_source is null")
    shapes = {unit: shapely.from_wkt(wkt).buffer(2e-6) for unit, wkt in outlines.items()}
    for current, legacy, wkt in parcels:
        parcel = shapely.from_wkt(wkt)
        assert shapes[current].contains(parcel) and shapes[legacy].contains(parcel)
    # A parcel lies in no other current commune's outline (neighbours touch, not overlap).
    current = {unit: shape for unit, shape in shapes.items() if unit.startswith("current:")}
    tree = shapely.STRtree(list(current.values()))
    names = list(current)
    for unit, _, wkt in parcels[::25]:
        inside = shapely.from_wkt(wkt).representative_point()
        assert {names[i] for i in tree.query(inside, predicate="within")} == {unit}
    unit = sorted(current)[0]
    with running_api(deployment) as api:
        served = graphql(api, "query($code: String!) { adminUnit(code: $code, generation: "
                              "CURRENT) { outlineWkt outlineSource boundaryWkt } }",
                         {"code": unit.rsplit(":", 1)[1]})["data"]["adminUnit"]
    assert served == {"outlineWkt": outlines[unit], "outlineSource": "PARCELS",
                      "boundaryWkt": None}


def test_roads_and_canals_are_parcels_without_holder_or_certificate(deployment):
    """State land (roads, canals) is a parcel of the register like any other, with no
    right, no holder and no certificate; every parcel the register lists without a right
    is one."""
    with psycopg.connect(deployment.source_url("land")) as land:
        unheld = {r[0] for r in land.execute(
            "select id from thua_dat t where not exists "
            "(select from quyen_su_dung q where q.thua_dat_id = t.id)")}
    state_land = query(deployment, """
        select p.land_parcel_source_id, p.land_use_code, p.certificate_serial,
               (select count(*) from marts.fct_land_right r
                where r.land_parcel_id = p.land_parcel_id)
        from marts.dim_land_parcel p where p.land_parcel_source_id = any(%s)
    """, (list(unheld),))
    assert len(state_land) > 10
    # A broken row may have put a road's land-use code aside; the others say what it is.
    assert Counter(code for _, code, _, _ in state_land).most_common(2)[0][0] \
        in {"DGT", "DTL"}
    assert {code for _, code, _, _ in state_land} <= {"DGT", "DTL", None}
    assert all(certificate is None and rights == 0 for _, _, certificate, rights in state_land)


def test_a_merged_commune_is_found_under_its_legacy_and_its_current_code(deployment):
    # The crosswalk straight from vietnamadminunits, not from the warehouse.
    successor = {old: new for old, new, is_default, _ in crosswalk_rows() if is_default}
    with psycopg.connect(deployment.source_url("land")) as land:
        per_legacy = dict(land.execute(
            "select ma_xa, count(*) from thua_dat group by ma_xa").fetchall())
    quarantined = Counter(r[0] for r in query(
        deployment, "select payload ->> 'ma_xa' from quarantine.open_rows "
                    "where source = 'land' and table_name = 'thua_dat'"))
    per_current: dict[str, set[str]] = defaultdict(set)
    for legacy in per_legacy:
        if legacy in successor:
            per_current[successor[legacy]].add(legacy)
    merged = sorted((new for new, olds in per_current.items() if len(olds) > 1),
                    key=lambda new: -len(per_current[new]))
    assert merged, "the simulated province has communes merged in 2025"
    current = merged[0]
    legacy = sorted(per_current[current])[0]
    assert legacy != current or len(per_current[current]) > 1

    def parcels(where: str, code: str) -> int:
        return query(deployment, f"select count(*) from marts.dim_land_parcel where {where}",
                     (code,))[0][0]

    expected_legacy = per_legacy[legacy] - quarantined[legacy]
    expected_current = sum(per_legacy[o] - quarantined[o] for o in per_current[current])
    assert parcels("legacy_commune_code = %s", legacy) == expected_legacy > 0
    assert parcels("current_commune_code = %s", current) == expected_current > expected_legacy
    # The bridge names every legacy commune the current one absorbed.
    absorbed = {r[0] for r in query(
        deployment, "select legacy_commune_code from marts.bridge_admin_unit_succession "
                    "where current_commune_code = %s and is_default", (current,))}
    assert per_current[current] <= absorbed


def check_evaluations(deployment: Deployment, output: str, asset: str) -> dict:
    """The asset's check evaluations in the Dagster event log of the run ``output`` names."""
    run_id = re.search(r"\(run ([0-9a-f-]{36})\)", output).group(1)
    with DagsterInstance.from_config(str(deployment.home / "dagster")) as instance:
        records = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000).records
    return {e.check_name: e for e in (r.event_log_entry.dagster_event.event_specific_data
                                      for r in records)
            if e.asset_key.to_user_string() == asset}


def test_a_failed_build_is_not_published_and_the_next_good_one_is(deployment):
    # An assignment to an agency the cadre system does not list: its organization_id
    # resolves to no organization, which the relationships test on fct_employment warns of.
    with psycopg.connect(deployment.source_url("cadre")) as conn:
        conn.execute("update qua_trinh_cong_tac set ma_co_quan = 'X9999', ngay_sua = now() "
                     "where id = (select min(id) from qua_trinh_cong_tac)")
    dangling_agency = ("relationships_fct_employment_organization_id__organization_id__"
                       "ref_dim_organization_")
    land = deployment.source_url("land")
    with psycopg.connect(land) as conn:
        parcel_id, commune, sheet, number, area = conn.execute("""
            select t.id, t.ma_xa, t.so_to_ban_do, t.so_thua, t.dien_tich from thua_dat t
            join quyen_su_dung q on q.thua_dat_id = t.id and q.den_ngay is null
            join chu_su_dung c on c.id = q.chu_su_dung_id
            where q.ty_le = 1 order by t.id limit 1
        """).fetchone()
        holder = conn.execute("select chu_su_dung_id from quyen_su_dung where thua_dat_id = %s",
                              (parcel_id,)).fetchone()[0]
        # A visible change (the area) and, beside it, a row every contract accepts but the
        # domain forbids: a second current right that takes the parcel's shares above 1.
        conn.execute("update thua_dat set dien_tich = dien_tich + 1000, "
                     "ngay_cap_nhat = now() where id = %s", (parcel_id,))
        planted = conn.execute("""
            insert into quyen_su_dung (id, thua_dat_id, chu_su_dung_id, ty_le, tu_ngay,
                                       ngay_cap_nhat)
            select max(id) + 1, %s, %s, 0.5, date '2020-01-01', now() from quyen_su_dung
            returning id
        """, (parcel_id, holder)).fetchone()[0]
    parcel = stable_id("land_parcel", f"{commune}:{sheet}:{number}")
    area_query = "query($id: ID!) { landParcel(id: $id) { areaM2 } }"
    before = query(deployment, "select invocation_id from kho_meta.publications "
                               "order by publication_id desc limit 1")

    with running_api(deployment) as api:
        served = graphql(api, area_query, {"id": parcel})["data"]["landParcel"]["areaM2"]
        assert served == pytest.approx(float(area))

        failed = subprocess.run([sys.executable, "-m", "kho.cli", "materialize"],
                                env=deployment.env, capture_output=True, text=True, timeout=900)
        assert failed.returncode != 0
        said = failed.stdout + failed.stderr
        assert "assert_parcel_shares_sum_to_at_most_one" in said
        assert said.count("configured to fail if != 0") == 1, said  # dbt's message, once
        assert re.search(r"^error: step kho_dbt_models failed: dbt build failed: test "
                         r"assert_parcel_shares_sum_to_at_most_one \(Got 1 result, configured "
                         r"to fail if != 0\); dbt's log: \S+/dbt\.log$", failed.stderr,
                         re.MULTILINE), failed.stderr
        assert "materialized marts/published" not in failed.stdout
        summary = failed.stdout.strip().splitlines()[-1]
        assert re.fullmatch(r"FAILED in [\d.]+ s: 1 step failed \(kho_dbt_models\), "
                            r"\d+ steps? skipped, \d+ assets materialized, \d+ checks passed, "
                            r"[1-9]\d* checks? warned, 1 check failed", summary), summary
        # In Dagster the warning is a failed check of severity WARN (the UI shows it as a
        # warning), the failure one of severity ERROR.
        warned = check_evaluations(deployment, failed.stdout, "marts/fct_employment")
        assert not warned[dangling_agency].passed
        assert warned[dangling_agency].severity == AssetCheckSeverity.WARN
        errors = check_evaluations(deployment, failed.stdout, "marts/fct_land_right")
        assert not errors["assert_parcel_shares_sum_to_at_most_one"].passed
        assert errors["assert_parcel_shares_sum_to_at_most_one"].severity == \
            AssetCheckSeverity.ERROR
        # The new area reached the build schema, but the API still serves the last good build.
        assert query(deployment, "select area_m2 from marts_build.dim_land_parcel "
                                 "where land_parcel_id = %s", (parcel,))[0][0] == area + 1000
        served = graphql(api, area_query, {"id": parcel})["data"]["landParcel"]["areaM2"]
        assert served == pytest.approx(float(area))
        assert query(deployment, "select invocation_id from kho_meta.publications "
                                 "order by publication_id desc limit 1") == before

        with psycopg.connect(land) as conn:  # the agency corrects its register
            conn.execute("delete from quyen_su_dung where id = %s", (planted,))
        output = deployment.kho("materialize").stdout
        assert "materialized marts/published" in output  # a warning does not hold it back
        assert f"check WARNING marts/fct_employment: {dangling_agency}" in output
        assert re.search(r"^succeeded .* [1-9]\d* checks? warned, 0 checks failed$",
                         output.strip().splitlines()[-1])
        assert check_evaluations(deployment, output, "marts/fct_employment")[
            dangling_agency].severity == AssetCheckSeverity.WARN
        served = graphql(api, area_query, {"id": parcel})["data"]["landParcel"]["areaM2"]
        assert served == pytest.approx(float(area) + 1000)
    after = query(deployment, "select invocation_id from kho_meta.publications "
                              "order by publication_id desc limit 1")
    assert after != before
