from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.core.common import row_fields
from graphql_api.core.context import Info

if TYPE_CHECKING:
    from graphql_api.organizations.types import Organization
    from graphql_api.persons.types import Person

EMPLOYMENT_SOURCE = "marts.fct_employment"
EMPLOYMENT_COLUMNS = (
    "employment_id as id, civil_servant_code, person_id, full_name, organization_id, "
    "agency_code, position_title, grade_code, grade_name_vi, grade_name_en, "
    "salary_coefficient::float8 as salary_coefficient, valid_from, valid_to, is_current, "
    "is_active_after_death"
)


@strawberry.type(
    description="An assignment of a civil servant to a state agency: position, "
    "grade (ngạch) and salary coefficient, from / to."
)
class Employment:
    id: strawberry.ID
    civil_servant_code: str | None
    full_name: str | None = strawberry.field(description="The name as the cadre database holds it.")
    agency_code: str | None
    position_title: str | None
    grade_code: str | None
    grade_name_vi: str | None
    grade_name_en: str | None
    salary_coefficient: float | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    is_current: bool | None
    is_active_after_death: bool | None = strawberry.field(
        description="The assignment is still open after the person's recorded death (a data "
        "quality case for the cadre database to fix)."
    )
    person_id: strawberry.Private[object | None]
    organization_id: strawberry.Private[object | None]

    @classmethod
    def from_row(cls, row: dict) -> Employment:
        return cls(**row_fields(row))

    @strawberry.field
    def person(
        self, info: Info
    ) -> Annotated["Person", strawberry.lazy("graphql_api.persons.types")] | None:
        return info.context.loaders.person(self.person_id, "cadre")

    @strawberry.field(description="The agency.")
    def organization(
        self, info: Info
    ) -> Annotated["Organization", strawberry.lazy("graphql_api.organizations.types")] | None:
        return info.context.loaders.organization(self.organization_id)
