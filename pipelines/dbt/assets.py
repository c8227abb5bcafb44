"""dbt models as Dagster assets; ``dbt build`` so that dbt tests arrive as asset checks.

The marts are built aside (``marts_build``) and published by the ``marts/published`` asset,
which runs only after a build in which every model, snapshot, seed and error-severity test
succeeded (see ``pipelines.dbt.publish``). Its materializations show which build the API
serves. Between the two, ``marts/admin_unit_outlines`` derives the communes' outlines from
their parcels into the build (``pipelines.dbt.outlines``).
"""

import json
from collections.abc import Collection, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets, get_asset_key_for_model

from kho import db
from pipelines.dbt import incremental
from pipelines.dbt.outlines import derive_outlines
from pipelines.dbt.project import dbt_project
from pipelines.dbt.publish import mart_models, publish
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
        # Parsed anew, never from dbt's parse cache: the marts' schema (marts_build) is
        # decided when the project is parsed, for the command parsing it, and a cache left
        # by another command (the manifest's dbt parse, with the same profile) would build
        # the marts straight into the published schema.
        build = dbt.cli(["build", "--no-partial-parse",
                         *(["--full-refresh"] if reason else [])], context=context,
                        raise_on_error=False)
        yield from build.stream()
        error = build.get_error()
        if error is None:
            incremental.record_basis(url, basis)
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


def build_defs() -> dg.Definitions:
    project = dbt_project()
    dbt_models = build_dbt_assets()
    return dg.Definitions(
        assets=[dbt_models, build_outlines_asset(dbt_models), build_publish_asset(dbt_models)],
        resources={"dbt": DbtCliResource(project_dir=project)},
    )
