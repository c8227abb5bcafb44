"""``new_source_data``: a run as soon as the sources hold rows the warehouse has not
published, rather than at the next tick of the clock.

Every ``SENSOR_INTERVAL_SECONDS`` it reads the ingest bookkeeping and asks for a run of
``materialize_all`` (incremental) when either

- a source table holds a row written after the watermark its last load recorded
  (``ingest.watermarks``; one ``exists`` query per table, the loads' own test, which an
  index on the source's update column answers at once), or
- a load changed rows (inserted, updated, marked deleted, released from quarantine) after
  the build the API serves started (``ingest.batches`` against ``kho_meta.publications``):
  what the ``frequent_incremental_ingest`` schedule, the fallback, loaded is then built
  and published.

A deleted source row changes no watermark: the fallback schedule's loads find it. The run
key names the watermarks and batches it saw, so a state is asked for once, and a run that
failed on it is not asked for again until something else changes (the schedules retry).
Like the schedules, the sensor is stopped unless ``KHO_SCHEDULES`` is on.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from kho import db
from kho.settings import Settings, load_settings
from pipelines.resources import WarehouseResource
from pipelines.sources.contracts import CONTRACTS
from pipelines.sources.readers import SourceUnavailable, open_reader

SENSOR_INTERVAL_SECONDS = 30
PROBE_TIMEOUT_SECONDS = 20.0


def unpublished_batches(warehouse_url: str) -> list[int]:
    """Loads that changed rows after the build the API serves started."""
    with db.connect(warehouse_url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("""
            select batch_id from ingest.batches
            where status = 'succeeded'
              and coalesce(rows_inserted, 0) + coalesce(rows_updated, 0)
                  + coalesce(rows_deleted, 0) + coalesce(rows_released, 0) > 0
              and finished_at > coalesce(
                  (select max(build_started_at) from kho_meta.publications), '-infinity')
            order by batch_id""")]


def watermarks(warehouse_url: str) -> dict[tuple[str, str], object]:
    with db.connect(warehouse_url, autocommit=True) as conn:
        return {(source, table): mark for source, table, mark in conn.execute(
            "select source, table_name, watermark from ingest.watermarks")}


def tables_with_new_rows(warehouse: WarehouseResource, warehouse_url: str,
                         marks: dict[tuple[str, str], object],
                         log: dg.DagsterLogManager | None = None) -> list[str]:
    """Raw tables whose source wrote rows after the recorded watermark (or that were never
    loaded); a source that does not answer is left to the next evaluation."""
    settings = load_settings()
    found = []
    for contract in CONTRACTS:
        mark = marks.get((contract.source, contract.table))
        if mark is None:
            found.append(contract.raw_table)
            continue
        try:
            with open_reader(warehouse.source_url(contract.source, warehouse_url), contract,
                             connect_timeout=settings.source_connect_timeout_seconds,
                             statement_timeout=PROBE_TIMEOUT_SECONDS) as reader:
                if reader.has_rows_after(mark):
                    found.append(contract.raw_table)
        except SourceUnavailable as err:
            if log is not None:
                log.warning(str(err))
    return found


def run_key(marks: dict[tuple[str, str], object], changed: list[str],
            batches: list[int]) -> str:
    state = {"watermarks": sorted((f"{s}.{t}", str(m)) for (s, t), m in marks.items()),
             "changed": changed, "batches": batches}
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:32]


def build_sensor(job_name: str, settings: Settings) -> dg.SensorDefinition:
    """The sensor, running from the start only with ``KHO_SCHEDULES`` on (``settings``)."""
    status = dg.DefaultSensorStatus.RUNNING if settings.schedules \
        else dg.DefaultSensorStatus.STOPPED

    @dg.sensor(name="new_source_data", job_name=job_name,
               minimum_interval_seconds=SENSOR_INTERVAL_SECONDS, default_status=status,
               description="Every 30 seconds: a run of materialize_all when a source holds "
                           "rows written after its table's watermark, or a load changed rows "
                           "the API does not serve yet.")
    def new_source_data(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        url = warehouse.url()
        marks = watermarks(url)
        changed = tables_with_new_rows(warehouse, url, marks, context.log)
        batches = unpublished_batches(url)
        if not changed and not batches:
            return dg.SkipReason("no source row past its watermark, no unpublished load")
        reason = ", ".join(filter(None, [
            f"new rows in {', '.join(changed)}" if changed else "",
            f"{len(batches)} unpublished loads" if batches else ""]))
        return dg.RunRequest(run_key=run_key(marks, changed, batches),
                             tags={"kho/triggered_by": reason[:200]})

    return new_source_data
