"""Reference data that comes with kho rather than from an agency."""

import dagster as dg

from pipelines.reference.admin_units import load_reference
from pipelines.resources import WarehouseResource


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["reference", "admin_units"], group_name="reference", kinds={"postgres"},
                     description="Administrative units of both generations (pre-2025 province /"
                                 " district / commune, post-2025 province / commune)."),
        dg.AssetSpec(["reference", "admin_unit_crosswalk"], group_name="reference",
                     kinds={"postgres"},
                     description="Legacy commune -> current commune, effective 2025-07-01."),
    ],
)
def admin_unit_reference(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    counts = load_reference(warehouse.url())
    for table, rows in counts.items():
        yield dg.MaterializeResult(asset_key=["reference", table], metadata={"rows": rows})


defs = dg.Definitions(assets=[admin_unit_reference])
