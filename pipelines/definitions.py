"""The kho code location: ``dagster dev`` from the repository root loads this module.

Jobs and schedules:

- ``materialize_all``: extract and load every agency table, load reference data, dbt build,
  with every check. ``kho materialize`` runs it (incremental; ``--full-refresh`` for all
  rows); the ``daily_full_refresh`` schedule runs it with ``full_refresh`` at 02:00
  Asia/Ho_Chi_Minh (``KHO_FULL_REFRESH_CRON``).
- ``ingest_incremental``: extract and load only what changed since each table's watermark,
  with the loads' own checks; the ``frequent_incremental_ingest`` schedule runs it every
  15 minutes (``KHO_INCREMENTAL_CRON``).

The ``new_source_data`` sensor (``sources/sensors.py``) runs ``materialize_all`` as soon as a
source holds rows past its watermark or a load changed rows the API does not serve yet;
the schedules are the fallback. The schedules and this sensor are stopped unless
``KHO_SCHEDULES`` is on; both jobs carry the tag the run queue limits to one run at a time
(:mod:`kho.dagster_instance`), and every run (an asset materialized from the UI too) holds
the warehouse while its steps run (:mod:`pipelines.warehouse_writer`).
Sensors (``monitoring/``): ``run_failure_alert`` and ``publication_freshness`` alert through
``KHO_ALERT_WEBHOOK_URL``.
"""

from __future__ import annotations

import dagster as dg

from kho import logs
from kho.dagster_instance import INGEST_INCREMENTAL_JOB, MATERIALIZE_ALL_JOB, WAREHOUSE_WRITER_TAG
from kho.settings import Settings, load_settings
from pipelines.dbt.assets import build_defs as build_dbt_defs
from pipelines.dbt.assets import build_source_specs as build_dbt_source_specs
from pipelines.master_data import assets as master_data_assets
from pipelines.monitoring import sensors as monitoring_sensors
from pipelines.reference import assets as reference_assets
from pipelines.resources import IngestResource, WarehouseResource
from pipelines.sources import assets as source_assets
from pipelines.sources.sensors import build_sensor as build_source_sensor
from pipelines.warehouse_writer import warehouse_writer_executor

TIMEZONE = "Asia/Ho_Chi_Minh"
# Both jobs write the warehouse: the run queue lets one of them run at a time.
WRITES_WAREHOUSE = dict([WAREHOUSE_WRITER_TAG])

materialize_all = dg.define_asset_job(
    MATERIALIZE_ALL_JOB,
    selection=dg.AssetSelection.all(),
    tags=WRITES_WAREHOUSE,
    description="Extract and load every agency table, load reference data, then dbt build.",
)

ingest_incremental = dg.define_asset_job(
    INGEST_INCREMENTAL_JOB,
    selection=dg.AssetSelection.assets(*source_assets.raw_table_assets)
    - dg.AssetSelection.checks(*source_assets.checksum_checks),
    tags=WRITES_WAREHOUSE,
    description="Extract and load what changed in every agency table since its watermark.",
)


def full_refresh_run_config() -> dict:
    return {"resources": {"ingest": {"config": {"full_refresh": True}}}}


def schedules(settings: Settings) -> list[dg.ScheduleDefinition]:
    """The two schedules, at the times the settings give; stopped unless KHO_SCHEDULES is
    on, so that a ``dagster dev`` or a new daemon writes to no warehouse by itself."""
    status = dg.DefaultScheduleStatus.RUNNING if settings.schedules \
        else dg.DefaultScheduleStatus.STOPPED
    return [
        dg.ScheduleDefinition(
            name="daily_full_refresh",
            job=materialize_all,
            cron_schedule=settings.full_refresh_cron,
            execution_timezone=TIMEZONE,
            run_config=full_refresh_run_config(),
            default_status=status,
            description="Every night: re-read every source in full (deletes reconciled, every "
                        "row compared), reference data, dbt build and all checks.",
        ),
        dg.ScheduleDefinition(
            name="frequent_incremental_ingest",
            job=ingest_incremental,
            cron_schedule=settings.incremental_cron,
            execution_timezone=TIMEZONE,
            default_status=status,
            description="Load what changed in the sources since the last run.",
        ),
    ]


def _asset_keys(definitions: dg.Definitions) -> set[dg.AssetKey]:
    keys: set[dg.AssetKey] = set()
    for asset in definitions.assets or []:
        keys.update(asset.keys if isinstance(asset, dg.AssetsDefinition) else [asset.key])
    return keys


@dg.definitions
def defs() -> dg.Definitions:
    logs.configure(load_settings(), whole_process=False)
    kho = dg.Definitions.merge(
        source_assets.defs,
        reference_assets.defs,
        build_dbt_defs(),
        master_data_assets.defs,
        monitoring_sensors.defs,
        dg.Definitions(jobs=[materialize_all, ingest_incremental],
                       executor=warehouse_writer_executor,
                       schedules=schedules(load_settings()),
                       sensors=[build_source_sensor(MATERIALIZE_ALL_JOB, load_settings())],
                       resources={"warehouse": WarehouseResource(),
                                  "ingest": IngestResource()}),
    )
    return dg.Definitions.merge(
        kho, dg.Definitions(assets=build_dbt_source_specs(_asset_keys(kho))))
