"""The kho code location: ``dagster dev`` from the repository root loads this module."""

from __future__ import annotations

import dagster as dg

from pipelines.dbt.assets import build_defs as build_dbt_defs
from pipelines.reference import assets as reference_assets
from pipelines.resources import WarehouseResource
from pipelines.sources import assets as source_assets

MATERIALIZE_ALL_JOB = "materialize_all"

materialize_all = dg.define_asset_job(
    MATERIALIZE_ALL_JOB,
    selection=dg.AssetSelection.all(),
    description="Extract and load every agency table, load reference data, then dbt build.",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        source_assets.defs,
        reference_assets.defs,
        build_dbt_defs(),
        dg.Definitions(jobs=[materialize_all], resources={"warehouse": WarehouseResource()}),
    )

