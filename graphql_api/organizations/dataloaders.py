from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.database import Database
from graphql_api.loaders import rows_by_key
from graphql_api.organizations.types import ORGANIZATION_COLUMNS


def enterprise_by_code(database: Database) -> DataLoader:
    return rows_by_key(database, ("marts", "dim_organization"), "enterprise_code",
                       ORGANIZATION_COLUMNS)
