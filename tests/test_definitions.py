"""The Dagster code location loads without a warehouse, and shows what an operator expects:
the jobs, schedules and sensors by name, and every asset in a group named after the layout
(none left in Dagster's ``default``)."""

from __future__ import annotations

import os
import shutil
from types import SimpleNamespace

import dagster as dg
import psycopg
import pytest
from dagster_dbt import DbtProject

from kho import warehouse
from kho.settings import DBT_PROJECT_DIR
from pipelines.dbt import project as dbt_project_module

GROUPS = {
    "raw_land", "raw_enterprise", "raw_civil_registry", "raw_cadre",
    "reference", "snapshots",
    "staging_land", "staging_enterprise", "staging_civil_registry", "staging_cadre",
    "staging_reference",
    "intermediate_persons", "intermediate_organizations", "intermediate_land",
    "marts_persons", "marts_organizations", "marts_land", "marts_admin_units", "marts_cadre",
    "marts_civil_registry", "marts_master_data", "marts",
    "master_data",
}
JOBS = {"materialize_all", "ingest_incremental"}
SCHEDULES = {"daily_full_refresh": "materialize_all",
             "frequent_incremental_ingest": "ingest_incremental"}
SENSORS = {"run_failure_alert", "publication_freshness", "new_source_data"}


def _no_warehouse(*args, **kwargs):
    raise AssertionError("loading the definitions reached for a database")


@pytest.fixture(scope="module")
def definitions(tmp_path_factory) -> dg.Definitions:
    """The code location's Definitions, with dbt parsed into a target directory of this test's
    own and every way to a database closed."""
    target = tmp_path_factory.mktemp("dbt-target")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KHO_HOME", str(tmp_path_factory.mktemp("kho-home")))
        patch.setenv("KHO_WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:9/nowhere")
        patch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
        patch.setattr(psycopg, "connect", _no_warehouse)
        patch.setattr(warehouse, "ensure_warehouse", _no_warehouse)
        patch.setenv("PATH", os.environ.get("PATH", ""))  # restored after: dbt may join it

        def project_parsed_aside() -> DbtProject:
            dbt_project_module.ensure_dbt_on_path()
            return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR,
                              target_path=target)

        patch.setattr(dbt_project_module, "_project", project_parsed_aside)
        dbt_project_module.dbt_project.cache_clear()
        try:
            from pipelines.definitions import defs

            loaded = defs()
            loaded.resolve_asset_graph()  # a broken dependency raises here, not in the UI
            assert (target / "manifest.json").exists()
            yield loaded
        finally:
            dbt_project_module.dbt_project.cache_clear()


@pytest.fixture(scope="module")
def asset_graph(definitions):
    return definitions.resolve_asset_graph()


def _groups(asset_graph) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for key in asset_graph.get_all_asset_keys():
        groups.setdefault(asset_graph.get(key).group_name, set()).add(key.to_user_string())
    return groups


def test_jobs_schedules_and_sensors(definitions):
    jobs = {job.name for job in definitions.resolve_all_job_defs()
            if not job.name.startswith("__")}
    assert jobs == JOBS
    assert {s.name: s.job_name for s in definitions.schedules} == SCHEDULES
    assert {s.name for s in definitions.sensors or []} == SENSORS


def test_asset_groups(asset_graph):
    groups = _groups(asset_graph)
    assert "default" not in groups, f"assets without a group: {sorted(groups['default'])}"
    assert set(groups) == GROUPS


def test_dbt_seeds_snapshots_and_sources_sit_where_they_belong(asset_graph):
    groups = _groups(asset_graph)
    # The code lists (dbt seeds) beside the administrative units they decode with.
    assert {"reference_codes/land_use_codes", "reference_codes/source_agencies",
            "reference/admin_units"} <= groups["reference"]
    assert {"snapshots/snp_land__parcels",
            "snapshots/snp_enterprise__enterprises"} <= groups["snapshots"]
    # A dbt source that an ingestion asset loads is that asset, not a second node.
    assert "raw_land/thua_dat" in groups["raw_land"]
    assert asset_graph.get(dg.AssetKey(["raw_land", "thua_dat"])).is_materializable
    # What kho keeps across builds and something else writes: external, in master_data.
    assert {"master_data/master_ids", "master_data/person_links",
            "master_data/person_link_reviews"} <= groups["master_data"]
    reviews = asset_graph.get(dg.AssetKey(["master_data", "person_link_reviews"]))
    assert not reviews.is_materializable
    assert "kho review" in (reviews.description or "")


def test_jobs_select_what_they_say(definitions, asset_graph):
    materializable = {key for key in asset_graph.get_all_asset_keys()
                      if asset_graph.get(key).is_materializable}
    everything = definitions.resolve_job_def("materialize_all").asset_layer.selected_asset_keys
    assert set(everything) == materializable
    ingest = definitions.resolve_job_def("ingest_incremental").asset_layer.selected_asset_keys
    assert ingest and {key.path[0] for key in ingest} == {
        "raw_land", "raw_enterprise", "raw_civil_registry", "raw_cadre"}


def test_the_manifest_is_parsed_again_only_when_the_project_changed(tmp_path, monkeypatch):
    """Every kho materialize prepares the manifest; parsing takes seconds, so a manifest
    parsed from the same files is kept, and any change to them parses again."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    assert dbt_project_module.project_digest(copy) == dbt_project_module.project_digest()
    parsed = []

    class Preparer:
        def prepare(self, project) -> None:
            parsed.append(project)
            project.manifest_path.parent.mkdir(exist_ok=True)
            project.manifest_path.write_text("{}")

    project = SimpleNamespace(manifest_path=copy / "target" / "manifest.json",
                              preparer=Preparer())
    monkeypatch.setattr(dbt_project_module, "DBT_PROJECT_DIR", copy)
    monkeypatch.setattr(dbt_project_module, "_project", lambda: project)
    dbt_project_module.prepare_manifest()
    dbt_project_module.prepare_manifest()
    assert len(parsed) == 1
    model = copy / "models" / "marts" / "land" / "dim_land_parcel.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    dbt_project_module.prepare_manifest()
    dbt_project_module.prepare_manifest()
    assert len(parsed) == 2
    project.manifest_path.unlink()  # a manifest gone is parsed again whatever the digest
    dbt_project_module.prepare_manifest()
    assert len(parsed) == 3


def test_the_dbt_resource_asks_nobody_for_dbt_s_version(definitions, monkeypatch):
    """dagster-dbt's own resource runs ``dbt --version`` before each build, which asks PyPI
    for dbt's latest release: kho's is told the installed version, and runs the dbt
    installed beside kho."""
    import importlib.metadata
    import subprocess
    import sys
    from pathlib import Path

    def no_process(*args, **kwargs):
        raise AssertionError(f"the dbt resource ran a process: {args}")

    import dagster_dbt.core.resource

    monkeypatch.setattr(subprocess, "check_output", no_process)
    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_process)
    dbt = definitions.resources["dbt"]
    assert str(dbt._cli_version) == importlib.metadata.version("dbt-core")
    assert dbt.dbt_executable == str(Path(sys.executable).parent / "dbt")
