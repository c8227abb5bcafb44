"""One extract-and-load asset per agency table, built from its contract, with its
reconciliation checks; every table loads in one step, side by side with the others.

Each load checks itself (checks inside the asset, evaluated on figures read in the load's
own transaction): ``batch_reconciles`` (rows extracted = rows loaded + rows quarantined, and
the raw rows stamped with the batch = rows inserted + updated) and
``row_count_matches_source`` (the source's row count, in the snapshot the load read, = the
rows the warehouse accounts for). ``checksum_matches_source`` is a separate check that
lists every key and watermark of the source and digests both sides; the daily full job runs
it, the frequent incremental job leaves it out to stay fast.
"""

import dagster as dg

from pipelines.resources import IngestResource, WarehouseResource
from pipelines.sources.contracts import CONTRACTS, TableContract
from pipelines.sources.extract_load import LoadResult, compare_versions, load_tables
from pipelines.sources.readers import SourceUnavailable, describe_unavailable

BATCH_CHECK = "batch_reconciles"
COUNT_CHECK = "row_count_matches_source"
CHECKSUM_CHECK = "checksum_matches_source"


def raw_asset_key(contract: TableContract) -> dg.AssetKey:
    return dg.AssetKey([contract.raw_schema, contract.table])


def _metadata(result: LoadResult) -> dict:
    return {
        "batch_id": result.batch_id,
        "mode": result.mode,
        "attempt": result.attempt,
        "watermark_from": str(result.watermark_from),
        "watermark_to": str(result.watermark_to),
        "keys_reconciled": result.keys_reconciled,
        "rows_extracted": result.rows_extracted,
        "rows_inserted": result.rows_inserted,
        "rows_updated": result.rows_updated,
        "rows_unchanged": result.rows_unchanged,
        "rows_quarantined": result.rows_quarantined,
        "rows_released": result.rows_released,
        "rows_deleted": result.rows_deleted,
        "source_rows": result.source_rows,
        "duration_seconds": round(result.seconds, 3),
    }


def reconciliation_results(result: LoadResult) -> list[dg.AssetCheckResult]:
    """The load's own checks, from figures measured independently inside its transaction."""
    key = raw_asset_key(result.contract)
    accounted = result.rows_valid + result.rows_quarantined
    stamped_expected = result.rows_inserted + result.rows_updated
    return [
        dg.AssetCheckResult(
            asset_key=key, check_name=BATCH_CHECK,
            passed=(accounted == result.rows_extracted
                    and result.stamped_rows == stamped_expected),
            metadata={"rows_extracted": result.rows_extracted, "rows_loaded": result.rows_valid,
                      "rows_quarantined": result.rows_quarantined,
                      "raw_rows_stamped": result.stamped_rows,
                      "rows_inserted_or_updated": stamped_expected}),
        dg.AssetCheckResult(
            asset_key=key, check_name=COUNT_CHECK,
            passed=result.source_rows == result.warehouse_rows,
            metadata={"source_rows": result.source_rows,
                      "warehouse_rows": result.warehouse_rows}),
    ]


class IngestFailed(Exception):
    """More than one table failed to load; the message names each, and tells what stopped
    several of them (a source down, the warehouse refusing) once."""


def describe_failures(failures: list[tuple[TableContract, BaseException]]) -> str:
    """The failures grouped by cause, in the order they came: a source that is down stops
    all its tables with one error, said once with the tables it stopped."""
    groups: dict[tuple, list[tuple[TableContract, BaseException]]] = {}
    for contract, err in failures:
        key = ((err.source, err.url, err.doing, err.cause) if isinstance(err, SourceUnavailable)
               else (type(err).__name__, str(err)))
        groups.setdefault(key, []).append((contract, err))
    sentences = []
    for group in groups.values():
        first = group[0][1]
        if isinstance(first, SourceUnavailable):
            sentences.append(describe_unavailable([err for _, err in group]))
        else:
            tables = ", ".join(contract.raw_table for contract, _ in group)
            sentences.append(f"{tables}: {first}")
    return f"{len(failures)} tables did not load: " + "; ".join(sentences)


def build_raw_tables_asset(contracts: list[TableContract]) -> dg.AssetsDefinition:
    """One step loads every agency table, side by side (``load_tables``: in
    ``KHO_LOAD_CONCURRENCY`` worker processes, default one per core, longest loads first),
    whichever executor runs the job. Each table is still an asset of its own, with its
    checks; it can be materialized alone, and fails alone: the others still load, then the
    step fails naming what did not."""
    specs = [
        dg.AssetSpec(
            key=raw_asset_key(c), group_name=c.raw_schema, kinds={"postgres"},
            tags={"kho/source": c.source},
            description=(f"`{c.table}` of the {c.source} system, validated against its "
                         f"contract and landed as text in `{c.raw_table}` (upserted by "
                         f"`{c.key}`, incremental on `{c.watermark}`); rows that break the "
                         "contract go to `quarantine.rows`."))
        for c in contracts]
    check_specs = [
        spec for c in contracts for spec in (
            dg.AssetCheckSpec(BATCH_CHECK, asset=raw_asset_key(c), description=(
                "Rows extracted = rows loaded + rows quarantined in this batch, and the raw "
                "rows stamped with the batch = rows inserted + updated.")),
            dg.AssetCheckSpec(COUNT_CHECK, asset=raw_asset_key(c), description=(
                "The source's row count (same snapshot as the load) = live raw rows + "
                "quarantined rows.")),
        )]

    @dg.multi_asset(name="load_sources", specs=specs, check_specs=check_specs,
                    can_subset=True)
    def _load_sources(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                      ingest: IngestResource):
        url = warehouse.url()
        tables = [(c, warehouse.source_url(c.source, url)) for c in contracts
                  if raw_asset_key(c) in context.selected_asset_keys]
        checks = context.selected_asset_check_keys
        failures: list[tuple[TableContract, BaseException]] = []
        for contract, result in load_tables(url, tables, ingest.settings(),
                                            run_id=context.run_id, log=context.log.warning):
            if isinstance(result, BaseException):  # the others still load; raised below
                context.log.error(f"{contract.raw_table}: {result}")
                failures.append((contract, result))
                continue
            context.log.info(
                f"{contract.raw_table} ({result.mode}): {result.rows_extracted} extracted, "
                f"{result.rows_inserted} inserted, {result.rows_updated} updated, "
                f"{result.rows_unchanged} unchanged, {result.rows_quarantined} quarantined, "
                f"{result.rows_released} released, {result.rows_deleted} marked deleted")
            yield dg.MaterializeResult(asset_key=raw_asset_key(contract),
                                       metadata=_metadata(result))
            for check in reconciliation_results(result):
                if dg.AssetCheckKey(raw_asset_key(contract), check.check_name) in checks:
                    yield check
        if len(failures) == 1:
            raise failures[0][1]
        if failures:
            raise IngestFailed(describe_failures(failures)) from failures[0][1]

    return _load_sources


def build_checksum_check(contract: TableContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(contract), name=CHECKSUM_CHECK,
        description=("Every (key, watermark) of the source, digested, equals the same digest "
                     "over the warehouse's live raw rows and open quarantine."))
    def _checksum(warehouse: WarehouseResource, ingest: IngestResource) -> dg.AssetCheckResult:
        url = warehouse.url()
        figures = compare_versions(url, warehouse.source_url(contract.source, url), contract,
                                   ingest.settings())
        return dg.AssetCheckResult(
            passed=figures["source_digest"] == figures["warehouse_digest"]
            and figures["keys_differing"] == 0,
            metadata={k: str(v) if k.endswith("digest") else v for k, v in figures.items()})

    return _checksum


raw_table_assets = [build_raw_tables_asset(list(CONTRACTS))]
checksum_checks = [build_checksum_check(c) for c in CONTRACTS]

defs = dg.Definitions(assets=raw_table_assets, asset_checks=checksum_checks)
