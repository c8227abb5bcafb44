"""Relay's ``node(id)``: kho IDs are unique across kinds (UUIDs derived per kind, admin-unit
IDs spelled generation:level:code), so the ID alone finds the object."""

from __future__ import annotations

import re

import psycopg
import strawberry

from graphql_api.admin_units.types import AdminUnit
from graphql_api.core.batching import settle
from graphql_api.core.common import Node
from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, CodedError, parse_uuid
from graphql_api.organizations.queries import resolve_organization
from graphql_api.persons.permissions import CLASSIFICATION as PERSON_CLASSIFICATION
from graphql_api.persons.queries import resolve_person

PERSON = PERSON_CLASSIFICATION.types["Person"]

ADMIN_UNIT_ID = re.compile(r"^(legacy|current):(province|district|commune):\d{2,5}$")
KIND_OF_ID = """
select 'person' as kind from marts.dim_person where person_id = %(id)s
union all select 'organization' from marts.dim_organization where organization_id = %(id)s
union all select 'land_parcel' from marts.dim_land_parcel where land_parcel_id = %(id)s
union all select 'person' from master_data.person_ids where id = %(id)s
union all select 'organization' from master_data.organization_ids where id = %(id)s
limit 1
"""
# Before the first publication is recorded the registry's tables do not exist yet.
KIND_OF_ID_WITHOUT_REGISTRY = KIND_OF_ID.split("union all select 'person' from master_data")[0]


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any person, organization, land parcel or admin unit by its "
                                  "kho ID; null when there is none.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        if ADMIN_UNIT_ID.match(id):
            row = await info.context.loaders.admin_unit_by_id.load(id)
            return AdminUnit.from_row(row) if row else None
        try:
            node_id = parse_uuid(id, "id")
        except CodedError:
            raise CodedError(f"{id!r} is not a kho ID (a UUID, or an admin-unit ID such as "
                             f"current:commune:27694)", BAD_USER_INPUT) from None
        try:
            row = await info.context.session.fetch_one(KIND_OF_ID, {"id": node_id})
        except psycopg.errors.UndefinedTable:
            row = await info.context.session.fetch_one(KIND_OF_ID_WITHOUT_REGISTRY,
                                                       {"id": node_id})
        if row is None:
            return None
        if row["kind"] == "person":
            info.context.caller.require(PERSON, "a person")
            return await resolve_person(info, node_id)
        if row["kind"] == "organization":
            return await resolve_organization(info, node_id, None)
        return await settle(info.context.loaders.land_parcel(node_id))
