"""Per-request context: the pool and fresh DataLoaders (never shared between requests)."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from strawberry.dataloader import DataLoader

from graphql_api.database import Database
from graphql_api.land.dataloaders import land_parcel_by_id
from graphql_api.organizations.dataloaders import enterprise_by_code
from graphql_api.persons.dataloaders import person_by_id


@dataclass
class Loaders:
    person_by_id: DataLoader
    enterprise_by_code: DataLoader
    land_parcel_by_id: DataLoader

    @classmethod
    def for_request(cls, database: Database) -> Loaders:
        return cls(
            person_by_id=person_by_id(database),
            enterprise_by_code=enterprise_by_code(database),
            land_parcel_by_id=land_parcel_by_id(database),
        )


@dataclass
class Context:
    database: Database
    loaders: Loaders

    @classmethod
    def for_request(cls, database: Database) -> Context:
        return cls(database=database, loaders=Loaders.for_request(database))


Info = strawberry.Info[Context, None]
