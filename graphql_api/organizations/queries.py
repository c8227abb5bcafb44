from __future__ import annotations

import datetime
import enum
import re

import strawberry

from graphql_api.core.aggregates import aggregate
from graphql_api.core.batching import settle
from graphql_api.core.common import (
    AdminUnitRef,
    commune_set,
    date_range,
    day_after,
    name_condition,
)
from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, CodedError, parse_uuid
from graphql_api.core.pagination import Connection, Filtered, Order, fetch_page
from graphql_api.organizations.types import (
    ORGANIZATION_AS_OF_SOURCE,
    ORGANIZATION_COLUMNS,
    ORGANIZATION_SOURCE,
    Organization,
    OrganizationType,
)

ENTERPRISE_CODE = re.compile(r"^\d{10}(-\d{3})?$")
BUSINESS_TYPES = (OrganizationType.ENTERPRISE, OrganizationType.BRANCH,
                  OrganizationType.HOUSEHOLD_BUSINESS)


@strawberry.enum
class OrganizationOrder(enum.Enum):
    ID = Order("organization_id", (("organization_id", "uuid"),))
    NAME = Order("organization_name", (("coalesce(organization_name_key, '')", "text"),
                                       ("organization_id", "uuid")))
    REGISTERED_ON = Order("organization_registered_on", (
        ("coalesce(registered_on, '0001-01-01'::date)", "date"), ("organization_id", "uuid")))


@strawberry.input
class OrganizationFilter:
    organization_type: list[OrganizationType] | None = None
    name: str | None = strawberry.field(
        default=None,
        description="Words of the name (each contained, in any order), with or without diacritics.")
    admin_unit: AdminUnitRef | None = strawberry.field(
        default=None, description="Addressed in this admin unit (or anywhere under it).")
    address: str | None = strawberry.field(
        default=None,
        description="Words of the address (street, commune or ward, current or former "
                    "name), each contained, in any order, with or without diacritics.")
    industry_code: str | None = strawberry.field(
        default=None, description="A VSIC code or its prefix: 41 matches 4100 and 4101.")
    legal_form_code: list[str] | None = None
    status: list[str] | None = strawberry.field(
        default=None, description="Business statuses: active, suspended, dissolved, ...")
    registered_from: datetime.date | None = None
    registered_to: datetime.date | None = None


async def organization_query(info: Info, filter: OrganizationFilter | None,
                             default_types: tuple[OrganizationType, ...] = ()) -> Filtered:
    query = Filtered(ORGANIZATION_SOURCE, ORGANIZATION_COLUMNS)
    types = (filter.organization_type if filter and filter.organization_type is not None
             else default_types)
    if types:
        query.add("organization_type = any(%s)", [t.value for t in types])
    if filter is None:
        return query
    if filter.name is not None:
        query.add_condition(name_condition("organization_name_key", filter.name))
    if filter.address is not None:
        query.add_condition(name_condition("address_key", filter.address))
    if filter.admin_unit is not None:
        communes = await commune_set(info.context.loaders, filter.admin_unit)
        query.add_condition(communes.condition("legacy_commune_code", "current_commune_code"))
    if filter.industry_code is not None:
        if not re.fullmatch(r"\d{1,5}", filter.industry_code):
            raise CodedError("industryCode must be 1 to 5 digits of a VSIC code",
                             BAD_USER_INPUT)
        query.add("industry_code like %s", filter.industry_code + "%")
    if filter.legal_form_code is not None:
        query.add("legal_form_code = any(%s)", filter.legal_form_code)
    if filter.status is not None:
        query.add("status = any(%s)", filter.status)
    date_range(filter.registered_from, filter.registered_to, "registration date")
    if filter.registered_from is not None:
        query.add("registered_on >= %s", filter.registered_from)
    if filter.registered_to is not None:
        query.add("registered_on <= %s", filter.registered_to)
    return query


async def resolve_organization(info: Info, organization_id, as_of: datetime.date | None
                               ) -> Organization | None:
    if as_of is not None:
        moment = day_after(as_of)
        row = await info.context.session.fetch_one(
            f"select {ORGANIZATION_COLUMNS} from {ORGANIZATION_AS_OF_SOURCE} "
            f"where organization_id = %s", [moment, moment, organization_id])
        if row is not None:
            return Organization.from_row(row, as_of)
    organization = await settle(info.context.loaders.organization(organization_id))
    if organization is not None:
        if as_of is None:
            return organization
        # Agencies have no history in the cadre database: their record answers for any date.
        if organization.organization_type is OrganizationType.STATE_AGENCY:
            organization.as_of = as_of
            return organization
        return None  # not registered yet on that date, or before kho's first version
    status = await info.context.loaders.organization_id_status.load(organization_id)
    if status is None:
        return None
    return Organization.tombstone(organization_id, *status)


@strawberry.enum
class EnterpriseDimension(enum.Enum):
    ORGANIZATION_TYPE = (("organization_type", "organization_type"),)
    INDUSTRY = (("industry_code", "industry_code"),)
    INDUSTRY_DIVISION = (("industry_division_code", "industry_division_code"),
                         ("industry_division_name_vi", "industry_division_name_vi"),
                         ("industry_division_name_en", "industry_division_name_en"))
    INDUSTRY_SECTION = (("industry_section_code", "industry_section_code"),
                        ("industry_section_name_vi", "industry_section_name_vi"),
                        ("industry_section_name_en", "industry_section_name_en"))
    LEGAL_FORM = (("legal_form_code", "legal_form_code"),
                  ("legal_form_name_vi", "legal_form_name_vi"),
                  ("legal_form_name_en", "legal_form_name_en"))
    STATUS = (("status", "status"), ("status_name_vi", "status_name_vi"),
              ("status_name_en", "status_name_en"))
    COMMUNE = (("current_commune_code", "commune_code"),)
    LEGACY_COMMUNE = (("legacy_commune_code", "legacy_commune_code"),)


@strawberry.type(description="One group of enterprises: the dimensions asked for are set, "
                             "the others null.")
class EnterpriseStatisticsRow:
    organization_type: str | None = None
    industry_code: str | None = None
    industry_division_code: str | None = None
    industry_division_name_vi: str | None = None
    industry_division_name_en: str | None = None
    industry_section_code: str | None = None
    industry_section_name_vi: str | None = None
    industry_section_name_en: str | None = None
    legal_form_code: str | None = None
    legal_form_name_vi: str | None = None
    legal_form_name_en: str | None = None
    status: str | None = None
    status_name_vi: str | None = None
    status_name_en: str | None = None
    commune_code: str | None = strawberry.field(default=None,
                                                description="Current commune code.")
    legacy_commune_code: str | None = None
    organization_count: int = 0
    charter_capital_vnd: float | None = strawberry.field(
        default=None, description="Sum of the charter capital stated.")


@strawberry.type
class OrganizationQueries:
    @strawberry.field(description="An organization by kho ID; with asOf, as the register "
                                  "recorded it on that date. An ID merged into another "
                                  "answers with recordStatus MERGED and mergedInto.")
    async def organization(self, info: Info, id: strawberry.ID,
                           as_of: datetime.date | None = None) -> Organization | None:
        return await resolve_organization(info, parse_uuid(id, "id"), as_of)

    @strawberry.field(description="An enterprise or branch by its enterprise code "
                                  "(10 digits, or 10-3 for a branch); null when there is none.")
    async def enterprise(self, info: Info, code: str, as_of: datetime.date | None = None
                         ) -> Organization | None:
        code = code.strip()
        if not ENTERPRISE_CODE.match(code):
            raise CodedError(f"not an enterprise code: {code!r} (expected 10 digits or 10-3)",
                             BAD_USER_INPUT)
        row = await info.context.loaders.organization_by_enterprise_code.load(code)
        if row is None:
            return None
        return await resolve_organization(info, row["id"], as_of) if as_of else \
            Organization.from_row(row)

    @strawberry.field(description="Organizations matching a filter, in a stable order.")
    async def organizations(self, info: Info, filter: OrganizationFilter | None = None,
                            order_by: OrganizationOrder = OrganizationOrder.ID,
                            first: int | None = None, after: str | None = None
                            ) -> Connection[Organization]:
        query = await organization_query(info, filter)
        return await fetch_page(info.context.session, query, order_by.value, first, after,
                                Organization.from_row)

    @strawberry.field(description="Enterprises, branches and household businesses counted by "
                                  "the dimensions asked for (by default all three kinds).")
    async def enterprise_statistics(self, info: Info,
                                    group_by: list[EnterpriseDimension],
                                    filter: OrganizationFilter | None = None
                                    ) -> list[EnterpriseStatisticsRow]:
        query = await organization_query(info, filter, BUSINESS_TYPES)
        rows = await aggregate(info.context.session, query, [d.value for d in group_by],
                               "count(*) as organization_count, "
                               "sum(charter_capital_vnd)::float8 as charter_capital_vnd")
        return [EnterpriseStatisticsRow(**row) for row in rows]
