from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.errors import parse_uuid
from graphql_api.persons.types import Person


@strawberry.type
class PersonQueries:
    @strawberry.field(description="A person by kho ID; null when there is none.")
    async def person(self, info: Info, id: strawberry.ID) -> Person | None:
        row = await info.context.loaders.person_by_id.load(parse_uuid(id, "id"))
        return Person.from_row(row) if row else None
