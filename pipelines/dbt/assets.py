"""dbt models as Dagster assets; ``dbt build`` so that dbt tests arrive as asset checks.

The marts are built aside (``marts_build``) and published by the ``marts/published`` asset,
which runs only after a build in which every model, snapshot, seed and error-severity test
succeeded (see ``pipelines.dbt.publish``). Its materializations show which build the API
serves. Between the two, ``marts/admin_unit_outlines`` derives the communes' outlines from
their parcels into the build (``pipelines.dbt.outlines``).
"""

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import time
from collections.abc import Collection, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets, get_asset_key_for_model
from packaging import version

from kho import db
from kho.settings import DBT_PROJECT_DIR
from pipelines.dbt import incremental
from pipelines.dbt.outlines import derive_outlines
from pipelines.dbt.project import dbt_executable, dbt_project
from pipelines.dbt.publish import BUILD_SCHEMA, mart_models, publish
from pipelines.resources import IngestResource, WarehouseResource

OUTLINES = dg.AssetKey(["marts", "admin_unit_outlines"])


class KhoDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layout: models ``staging_<source>``, ``intermediate_<area>``,
    ``marts_<area>``; the seeds (code lists) ``reference``, beside the administrative units;
    the snapshots ``snapshots``; a source its source name (``raw_land``, ``master_data``),
    the group of the assets that load it."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props.get("resource_type")
        fqn = dbt_resource_props.get("fqn", [])
        if resource_type == "model" and len(fqn) >= 3:
            return f"{fqn[1]}_{fqn[2]}"
        if resource_type == "seed":
            return "reference"
        if resource_type == "snapshot":
            return "snapshots"
        if resource_type == "source":
            return dbt_resource_props["source_name"]
        return super().get_group_name(dbt_resource_props)


# What a build leaves in dbt's target folder (its manifest, run results and log: about
# 12 MB): the latest are kept, failed or not, for looking into; older ones are removed.
BUILD_TARGET_PREFIX = "kho-build-"
KEEP_BUILD_TARGETS = 10
OLD_BUILD_TARGETS = "kho_dbt_models-*"  # the folders dagster-dbt named kho's builds, before
UNUSED_PARSE_CACHE_DAYS = 7  # a warehouse's parse cache no build used for as long goes


def build_target(run_id: str) -> Path:
    """A folder of its own for one build's artefacts, under dbt's target folder, named
    from the time in UTC (so that names sort as the builds ran)."""
    return (DBT_PROJECT_DIR / "target"
            / f"{BUILD_TARGET_PREFIX}{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
              f"-{run_id[:8]}")


def prune_build_targets(directory: Path, keep: int = KEEP_BUILD_TARGETS) -> list[Path]:
    """Remove all but the ``keep`` latest builds' folders (by name: they start with the
    time) and those of builds before kho named them; what was removed. Other folders (an
    operator's own dbt commands) stay."""
    builds = sorted(path for path in directory.glob(f"{BUILD_TARGET_PREFIX}*")
                    if path.is_dir())
    removed = [*directory.glob(OLD_BUILD_TARGETS), *(builds[:-keep] if keep else builds)]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    unused = time.time() - UNUSED_PARSE_CACHE_DAYS * 86_400
    for cache in directory.glob(BuildParseCache.PATTERN):
        with contextlib.suppress(FileNotFoundError):
            if cache.stat().st_mtime < unused:
                cache.unlink()
                removed.append(cache)
    return removed


class BuildParseCache:
    """dbt's parse cache (``partial_parse.msgpack``) of kho's builds, kept apart from the
    one dbt keeps in its target folder. The marts' schema (marts_build) is decided when the
    project is parsed, for the command parsing it: a cache left by a command that only
    reads (the manifest's ``dbt parse``, an operator's ``dbt docs generate``) puts the marts
    in the published schema, and a build that used it would write them there, past the
    tests. So a build starts only from the cache of an earlier build (dbt itself parses
    again what changed since: files, profile, variables, its version), or parses in full;
    the project's on-run-start checks the schema either way
    (``assert_marts_in_build_schema``). It saves a full parse (seconds) on every run."""

    NAME = "partial_parse.msgpack"
    PATTERN = "kho_build_parse-*.msgpack"

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def of(cls, warehouse_url: str) -> "BuildParseCache":
        """The cache of the builds of one warehouse (installations sharing the project's
        folder, with profiles of their own, would otherwise parse in full each time)."""
        key = hashlib.sha256(warehouse_url.encode()).hexdigest()[:16]
        return cls(DBT_PROJECT_DIR / "target" / cls.PATTERN.replace("*", key))

    def restore(self, target: Path) -> bool:
        """Put the cache where the build in ``target`` reads it; False if there is none
        (the build then parses in full, and ignores dbt's own cache)."""
        if not self.path.is_file():
            return False
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, target / self.NAME)
        return True

    def keep(self, target: Path) -> None:
        """Keep the cache the build in ``target`` wrote, if its manifest puts every mart
        in the build schema (a build stopped by a stale cache left one that does not);
        replaced whole, never half written: several installations can share a project
        folder."""
        written = target / self.NAME
        if not written.is_file() or not marts_in_build_schema(target / "manifest.json"):
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        shutil.copyfile(written, partial)
        os.replace(partial, self.path)


def marts_in_build_schema(manifest_path: Path) -> bool:
    """Whether the manifest dbt wrote puts every mart in the build schema (and has any)."""
    try:
        nodes = json.loads(manifest_path.read_bytes())["nodes"].values()
    except (OSError, ValueError, KeyError):
        return False
    schemas = {node["schema"] for node in nodes
               if node["resource_type"] == "model" and node["fqn"][1] == "marts"}
    return schemas == {BUILD_SCHEMA}


class DbtBuildFailed(Exception):
    """``dbt build`` ended with errors; the message names each node that failed."""


def describe_build_failure(run_results: Mapping[str, Any], log_path: str) -> str | None:
    """One line naming each model, seed, snapshot or error-severity test that failed, with
    dbt's message, from the build's ``run_results.json``; None if it names none (dbt
    stopped before running anything)."""
    failed = [f"{r['unique_id'].split('.')[0]} {r['unique_id'].split('.')[2]} ("
              + " ".join((r.get("message") or r["status"]).split()) + ")"
              for r in run_results.get("results", [])
              if r.get("status") in ("error", "fail", "runtime error")]
    if not failed:
        return None
    return f"dbt build failed: {'; '.join(failed)}; dbt's log: {log_path}"


def build_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project,
                dagster_dbt_translator=KhoDbtTranslator())
    def kho_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                       warehouse: WarehouseResource, ingest: IngestResource):
        warehouse.export_dbt_environment()
        url = warehouse.url()
        basis = incremental.basis_digest(url)
        reason = incremental.full_build_reason(url, ingest.full_refresh, basis)
        if reason is not None:
            context.log.info(f"dbt builds every model in full: {reason}")
            incremental.forget_basis(url)
        else:
            context.log.info("dbt builds the incremental models from the rows loaded since "
                             "the last build")
        weights_basis = incremental.weights_basis_digest(url)
        reestimate = incremental.reestimate_weights_reason(url, weights_basis)
        if reestimate is not None:
            context.log.info(f"dbt estimates the match weights again: {reestimate}")
            incremental.drop_weights(url)
        target = build_target(context.run.run_id)
        parse_cache = BuildParseCache.of(url)
        cached = parse_cache.restore(target)
        build = dbt.cli(["build", *([] if cached else ["--no-partial-parse"]),
                         *(["--full-refresh"] if reason else [])], context=context,
                        target_path=target, raise_on_error=False)
        try:
            yield from build.stream()
        finally:
            parse_cache.keep(target)
            prune_build_targets(target.parent)
        error = build.get_error()
        if error is None:
            incremental.record_basis(url, basis)
            incremental.record_basis(url, weights_basis, incremental.WEIGHTS_BASIS_NAME)
            return
        try:
            failure = describe_build_failure(build.get_artifact("run_results.json"),
                                             str(build.target_path / "dbt.log"))
        except FileNotFoundError:
            failure = None
        if failure is None:
            raise error
        raise DbtBuildFailed(failure) from error

    return kho_dbt_models


def build_outlines_asset(dbt_models: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=OUTLINES,
        group_name="marts",
        kinds={"postgres", "shapely"},
        deps=[get_asset_key_for_model([dbt_models], name)
              for name in ("dim_land_parcel", "dim_admin_unit")],
        description="Derives each commune's outline from its parcels (where the boundary "
                    "file gives none) into the build's dim_admin_unit, before publication; "
                    "only the communes whose parcels changed are derived again.",
    )
    def admin_unit_outlines(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        with db.connect(warehouse.url()) as conn:
            figures = derive_outlines(conn)
        context.log.info(f"communes' outlines: {figures.derived} derived from their parcels, "
                         f"{figures.kept} unchanged, {figures.from_boundary_file} from the "
                         f"boundary file")
        return dg.MaterializeResult(metadata={
            "derived": figures.derived, "kept": figures.kept,
            "from_boundary_file": figures.from_boundary_file, "seconds": figures.seconds})

    return admin_unit_outlines


def build_publish_asset(dbt_models: dg.AssetsDefinition) -> dg.AssetsDefinition:
    marts = mart_models(json.loads(dbt_project().manifest_path.read_text()))

    @dg.asset(
        key=["marts", "published"],
        group_name="marts",
        kinds={"postgres"},
        deps=[*(get_asset_key_for_model([dbt_models], name) for name in marts), OUTLINES],
        description="Publishes the tested build of every mart (schema marts_build) as schema "
                    "marts in one transaction; the API reads marts only.",
    )
    def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        publication = publish(warehouse.url(), marts)
        context.log.info(f"published dbt build {publication.invocation_id}; change feed: "
                         f"{publication.changes.note or publication.changes.events}")
        return dg.MaterializeResult(metadata={
            "dbt_invocation_id": publication.invocation_id,
            "build_finished_at": dg.TimestampMetadataValue(
                publication.build_finished_at.timestamp()),
            "published_at": dg.TimestampMetadataValue(publication.published_at.timestamp()),
            "publication_id": publication.publication_id,
            "change_feed_seconds": round(publication.changes.seconds, 3),
            **{f"change_events_{kind}": n for kind, n in publication.changes.events.items()},
            **{f"quality_issues_{name}": n
               for name, n in vars(publication.quality_issues).items()},
            **{f"rows_{mart}": count for mart, count in publication.row_counts.items()},
        })

    return published_marts


def build_source_specs(loaded_elsewhere: Collection[dg.AssetKey]) -> list[dg.AssetSpec]:
    """The dbt sources no Dagster asset writes, as external assets in their source's group:
    tables kho keeps across builds that something else writes (``master_data.
    person_link_reviews`` by ``kho review``), which the UI would otherwise leave ungrouped."""
    project = dbt_project()
    manifest = json.loads(project.manifest_path.read_text())
    translator = KhoDbtTranslator()
    specs = []
    for unique_id in sorted(manifest["sources"]):
        spec = translator.get_asset_spec(manifest, unique_id, project)
        if spec.key in loaded_elsewhere:
            continue
        specs.append(dg.AssetSpec(
            spec.key, group_name=spec.group_name, description=spec.description,
            kinds={"postgres"},
            metadata={"dagster/table_name": spec.metadata.get("dagster/table_name")}))
    return specs


class KhoDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, running the dbt installed beside kho and told its version by
    the installed package. dagster-dbt would run ``dbt --version`` before every build,
    which asks PyPI for dbt's latest release: two web requests from the data centre on
    every run (none may leave it) and 3 s."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def build_defs() -> dg.Definitions:
    project = dbt_project()
    dbt_models = build_dbt_assets()
    return dg.Definitions(
        assets=[dbt_models, build_outlines_asset(dbt_models), build_publish_asset(dbt_models)],
        resources={"dbt": KhoDbtCliResource(project_dir=project,
                                            dbt_executable=dbt_executable())},
    )
