from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.database import Database
from graphql_api.land.types import LAND_PARCEL_COLUMNS
from graphql_api.loaders import rows_by_key


def land_parcel_by_id(database: Database) -> DataLoader:
    return rows_by_key(database, ("marts", "dim_land_parcel"), "land_parcel_id",
                       LAND_PARCEL_COLUMNS)
