"""Reference data that comes with kho rather than from an agency: reloaded when its version
changes (its content's digest, the data version of both assets), and in a full refresh."""

import dagster as dg

from kho.settings import load_settings
from pipelines.reference.admin_units import load_reference
from pipelines.resources import IngestResource, WarehouseResource


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["reference", "admin_units"], group_name="reference", kinds={"postgres"},
                     description="Administrative units of both generations (pre-2025 province /"
                                 " district / commune, post-2025 province / commune)."),
        dg.AssetSpec(["reference", "admin_unit_crosswalk"], group_name="reference",
                     kinds={"postgres"},
                     description="Legacy commune -> current commune, effective 2025-07-01."),
        dg.AssetSpec(["reference", "admin_unit_boundaries"], group_name="reference",
                     kinds={"postgres"},
                     description="The units' outlines from the operator's boundary file "
                                 "(KHO_ADMIN_BOUNDARIES); none without one."),
    ],
)
def admin_unit_reference(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                         ingest: IngestResource):
    load = load_reference(warehouse.url(), force=ingest.full_refresh,
                          boundaries=load_settings().admin_boundaries)
    context.log.info(
        f"reference data {load.content_sha256[:12]} ({load.package_version}): "
        + ("reloaded" if load.reloaded else "already loaded, left alone"))
    for table, rows in load.row_counts.items():
        yield dg.MaterializeResult(
            asset_key=["reference", table], data_version=dg.DataVersion(load.content_sha256),
            metadata={"rows": rows, "reloaded": load.reloaded,
                      "package_version": load.package_version})


defs = dg.Definitions(assets=[admin_unit_reference])
