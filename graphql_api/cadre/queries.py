from __future__ import annotations

import datetime
import enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.access.grants import personal
from graphql_api.cadre.types import EMPLOYMENT_SOURCE
from graphql_api.core.aggregates import ROUNDING_BASE, SMALL_COUNT, aggregate, disclosed_count
from graphql_api.core.asof import in_force
from graphql_api.core.batching import settle
from graphql_api.core.common import AdminUnitRef, commune_set
from graphql_api.core.context import Info
from graphql_api.core.errors import NOT_FOUND, CodedError, parse_uuid
from graphql_api.core.pagination import Filtered
from graphql_api.organizations.types import OrganizationType

if TYPE_CHECKING:
    from graphql_api.organizations.types import Organization


@strawberry.enum
class CivilServantDimension(enum.Enum):
    AGENCY = (("organization_id", "organization_id"), ("agency_code", "agency_code"))
    GRADE = (
        ("grade_code", "grade_code"),
        ("grade_name_vi", "grade_name_vi"),
        ("grade_name_en", "grade_name_en"),
    )


@strawberry.input
class CivilServantFilter:
    agency_id: strawberry.ID | None = strawberry.field(
        default=None, description="One agency (kho ID)."
    )
    admin_unit: AdminUnitRef | None = strawberry.field(
        default=None, description="Agencies addressed in this admin unit or under it."
    )
    as_of: datetime.date | None = strawberry.field(
        default=None, description="Assignments in force on that date; by default today."
    )


@strawberry.type(description="Civil servants in force, counted by the dimensions asked for.")
class CivilServantStatisticsRow:
    agency_code: str | None = None
    grade_code: str | None = None
    grade_name_vi: str | None = None
    grade_name_en: str | None = None
    civil_servant_count: int | None = strawberry.field(
        default=0, description=f"Exact for callers with a cadre:personal grant and a "
        f"declared purpose. For the others null when suppressed (fewer than {SMALL_COUNT} "
        f"persons) and otherwise rounded to the nearest multiple of {ROUNDING_BASE}, so that "
        f"no difference of two answers (a total and its parts, two dates) gives a small "
        f"count.")
    suppressed: bool = strawberry.field(
        default=False, description="The count is withheld because it is small enough to "
        "point at individuals.")
    organization_id: strawberry.Private[object | None] = None

    @strawberry.field(description="The agency, when grouped by agency.")
    async def agency(
        self, info: Info
    ) -> Annotated["Organization", strawberry.lazy("graphql_api.organizations.types")] | None:
        return await settle(info.context.loaders.organization(self.organization_id))


@strawberry.type
class CadreQueries:
    @strawberry.field(
        description="Civil servants by agency and / or grade (ngạch), counted once per person."
    )
    async def civil_servant_statistics(
        self,
        info: Info,
        group_by: list[CivilServantDimension],
        filter: CivilServantFilter | None = None,
    ) -> list[CivilServantStatisticsRow]:
        query = Filtered(EMPLOYMENT_SOURCE, "")
        day = filter.as_of if filter and filter.as_of else info.context.today
        query.add_condition(in_force(end_is_inclusive=True)(day))
        if filter is not None and filter.agency_id is not None:
            agency_id = parse_uuid(filter.agency_id, "agencyId")
            agency = await settle(info.context.loaders.organization(agency_id))
            if agency is None or agency.organization_type is not OrganizationType.STATE_AGENCY:
                raise CodedError(f"no state agency has the ID {filter.agency_id}", NOT_FOUND)
            query.add("organization_id = %s", agency_id)
        if filter is not None and filter.admin_unit is not None:
            communes = await commune_set(info.context.loaders, filter.admin_unit)
            condition, params = communes.condition("legacy_commune_code", "current_commune_code")
            query.add(
                f"organization_id in (select organization_id from "
                f"marts.dim_organization where {condition})",
                *params,
            )
        rows = await aggregate(
            info.context.session,
            query,
            [d.value for d in group_by],
            "count(distinct person_id) as civil_servant_count",
        )
        result = [CivilServantStatisticsRow(**row) for row in rows]
        if info.context.caller.refusal(personal("cadre"), "exact counts") is not None:
            for row in result:
                row.civil_servant_count = disclosed_count(row.civil_servant_count)
                row.suppressed = row.civil_servant_count is None
        return result
