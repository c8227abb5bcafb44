from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.core.common import row_fields
from graphql_api.core.context import Info

if TYPE_CHECKING:
    from graphql_api.admin_units.types import AdminUnit
    from graphql_api.persons.types import Person

CIVIL_EVENT_SOURCE = "marts.fct_civil_event"
CIVIL_EVENT_COLUMNS = (
    "civil_event_id as id, event_type, registration_number, role, person_id, full_name, "
    "event_date, event_date_precision, legacy_commune_code, current_commune_code, "
    "registered_on, source_updated_at"
)


@strawberry.type(
    description="A person's part in a civil-registry event: the child or a "
    "parent of a birth, a spouse of a marriage, the deceased."
)
class CivilEvent:
    id: strawberry.ID
    event_type: str = strawberry.field(description="birth, marriage or death.")
    registration_number: str | None
    role: str = strawberry.field(description="subject, father, mother, husband or wife.")
    full_name: str | None = strawberry.field(description="The name as registered.")
    event_date: datetime.date | None
    event_date_precision: str | None
    registered_on: datetime.date | None
    source_updated_at: datetime.datetime | None
    person_id: strawberry.Private[object | None]
    legacy_commune_code: strawberry.Private[str | None]
    current_commune_code: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: dict) -> CivilEvent:
        return cls(**row_fields(row))

    @strawberry.field
    def person(
        self, info: Info
    ) -> Annotated["Person", strawberry.lazy("graphql_api.persons.types")] | None:
        return info.context.loaders.person(self.person_id, "civil_registry")

    @strawberry.field(description="Where the event was registered, on the current map.")
    def commune(
        self, info: Info
    ) -> Annotated["AdminUnit", strawberry.lazy("graphql_api.admin_units.types")] | None:
        return info.context.loaders.admin_unit("current", self.current_commune_code)
