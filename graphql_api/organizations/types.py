from __future__ import annotations

import datetime
import enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.core.batching import each, resolved, settle
from graphql_api.core.common import Node, Provenance, RecordStatus, provenance, row_fields
from graphql_api.core.context import Info
from graphql_api.core.pagination import Connection
from graphql_api.land.types import LandParcel, LandRight

if TYPE_CHECKING:
    from graphql_api.admin_units.types import AdminUnit
    from graphql_api.cadre.types import Employment
    from graphql_api.persons.types import Person

ORGANIZATION_SOURCE = "marts.dim_organization"
ORGANIZATION_COLUMNS = (
    "organization_id as id, organization_type, enterprise_code, registration_number, "
    "agency_code, organization_name as name, legal_form_code, legal_form_name_vi, "
    "legal_form_name_en, industry_code, industry_division_code, industry_division_name_vi, "
    "industry_division_name_en, industry_section_code, "
    "industry_section_name_vi, industry_section_name_en, status, status_name_vi, "
    "status_name_en, charter_capital_vnd::float8 as charter_capital_vnd, "
    "parent_organization_id, government_level, legacy_commune_code, current_commune_code, "
    "address_line, registered_on, source_system, source_updated_at"
)
# The organization as it was: its version in dim_organization_history valid at a moment
# (``%(at)s``), over the attributes kho keeps the history of.
ORGANIZATION_AS_OF_SOURCE = """(
    select
        o.organization_id, o.organization_type, o.enterprise_code, o.registration_number,
        o.agency_code, h.organization_name, h.legal_form_code, h.legal_form_name_vi,
        h.legal_form_name_en, h.industry_code, left(h.industry_code, 2) as industry_division_code,
        h.industry_division_name_vi, h.industry_division_name_en,
        h.industry_section_code, h.industry_section_name_vi, h.industry_section_name_en,
        h.status, h.status_name_vi, h.status_name_en, o.charter_capital_vnd,
        o.parent_organization_id, o.government_level, h.legacy_commune_code,
        h.current_commune_code, h.address_line, o.registered_on, o.source_system,
        h.valid_from as source_updated_at
    from marts.dim_organization as o
    inner join marts.dim_organization_history as h
        on o.organization_id = h.organization_id
        and h.valid_from < %s and (h.valid_to is null or h.valid_to >= %s)
) as organization_as_of"""
ENTERPRISE_ROLE_SOURCE = "marts.fct_enterprise_role"
ENTERPRISE_ROLE_COLUMNS = (
    "enterprise_role_id as id, organization_id, role, person_id, full_name, registered_on, "
    "organization_status"
)


@strawberry.enum
class OrganizationType(enum.Enum):
    ENTERPRISE = "enterprise"
    BRANCH = "branch"
    HOUSEHOLD_BUSINESS = "household_business"
    STATE_AGENCY = "state_agency"


@strawberry.type(description="The enterprise-register facts of an enterprise.")
class EnterpriseFacet:
    enterprise_code: str | None
    legal_form_code: str | None
    legal_form_name_vi: str | None
    legal_form_name_en: str | None
    charter_capital_vnd: float | None


@strawberry.type(description="A dependent unit (chi nhánh) of an enterprise.")
class BranchFacet:
    enterprise_code: str | None = strawberry.field(description="The parent's code -NNN.")
    parent_id: strawberry.Private[object | None]

    @strawberry.field(description="The enterprise the branch belongs to.")
    def parent(self, info: Info) -> Organization | None:
        return info.context.loaders.organization(self.parent_id)


@strawberry.type(
    description="A household business (hộ kinh doanh), registered by a district or commune."
)
class HouseholdBusinessFacet:
    registration_number: str | None


@strawberry.type(description="A state agency of the cadre / civil-servant database.")
class StateAgencyFacet:
    agency_code: str | None
    government_level: str | None = strawberry.field(description="province, district or commune.")
    parent_id: strawberry.Private[object | None]

    @strawberry.field(description="The agency this one reports to.")
    def parent(self, info: Info) -> Organization | None:
        return info.context.loaders.organization(self.parent_id)


@strawberry.type(
    description="An organization: enterprise, branch, household business or "
    "state agency, with the facet of its kind."
)
class Organization(Node):
    id: strawberry.ID = strawberry.field(description="Stable kho ID of the organization.")
    record_status: RecordStatus = strawberry.field(
        default=RecordStatus.ACTIVE,
        description="MERGED: this ID now belongs to another organization (see mergedInto), "
        "every other field is null; RETIRED: no source record names it any more.",
    )
    organization_type: OrganizationType | None = None
    name: str | None = None
    enterprise_code: str | None = strawberry.field(
        default=None, description="Enterprise code (10 digits; branches 10-3)."
    )
    industry_code: str | None = strawberry.field(
        default=None, description="Main VSIC industry code."
    )
    industry_division_code: str | None = strawberry.field(
        default=None, description="The VSIC division (first two digits)."
    )
    industry_division_name_vi: str | None = strawberry.field(
        default=None, description="The division's name in VSIC 2018, in Vietnamese."
    )
    industry_division_name_en: str | None = strawberry.field(
        default=None, description="The division's name in VSIC 2018, in English."
    )
    industry_section_code: str | None = strawberry.field(
        default=None, description="The VSIC section (A to U) the industry code falls in."
    )
    industry_section_name_vi: str | None = None
    industry_section_name_en: str | None = None
    status: str | None = strawberry.field(
        default=None, description="Business status: active, suspended, dissolved, ..."
    )
    status_name_vi: str | None = None
    status_name_en: str | None = None
    legacy_commune_code: str | None = strawberry.field(
        default=None, description="Commune of the address, pre-2025 code."
    )
    current_commune_code: str | None = strawberry.field(
        default=None, description="Commune of the address on the post-2025 map."
    )
    address_line: str | None = None
    registered_on: datetime.date | None = None
    source_system: str | None = None
    source_updated_at: datetime.datetime | None = None
    as_of: datetime.date | None = strawberry.field(
        default=None,
        description="The date this organization was asked as of; null for the current state. "
        "Relations default to the same date.",
    )
    registration_number: strawberry.Private[str | None] = None
    agency_code: strawberry.Private[str | None] = None
    legal_form_code: strawberry.Private[str | None] = None
    legal_form_name_vi: strawberry.Private[str | None] = None
    legal_form_name_en: strawberry.Private[str | None] = None
    charter_capital_vnd: strawberry.Private[float | None] = None
    parent_organization_id: strawberry.Private[object | None] = None
    government_level: strawberry.Private[str | None] = None
    merged_into_id: strawberry.Private[object | None] = None

    @classmethod
    def from_row(cls, row: dict, as_of: datetime.date | None = None) -> Organization:
        values = row_fields(row)
        return cls(
            **{
                **values,
                "organization_type": OrganizationType(row["organization_type"]),
                "as_of": as_of,
            }
        )

    @classmethod
    def tombstone(cls, organization_id, status: RecordStatus, merged_into) -> Organization:
        return cls(id=organization_id, record_status=status, merged_into_id=merged_into)

    @strawberry.field(description="For a MERGED ID: the organization it belongs to now.")
    def merged_into(self, info: Info) -> Organization | None:
        return info.context.loaders.organization(self.merged_into_id)

    @strawberry.field(description="Where each attribute comes from.")
    def provenance(self) -> list[Provenance]:
        if self.record_status is not RecordStatus.ACTIVE:
            return []
        return provenance(
            self.source_system,
            self.source_updated_at,
            "name",
            "industryCode",
            "status",
            "legacyCommuneCode",
            "addressLine",
            "registeredOn",
            "enterprise",
            "branch",
            "householdBusiness",
            "stateAgency",
        )

    @strawberry.field
    def enterprise(self) -> EnterpriseFacet | None:
        if self.organization_type is not OrganizationType.ENTERPRISE:
            return None
        return EnterpriseFacet(
            enterprise_code=self.enterprise_code,
            legal_form_code=self.legal_form_code,
            legal_form_name_vi=self.legal_form_name_vi,
            legal_form_name_en=self.legal_form_name_en,
            charter_capital_vnd=self.charter_capital_vnd,
        )

    @strawberry.field
    def branch(self) -> BranchFacet | None:
        if self.organization_type is not OrganizationType.BRANCH:
            return None
        return BranchFacet(
            enterprise_code=self.enterprise_code, parent_id=self.parent_organization_id
        )

    @strawberry.field
    def household_business(self) -> HouseholdBusinessFacet | None:
        if self.organization_type is not OrganizationType.HOUSEHOLD_BUSINESS:
            return None
        return HouseholdBusinessFacet(registration_number=self.registration_number)

    @strawberry.field
    def state_agency(self) -> StateAgencyFacet | None:
        if self.organization_type is not OrganizationType.STATE_AGENCY:
            return None
        return StateAgencyFacet(
            agency_code=self.agency_code,
            government_level=self.government_level,
            parent_id=self.parent_organization_id,
        )

    @strawberry.field(description="The commune of the address on the current map.")
    def commune(
        self, info: Info
    ) -> Annotated["AdminUnit", strawberry.lazy("graphql_api.admin_units.types")] | None:
        return info.context.loaders.admin_unit("current", self.current_commune_code)

    @strawberry.field(description="Branches of an enterprise; agencies under a state agency.")
    def branches(self, info: Info) -> list[Organization]:
        return resolved(
            info.context.loaders.organizations_by_parent.load((self.id, None)),
            each(Organization.from_row),
        )

    @strawberry.field(
        description="The legal representative of an enterprise or the owner of "
        "a household business; with asOf (by default the "
        "organization's own), the one registered on that date."
    )
    async def legal_representatives(
        self, info: Info, as_of: datetime.date | None = None
    ) -> list[EnterpriseRole] | None:
        day = as_of or self.as_of
        if day is None:
            rows = await info.context.loaders.enterprise_roles_by_organization.load((self.id, None))
        else:
            rows = await info.context.loaders.representatives_as_of.load((self.id, day))
        return [EnterpriseRole.from_row(row) for row in rows]

    @strawberry.field(
        description="Land-use rights the organization holds or held; with asOf "
        "(by default the organization's own), those in force then."
    )
    async def land_rights(
        self, info: Info, as_of: datetime.date | None = None
    ) -> list[LandRight] | None:
        rows = await info.context.loaders.land_rights_by_organization.load(
            (self.id, as_of or self.as_of)
        )
        return [LandRight.from_row(row) for row in rows]

    @strawberry.field(
        description="Parcels the organization holds a right on today, or on "
        "asOf (by default the organization's own)."
    )
    async def land_parcels(
        self, info: Info, as_of: datetime.date | None = None
    ) -> list[LandParcel] | None:
        day = as_of or self.as_of or info.context.today
        rows = await info.context.loaders.land_rights_by_organization.load((self.id, day))
        ids = list(dict.fromkeys(row["land_parcel_id"] for row in rows))
        return await settle(info.context.loaders.land_parcels(ids))

    @strawberry.field(
        description="Civil servants assigned to a state agency today, or on "
        "asOf (by default the organization's own), by name (by ID for callers who may "
        "not see civil servants' names)."
    )
    async def staff(
        self,
        info: Info,
        as_of: datetime.date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Annotated["Employment", strawberry.lazy("graphql_api.cadre.types")]] | None:
        day = as_of or self.as_of or info.context.today
        page = await info.context.loaders.staff_page(self.id, day, first, after)
        if info.context.loaders.staff_by_name:
            # Its cursors hold the names: the page released them, whatever fields it read.
            info.context.access.release(employment.person_id for employment in page.nodes)
        return page


@strawberry.type(
    description="A person's role in a business: legal representative of an "
    "enterprise or branch, owner of a household business."
)
class EnterpriseRole:
    id: strawberry.ID
    role: str = strawberry.field(description="legal_representative or owner.")
    full_name: str | None = strawberry.field(description="The name as the register holds it.")
    registered_on: datetime.date | None
    organization_id: strawberry.Private[object]
    person_id: strawberry.Private[object | None]

    @classmethod
    def from_row(cls, row: dict) -> EnterpriseRole:
        return cls(
            id=row["id"],
            role=row["role"],
            full_name=row["full_name"],
            registered_on=row["registered_on"],
            organization_id=row["organization_id"],
            person_id=row["person_id"],
        )

    @strawberry.field
    def organization(self, info: Info) -> Organization | None:
        return info.context.loaders.organization(self.organization_id)

    @strawberry.field
    def person(
        self, info: Info
    ) -> Annotated["Person", strawberry.lazy("graphql_api.persons.types")] | None:
        return info.context.loaders.person(self.person_id, "enterprise")
