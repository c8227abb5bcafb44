"""Resources shared by every area of the code location."""

from __future__ import annotations

import os

import dagster as dg

from kho import warehouse
from kho.settings import load_settings


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse and the agency sources, as kho's settings name them.

    With no ``KHO_WAREHOUSE_URL`` the embedded server is started on first use.
    """

    def url(self) -> str:
        return warehouse.ensure_warehouse(load_settings())

    def source_url(self, source: str, warehouse_url: str) -> str:
        return warehouse.source_url(source, load_settings(), warehouse_url)

    def export_dbt_environment(self) -> None:
        """Point the dbt profile (which reads KHO_DBT_* variables) at this warehouse."""
        os.environ.update(warehouse.dbt_environment(self.url()))


class IngestResource(dg.ConfigurableResource):
    """How extract-and-load behaves in a run; set fields in the run config (the daily
    schedule sets ``full_refresh``). Left unset, the retry and timeout fields come from
    ``KHO_SOURCE_ATTEMPTS``, ``KHO_SOURCE_RETRY_DELAY`` and ``KHO_SOURCE_CONNECT_TIMEOUT``."""

    full_refresh: bool = False
    overlap_minutes: float = 60.0
    key_reconciliation_hours: float = 24.0
    attempts: int | None = None
    retry_delay_seconds: float | None = None
    connect_timeout_seconds: float | None = None
    statement_timeout_seconds: float = 1800.0

    def settings(self):
        from datetime import timedelta

        from pipelines.sources.extract_load import IngestSettings

        defaults = load_settings()
        return IngestSettings(
            full_refresh=self.full_refresh,
            overlap=timedelta(minutes=self.overlap_minutes),
            key_reconciliation_every=timedelta(hours=self.key_reconciliation_hours),
            attempts=self.attempts or defaults.source_attempts,
            retry_delay_seconds=self.retry_delay_seconds if self.retry_delay_seconds is not None
            else defaults.source_retry_delay_seconds,
            connect_timeout_seconds=self.connect_timeout_seconds
            or defaults.source_connect_timeout_seconds,
            statement_timeout_seconds=self.statement_timeout_seconds,
        )
