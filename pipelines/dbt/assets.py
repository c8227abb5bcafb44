"""dbt models as Dagster assets; ``dbt build`` so that dbt tests arrive as asset checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.dbt.project import dbt_project
from pipelines.resources import WarehouseResource


class KhoDbtTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layout: ``staging_<source>``, ``marts_<area>``."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) >= 3:
            return f"{fqn[1]}_{fqn[2]}"
        return super().get_group_name(dbt_resource_props)


def build_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(manifest=project.manifest_path, project=project,
                dagster_dbt_translator=KhoDbtTranslator())
    def kho_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                       warehouse: WarehouseResource):
        warehouse.export_dbt_environment()
        yield from dbt.cli(["build"], context=context).stream()

    return kho_dbt_models


def build_defs() -> dg.Definitions:
    project = dbt_project()
    return dg.Definitions(
        assets=[build_dbt_assets()],
        resources={"dbt": DbtCliResource(project_dir=project)},
    )
