from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.database import Database
from graphql_api.loaders import rows_by_key
from graphql_api.persons.types import PERSON_COLUMNS


def person_by_id(database: Database) -> DataLoader:
    return rows_by_key(database, ("marts", "dim_person"), "person_id", PERSON_COLUMNS)
