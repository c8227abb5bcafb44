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
