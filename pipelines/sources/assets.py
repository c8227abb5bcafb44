"""One extract-and-load asset per agency table, built from its contract."""

import dagster as dg

from pipelines.resources import WarehouseResource
from pipelines.sources.contracts import CONTRACTS, TableContract
from pipelines.sources.extract_load import load_table


def raw_asset_key(contract: TableContract) -> dg.AssetKey:
    return dg.AssetKey([contract.raw_schema, contract.table])


def build_raw_table_asset(contract: TableContract) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(contract),
        group_name=contract.raw_schema,
        kinds={"postgres"},
        tags={"kho/source": contract.source},
        description=(f"`{contract.table}` of the {contract.source} system, landed as text in "
                     f"`{contract.raw_table}` with load metadata; upserted by `{contract.key}`."),
    )
    def _raw_table(context: dg.AssetExecutionContext,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
        url = warehouse.url()
        result = load_table(url, warehouse.source_url(contract.source, url), contract,
                            run_id=context.run_id)
        context.log.info(
            f"{contract.raw_table}: {result.rows_extracted} extracted, {result.rows_inserted} "
            f"inserted, {result.rows_updated} updated, {result.rows_unchanged} unchanged")
        return dg.MaterializeResult(metadata={
            "batch_id": result.batch_id,
            "rows_extracted": result.rows_extracted,
            "rows_inserted": result.rows_inserted,
            "rows_updated": result.rows_updated,
            "rows_unchanged": result.rows_unchanged,
            "duration_seconds": round(result.seconds, 3),
            "max_watermark": str(result.max_watermark),
        })

    return _raw_table


raw_table_assets = [build_raw_table_asset(c) for c in CONTRACTS]

defs = dg.Definitions(assets=raw_table_assets)
