from __future__ import annotations

import strawberry

from graphql_api.admin_units.types import ADMIN_UNIT_COLUMNS, ADMIN_UNIT_SOURCE, AdminUnit
from graphql_api.core.common import (
    AdminUnitGeneration,
    AdminUnitLevel,
    AdminUnitRef,
    commune_set,
    name_condition,
)
from graphql_api.core.context import Info
from graphql_api.core.pagination import Connection, Filtered, Order, fetch_page

BY_CODE = Order("code", (("generation", "text"), ("level", "text"), ("admin_unit_code", "text"),
                         ("admin_unit_id", "text")))


@strawberry.input
class AdminUnitFilter:
    generation: AdminUnitGeneration | None = None
    level: AdminUnitLevel | None = None
    within: AdminUnitRef | None = strawberry.field(
        default=None, description="Only units under this one (at any depth).")
    name: str | None = strawberry.field(
        default=None,
        description="Words of the name (each contained, in any order), with or without diacritics.")


@strawberry.type
class AdminUnitQueries:
    @strawberry.field(description="An admin unit by code; null when there is none.")
    async def admin_unit(self, info: Info, code: str,
                         generation: AdminUnitGeneration = AdminUnitGeneration.CURRENT
                         ) -> AdminUnit | None:
        unit_id = AdminUnitRef(code=code, generation=generation).admin_unit_id()
        row = await info.context.loaders.admin_unit_by_id.load(unit_id)
        return AdminUnit.from_row(row) if row else None

    @strawberry.field(description="Admin units of both generations, by generation, level "
                                  "and code.")
    async def admin_units(self, info: Info, filter: AdminUnitFilter | None = None,
                          first: int | None = None, after: str | None = None
                          ) -> Connection[AdminUnit]:
        query = Filtered(ADMIN_UNIT_SOURCE, ADMIN_UNIT_COLUMNS)
        if filter is not None:
            if filter.generation is not None:
                query.add("generation = %s", filter.generation.value)
            if filter.level is not None:
                query.add("level = %s", filter.level.value)
            if filter.name is not None:
                query.add_condition(name_condition("admin_unit_name_key", filter.name))
            if filter.within is not None:
                within = await commune_set(info.context.loaders, filter.within)
                query.add("generation = %s", within.generation.value)
                if within.level is AdminUnitLevel.PROVINCE:
                    query.add("province_code = %s and level <> 'province'", within.code)
                elif within.level is AdminUnitLevel.DISTRICT:
                    query.add("parent_admin_unit_id = %s", f"legacy:district:{within.code}")
                else:
                    query.add("false")
        return await fetch_page(info.context.session, query, BY_CODE, first, after,
                                AdminUnit.from_row)

