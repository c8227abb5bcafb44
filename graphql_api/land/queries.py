from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.errors import parse_uuid
from graphql_api.land.types import LandParcel


@strawberry.type
class LandQueries:
    @strawberry.field(description="A land parcel by kho ID; null when there is none.")
    async def land_parcel(self, info: Info, id: strawberry.ID) -> LandParcel | None:
        row = await info.context.loaders.land_parcel_by_id.load(parse_uuid(id, "id"))
        return LandParcel.from_row(row) if row else None
