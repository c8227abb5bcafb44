"""Incremental runs on a real warehouse: after days of source changes an incremental run
gives the marts and master IDs a full rebuild from raw gives, deletes in a source reach
the marts, a failing test publishes nothing, reference data is reloaded only when its
version changes, and each phase's time is told.

Uses the PostgreSQL server at 127.0.0.1:5432 (skipped only where none runs).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import dagster as dg
import psycopg
import pytest
import shapely
import shapely.affinity
import yaml
from dagster import DagsterInstance

from kho.runner import DBT_STEP, ENTITY_RESOLUTION, PHASE_SECONDS_TAG, RunOutcome
from kho.settings import DBT_PROJECT_DIR, load_settings
from pipelines.dbt import incremental
from pipelines.dbt.assets import BUILD_TARGET_PREFIX, BuildParseCache
from pipelines.dbt.project import run_dbt
from pipelines.reference.admin_units import load_reference
from pipelines.resources import WarehouseResource
from pipelines.sources.contracts import CONTRACTS
from pipelines.sources.sensors import build_sensor
from simulated_sources import cadastre
from tests.conftest import Deployment, make_deployment, teardown_deployment

SCALE = "400"
PHASES = ("ingest", "reference", "build", ENTITY_RESOLUTION, "publish", "master IDs")
STAGED_BIRTHS = "staging.stg_civil_registry__births"
# The entity-resolution models built incrementally from the person mentions.
RESOLVED_INCREMENTALLY = ("intermediate.int_persons__mentions",
                          "intermediate.int_persons__places",
                          "intermediate.int_persons__identities",
                          "intermediate.int_persons__identity_groups")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = make_deployment("server", tmp_path_factory.mktemp("incremental"))
    # Default noise: rows with values set aside take the staging models' other path.
    deployment.kho("sources", "seed", "--scale", SCALE, "--seed", "8")
    deployment.first_run = deployment.kho("materialize").stdout
    deployment.url = deployment.warehouse_url
    yield deployment
    teardown_deployment(deployment)


def execute(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    """A statement in its own transaction; the rows it returns, if any."""
    with psycopg.connect(url) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def query(deployment: Deployment, statement: str, params: tuple = ()) -> list[tuple]:
    return execute(deployment.url, statement, params)


def source_execute(deployment: Deployment, source: str, statement: str,
                   params: tuple = ()) -> list[tuple]:
    return execute(deployment.source_url(source), statement, params)


def served(deployment: Deployment) -> dict[str, list[str]]:
    """Every published mart's rows, and the master-ID tables, in a comparable form."""
    tables = [r[0] for r in query(deployment, "select tablename from pg_tables where "
                                              "schemaname = 'marts' and tablename <> 'kho_build'")]
    state = {table: sorted(map(repr, query(deployment, f'select * from marts."{table}"')))
             for table in tables}
    for entity in ("person", "organization"):
        state[f"{entity}_ids"] = sorted(map(repr, query(
            deployment, f"select id, anchor_key, status, merged_into "
                        f"from master_data.{entity}_ids")))
        state[f"{entity}_id_map"] = sorted(map(repr, query(
            deployment, f"select source_table, source_record_key, role, id "
                        f"from master_data.{entity}_id_map")))
    return state


def staging(deployment: Deployment) -> dict[str, list[str]]:
    tables = [f"staging.{r[0]}" for r in query(deployment, "select tablename from pg_tables "
                                                          "where schemaname = 'staging'")]
    return rows_of(deployment, tables)


def rows_of(deployment: Deployment, tables) -> dict[str, list[str]]:
    return {table: sorted(map(repr, query(deployment, f"select * from {table}")))
            for table in tables}


def relation_oid(deployment: Deployment, relation: str) -> int:
    """A table's identity: an incremental build keeps it, a full one makes a new table."""
    return query(deployment, "select %s::regclass::oid", (relation,))[0][0]


def analyze_counts(deployment: Deployment, tables) -> dict[str, int]:
    """How many times each table was analysed by hand (a build's post-hook), not by
    autovacuum."""
    return {table: query(deployment, "select analyze_count from pg_stat_user_tables "
                                     "where relid = %s::regclass", (table,))[0][0]
            for table in tables}


def latest_publication(deployment: Deployment) -> str:
    return query(deployment, "select invocation_id from kho_meta.publications "
                             "order by publication_id desc limit 1")[0][0]


def test_a_run_tells_each_phase_its_time_and_tags_the_run_with_them(deployment):
    lines = deployment.first_run.strip().splitlines()
    timings = lines[-2]
    assert timings.startswith("timings: "), timings
    told = dict(re.findall(r"([a-zA-Z ]+?) ([\d.]+) s(?:, |$)", timings.removeprefix("timings: ")))
    assert set(told) == set(PHASES), timings
    assert float(told["build"]) > 0 and float(told[ENTITY_RESOLUTION]) > 0
    run_id = re.search(r"\(run ([0-9a-f-]{36})\)", deployment.first_run).group(1)
    home = deployment.kho("pipelines", "home").stdout.strip()
    with DagsterInstance.from_config(home) as instance:
        tags = instance.get_run_by_id(run_id).tags
    assert json.loads(tags[PHASE_SECONDS_TAG]) == pytest.approx(
        {phase: float(seconds) for phase, seconds in told.items()}, abs=0.051)


def test_phases_take_entity_resolution_out_of_the_build():
    """Entity resolution is the wall-clock time dbt spent on its models: two run side by
    side by dbt's threads count once, so the rest of the build never goes negative."""
    outcome = RunOutcome(run_id="r", success=True, seconds=10.0, log_path="-",
                         step_seconds={"load_sources": 2.0, "raw_land__thua_dat_checksum": 0.5,
                                       DBT_STEP: 6.0, "marts__published": 1.0},
                         entity_resolution_intervals=[(100.0, 102.0), (101.0, 103.0),
                                                      (101.5, 102.5), (104.0, 105.0)])
    assert outcome.phase_seconds == {"ingest": 2.5, "build": 2.0, ENTITY_RESOLUTION: 4.0,
                                     "publish": 1.0}


def test_the_sensor_asks_for_a_run_once_a_source_has_new_rows(deployment, monkeypatch):
    for name, value in deployment.env.items():
        if name.startswith("KHO_"):
            monkeypatch.setenv(name, value)
    sensor = build_sensor("materialize_all", load_settings())

    def evaluate():
        with dg.build_sensor_context(resources={"warehouse": WarehouseResource()}) as context:
            return sensor(context)

    assert isinstance(evaluate(), dg.SkipReason)  # everything loaded is published
    source_execute(deployment, "civil_registry",
                   "update khai_tu set thoi_diem_cap_nhat = now() where so_dang_ky = "
                   "(select min(so_dang_ky) from khai_tu)")
    request = evaluate()
    assert isinstance(request, dg.RunRequest)
    assert request.tags["kho/triggered_by"] == "new rows in raw_civil_registry.khai_tu"
    assert evaluate().run_key == request.run_key  # one run asked for one state
    # Loaded but not built (the fallback schedule's job): a run is asked for that.
    deployment.kho("materialize", "--ingest-only")
    loaded = evaluate()
    assert isinstance(loaded, dg.RunRequest) and loaded.run_key != request.run_key
    assert loaded.tags["kho/triggered_by"] == "1 unpublished loads"


def test_every_raw_source_names_the_key_its_contract_loads_by():
    """The staging models replace and delete rows by the key the dbt source's meta names."""
    keys = {}
    for path in (DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            for table in source["tables"]:
                keys[(source["name"], table["name"])] = table.get("config", {}).get(
                    "meta", {}).get("key")
    assert {k: v for k, v in keys.items() if k[0].startswith("raw_")} == {
        (c.raw_schema, c.table): c.key for c in CONTRACTS}


def test_reference_data_is_reloaded_only_when_its_version_changes(deployment):
    loaded_at = query(deployment, "select loaded_at from reference.versions")
    assert len(loaded_at) == 1
    assert not load_reference(deployment.url).reloaded
    assert query(deployment, "select loaded_at from reference.versions") == loaded_at
    # Tables changed behind kho's back hold another version: reloaded.
    query(deployment, "delete from reference.admin_unit_crosswalk where ctid in "
                      "(select ctid from reference.admin_unit_crosswalk limit 3)")
    again = load_reference(deployment.url)
    assert again.reloaded
    assert query(deployment, "select count(*) from reference.admin_unit_crosswalk")[0][0] == \
        again.row_counts["admin_unit_crosswalk"]
    assert load_reference(deployment.url, force=True).reloaded


def match_weights(deployment) -> list[tuple]:
    return query(deployment, "select * from entity_resolution.int_persons__match_weights "
                             "order by comparison, level")


def test_an_incremental_run_gives_what_a_full_rebuild_from_raw_gives(deployment):
    """With the match weights the first build estimated: both kept them."""
    births_table = relation_oid(deployment, STAGED_BIRTHS)
    resolved_tables = [relation_oid(deployment, table) for table in RESOLVED_INCREMENTALLY]
    analyses = analyze_counts(deployment, RESOLVED_INCREMENTALLY)
    assert all(analyses.values())  # built in full by the first run: analysed
    weights = match_weights(deployment)
    assert len(weights) > 10
    deployment.kho("sources", "advance", "--days", "3")
    # And deletes, beside the day's cancelled duplicates: a birth registration and a
    # civil servant's assignment, each named by the marts.
    birth = source_execute(deployment, "civil_registry",
                           "delete from khai_sinh where so_dang_ky = (select min(so_dang_ky) "
                           "from khai_sinh) returning so_dang_ky")[0][0]
    assignment = source_execute(deployment, "cadre",
                                "delete from qua_trinh_cong_tac where id = (select max(id) "
                                "from qua_trinh_cong_tac) returning id")[0][0]
    assert query(deployment, "select count(*) from marts.xref_person where source_table = "
                             "'khai_sinh' and source_record_key = %s", (birth,))[0][0] >= 1
    # And a land holder's ID number corrected to another holder's (the mention leaves one
    # identity for another: both are judged again), and an enterprise whose representative
    # is no longer given (its person mention is gone, the record is not).
    holder, other_number = source_execute(
        deployment, "land",
        "select a.id, b.so_giay_to from chu_su_dung as a, chu_su_dung as b "
        "where a.loai_chu = 'CN' and b.loai_chu = 'CN' and a.so_giay_to ~ '^[0-9]{12}$' "
        "and b.so_giay_to ~ '^[0-9]{12}$' and a.so_giay_to <> b.so_giay_to "
        "order by a.id, b.id limit 1")[0]
    source_execute(deployment, "land", "update chu_su_dung set so_giay_to = %s, "
                                       "ngay_cap_nhat = now() where id = %s",
                   (other_number, holder))
    unrepresented = source_execute(
        deployment, "enterprise",
        "update enterprises set legal_rep_name = null, legal_rep_id_no = null, "
        "legal_rep_dob = null, updated_at = now() where enterprise_code = (select "
        "min(enterprise_code) from enterprises where legal_rep_name is not null) "
        "returning enterprise_code")[0][0]
    # And a parcel surveyed again, a tenth smaller: its communes' outlines are derived again.
    parcel, boundary = source_execute(deployment, "land", "select id, ranh_gioi from thua_dat "
                                                          "order by id limit 1")[0]
    smaller = shapely.affinity.scale(shapely.from_wkt(boundary), 0.9, 0.9, origin="centroid")
    source_execute(deployment, "land", "update thua_dat set ranh_gioi = %s, ngay_cap_nhat = "
                                       "now() where id = %s",
                   (cadastre.wkt_polygon(list(smaller.exterior.coords)), parcel))

    output = deployment.kho("materialize").stdout
    assert "materialized marts/published" in output
    # Only the communes whose parcels changed (the moved parcel's two, current and legacy,
    # among them) were derived again; the others kept the outline published before.
    communes = query(deployment, "select 'current:commune:' || current_commune_code, "
                                 "'legacy:commune:' || legacy_commune_code from "
                                 "marts.dim_land_parcel where land_parcel_source_id = %s",
                     (str(parcel),))[0]
    outlined = dict(query(deployment, "select admin_unit_id, outline_parcels_digest from "
                                      "marts_previous.dim_admin_unit where outline_source = "
                                      "'parcels'"))
    now = dict(query(deployment, "select admin_unit_id, outline_parcels_digest from "
                                 "marts.dim_admin_unit where outline_source = 'parcels'"))
    changed = {unit for unit in now if now[unit] != outlined.get(unit)}
    assert set(communes) <= changed
    home = deployment.kho("pipelines", "home").stdout.strip()
    with DagsterInstance.from_config(home) as instance:
        metadata = instance.get_latest_materialization_event(dg.AssetKey(
            ["marts", "admin_unit_outlines"])).asset_materialization.metadata
    assert (metadata["derived"].value, metadata["kept"].value) == (len(changed),
                                                                   len(now) - len(changed))
    # The staging tables were built incrementally: the same tables, rows added and removed;
    # and so were the entity-resolution models that can be.
    assert relation_oid(deployment, STAGED_BIRTHS) == births_table
    assert [relation_oid(deployment, t) for t in RESOLVED_INCREMENTALLY] == resolved_tables
    # A few rows changed in each: none was sampled again.
    assert analyze_counts(deployment, RESOLVED_INCREMENTALLY) == analyses
    # Deletes reach the staging models and the marts.
    assert query(deployment, f"select count(*) from {STAGED_BIRTHS} "
                             "where _source_key = %s", (birth,)) == [(0,)]
    assert query(deployment, "select count(*) from marts.xref_person where source_table = "
                             "'khai_sinh' and source_record_key = %s", (birth,)) == [(0,)]
    assert query(deployment, "select count(*) from marts.fct_civil_event where event_type = "
                             "'birth' and registration_number = %s", (birth,)) == [(0,)]
    assert query(deployment, "select count(*) from marts.fct_employment "
                             "where assignment_source_id = %s", (assignment,)) == [(0,)]
    assert query(deployment, "select count(*) from intermediate.int_persons__identities as i "
                             "join intermediate.int_persons__mentions as m "
                             "using (person_mention_id) where m.source_table = 'chu_su_dung' "
                             "and m.source_record_key = %s and i.mention_identity_key = %s",
                 (str(holder), f"personal_id:{other_number}")) == [(1,)]
    assert query(deployment, "select count(*) from marts.xref_person where source_table = "
                             "'enterprises' and source_record_key = %s",
                 (unrepresented,)) == [(0,)]
    incremental_marts, incremental_staging = served(deployment), staging(deployment)
    incremental_resolved = rows_of(deployment, RESOLVED_INCREMENTALLY)
    assert match_weights(deployment) == weights

    # A full rebuild from raw: the dbt-built layers dropped, every model built in full.
    with psycopg.connect(deployment.url, autocommit=True) as conn:
        for schema in ("staging", "intermediate"):
            conn.execute(f"drop schema {schema} cascade")
    output = deployment.kho("materialize", "--full-refresh").stdout
    assert "materialized marts/published" in output
    assert relation_oid(deployment, STAGED_BIRTHS) != births_table
    assert staging(deployment) == incremental_staging
    assert rows_of(deployment, RESOLVED_INCREMENTALLY) == incremental_resolved
    rebuilt = served(deployment)
    assert match_weights(deployment) == weights
    assert rebuilt.keys() == incremental_marts.keys()
    for table in rebuilt:
        assert rebuilt[table] == incremental_marts[table], table


def test_a_failing_test_in_an_incremental_run_publishes_nothing(deployment):
    """Nor does a build that starts from a parse made for another command: kho builds from
    its own cache of its builds' parse, never dbt's, and should that hold one whose marts
    are in the published schema, the build stops before writing anything and the next
    parses in full."""
    births_table = relation_oid(deployment, STAGED_BIRTHS)
    before, publication = served(deployment), latest_publication(deployment)
    parcel, holder = source_execute(deployment, "land", """
        select thua_dat_id, chu_su_dung_id from quyen_su_dung
        where den_ngay is null and ty_le = 1 order by id limit 1""")[0]
    # Beside a visible change, a row every contract accepts but a mart's test forbids: a
    # second current right taking the parcel's shares above 1.
    source_execute(deployment, "land", "update thua_dat set dien_tich = dien_tich + 1000, "
                                       "ngay_cap_nhat = now() where id = %s", (parcel,))
    planted = source_execute(deployment, "land", """
        insert into quyen_su_dung (id, thua_dat_id, chu_su_dung_id, ty_le, tu_ngay,
                                   ngay_cap_nhat)
        select max(id) + 1, %s, %s, 0.5, date '2020-01-01', now() from quyen_su_dung
        returning id""", (parcel, holder))[0][0]
    # dbt's parse cache of a parse with this warehouse's own profile (an operator's `dbt
    # parse`, or kho's where the profile's defaults are the warehouse's): parsed outside a
    # build, its marts are in the published schema, and a build that used it would write
    # them there, past the tests. It is planted in dbt's target folder, and first in kho's
    # own cache of its builds.
    parsed = run_dbt(deployment.url, deployment.home / "dbt-parse", "parse")
    assert parsed.returncode == 0, parsed.stdout
    kho_cache = BuildParseCache.of(deployment.url)
    assert kho_cache.path.is_file()  # the earlier builds kept theirs
    for cache in (kho_cache.path, DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"):
        shutil.copy(deployment.home / "dbt-parse" / "partial_parse.msgpack", f"{cache}.tmp")
        os.replace(f"{cache}.tmp", cache)

    stopped = subprocess.run([sys.executable, "-m", "kho.cli", "materialize"],
                             env=deployment.env, capture_output=True, text=True, timeout=900)
    assert stopped.returncode != 0
    assert "parsed for another command" in stopped.stdout + stopped.stderr
    assert not kho_cache.path.exists()
    assert latest_publication(deployment) == publication
    assert served(deployment) == before

    failed = subprocess.run([sys.executable, "-m", "kho.cli", "materialize"],
                            env=deployment.env, capture_output=True, text=True, timeout=900)
    assert failed.returncode != 0
    assert "assert_parcel_shares_sum_to_at_most_one" in failed.stderr, failed.stderr
    assert "Partial parsing not enabled" in build_log(failed.stdout)
    assert relation_oid(deployment, STAGED_BIRTHS) == births_table  # it was incremental
    assert latest_publication(deployment) == publication
    assert served(deployment) == before

    source_execute(deployment, "land", "delete from quyen_su_dung where id = %s", (planted,))
    # And (the next build being a good one) the match weights were estimated with other
    # SQL than this release's: that build estimates them again.
    [(estimated,)] = query(deployment, "select distinct estimated_at from "
                                       "entity_resolution.int_persons__match_weights")
    incremental.record_basis(deployment.url, "another release", incremental.WEIGHTS_BASIS_NAME)
    output = deployment.kho("materialize").stdout
    assert "materialized marts/published" in output
    assert "Partial parsing enabled" in build_log(output)  # the failed build's, kept
    assert query(deployment, "select count(*) from entity_resolution.int_persons__match_weights"
                             " where estimated_at > %s", (estimated,))[0][0] > 10
    assert incremental.reestimate_weights_reason(
        deployment.url, incremental.weights_basis_digest(deployment.url)) is None
    assert latest_publication(deployment) != publication
    assert query(deployment, "select count(*) from staging.stg_land__land_rights "
                             "where land_right_source_id = %s", (planted,)) == [(0,)]


def build_log(output: str) -> str:
    """dbt's log of the build of the ``kho materialize`` that printed ``output``."""
    run_id = re.search(r"\(run ([0-9a-f-]{36})\)", output).group(1)
    [folder] = (DBT_PROJECT_DIR / "target").glob(f"{BUILD_TARGET_PREFIX}*-{run_id[:8]}")
    return (folder / "dbt.log").read_text()


def test_a_changed_basis_makes_the_next_build_a_full_one(deployment):
    """Last: it leaves the warehouse on another basis."""
    basis = incremental.basis_digest(deployment.url)
    assert incremental.full_build_reason(deployment.url, False, basis) is None
    assert "full refresh" in incremental.full_build_reason(deployment.url, True, basis)
    query(deployment, "update reference.versions set content_sha256 = 'another version'")
    changed = incremental.basis_digest(deployment.url)
    assert changed != basis
    assert "changed since the last build" in incremental.full_build_reason(
        deployment.url, False, changed)
    # A raw table made anew (dropped and loaded again) is another basis too.
    weights_basis = incremental.weights_basis_digest(deployment.url)
    query(deployment, "create table raw_cadre.dm_co_quan_copy as table raw_cadre.dm_co_quan")
    assert incremental.basis_digest(deployment.url) != changed
    # But not for the match weights, which new reference data does make estimated again.
    assert incremental.weights_basis_digest(deployment.url) == weights_basis
    assert "reference data" in incremental.reestimate_weights_reason(
        deployment.url, weights_basis)
