"""Per-request context: the request's session and fresh DataLoaders (never shared between
requests, so nothing one caller read is served to another)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from graphql_api.database import Database, Session


class Loaders:
    """Every relation's DataLoader for one request, made on first use."""

    def __init__(self, session: Session):
        self.session = session
        self._made: dict[str, DataLoader] = {}

    def __getattr__(self, name: str) -> DataLoader:
        from graphql_api.dataloaders import FACTORIES

        if name not in FACTORIES:
            raise AttributeError(name)
        loader = self._made.get(name)
        if loader is None:
            loader = self._made[name] = FACTORIES[name](self.session)
        return loader

    async def person(self, person_id: Any):
        from graphql_api.persons.types import Person

        if person_id is None:
            return None
        row = await self.person_by_id.load(_uuid(person_id))
        return Person.from_row(row) if row else None

    async def organization(self, organization_id: Any):
        from graphql_api.organizations.types import Organization

        if organization_id is None:
            return None
        row = await self.organization_by_id.load(_uuid(organization_id))
        return Organization.from_row(row) if row else None

    async def land_parcel(self, land_parcel_id: Any):
        from graphql_api.land.types import LandParcel

        if land_parcel_id is None:
            return None
        row = await self.land_parcel_by_id.load(_uuid(land_parcel_id))
        return LandParcel.from_row(row) if row else None

    async def land_parcels(self, ids: list[Any]) -> list:
        from graphql_api.land.types import LandParcel

        rows = await self.land_parcel_by_id.load_many([_uuid(i) for i in ids])
        return [LandParcel.from_row(row) for row in rows if row]

    async def admin_unit(self, generation: str, code: str | None):
        from graphql_api.admin_units.types import AdminUnit

        if code is None:
            return None
        row = await self.admin_unit_by_id.load(f"{generation}:commune:{code}")
        return AdminUnit.from_row(row) if row else None

    async def staff_page(self, organization_id: Any, day: datetime.date, first: int | None,
                         after: str | None):
        return await self.staff_pages.load((_uuid(organization_id), day, first, after))


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass
class Context:
    session: Session
    loaders: Loaders
    today: datetime.date = field(default_factory=datetime.date.today)
    cost: int | None = None

    @classmethod
    def for_request(cls, database: Database) -> Context:
        session = Session(database)
        return cls(session=session, loaders=Loaders(session))


Info = strawberry.Info[Context, None]
