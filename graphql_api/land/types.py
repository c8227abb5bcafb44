from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.core.batching import each, resolved
from graphql_api.core.common import Node, Provenance, provenance, row_fields
from graphql_api.core.context import Info

if TYPE_CHECKING:
    from graphql_api.admin_units.types import AdminUnit
    from graphql_api.organizations.types import Organization
    from graphql_api.persons.types import Person

LAND_PARCEL_SOURCE = "marts.dim_land_parcel"
LAND_PARCEL_COLUMNS = (
    "land_parcel_id as id, legacy_commune_code, current_commune_code, map_sheet_number, "
    "parcel_number, area_m2::float8 as area_m2, land_use_code, land_use_group, "
    "land_use_name_vi, land_use_name_en, planning_zone, planning_zone_code, "
    "planning_zone_name_en, boundary_wkt, certificate_serial, certificate_issued_on, "
    "source_updated_at"
)
# A parcel as it was: the version of dim_land_parcel_history valid at a moment.
LAND_PARCEL_VERSION_COLUMNS = (
    "land_parcel_id as id, legacy_commune_code, current_commune_code, map_sheet_number, "
    "parcel_number, area_m2::float8 as area_m2, land_use_code, land_use_group, "
    "land_use_name_vi, land_use_name_en, planning_zone, planning_zone_code, "
    "planning_zone_name_en, boundary_wkt, null::text as certificate_serial, "
    "null::date as certificate_issued_on, valid_from as source_updated_at"
)
LAND_RIGHT_SOURCE = "marts.fct_land_right"
LAND_RIGHT_COLUMNS = (
    "land_right_id as id, land_parcel_id, holder_type, person_id, organization_id, "
    "holder_name, ownership_share::float8 as ownership_share, certificate_serial, "
    "certificate_issued_on, valid_from, valid_to, is_current, source_updated_at"
)
LAND_TRANSFER_SOURCE = "marts.fct_land_transfer"
LAND_TRANSFER_COLUMNS = (
    "land_transfer_id as id, land_parcel_id, transfer_kind as kind, "
    "transfer_kind_name_vi as kind_name_vi, transfer_kind_name_en as kind_name_en, "
    "transferred_on, from_person_id, from_organization_id, from_holder_name, to_person_id, "
    "to_organization_id, to_holder_name, source_updated_at"
)


@strawberry.type(description="A land parcel (thửa đất) of the land register.")
class LandParcel(Node):
    id: strawberry.ID = strawberry.field(description="Stable kho ID of the parcel.")
    legacy_commune_code: str = strawberry.field(description="Commune, pre-2025 code.")
    current_commune_code: str | None = strawberry.field(description="Commune on the post-2025 map.")
    map_sheet_number: int | None = strawberry.field(description="Số tờ bản đồ.")
    parcel_number: int | None = strawberry.field(description="Số thửa.")
    area_m2: float | None
    land_use_code: str | None = strawberry.field(
        description="Land-use code from the national list (LUC, ONT, ODT, ...)."
    )
    land_use_group: str | None = strawberry.field(
        description="agricultural, residential, non_agricultural, public or unused."
    )
    land_use_name_vi: str | None
    land_use_name_en: str | None
    planning_zone: str | None = strawberry.field(
        description="The planning zone (khu quy hoạch) as the register writes it.")
    planning_zone_code: str | None = strawberry.field(
        description="The planning zone's code in kho's list of planning zones (matched on its "
                    "name, diacritics, case and punctuation aside); null for a zone not in the "
                    "list.")
    planning_zone_name_en: str | None = strawberry.field(
        description="The planning zone in English, from kho's list; null for a zone not in it.")
    boundary_wkt: str | None = strawberry.field(
        description="Boundary as a WKT polygon, WGS84 longitude / latitude."
    )
    certificate_serial: str | None = strawberry.field(
        description="Serial of the latest land-use right certificate (sổ đỏ)."
    )
    certificate_issued_on: datetime.date | None
    source_updated_at: datetime.datetime | None
    as_of: datetime.date | None = strawberry.field(
        default=None,
        description="The date this parcel was asked as of; null for the current state. "
        "Relations default to the same date.",
    )

    @classmethod
    def from_row(cls, row: dict, as_of: datetime.date | None = None) -> LandParcel:
        return cls(**row_fields(row), as_of=as_of)

    @strawberry.field(description="Where each attribute comes from.")
    def provenance(self) -> list[Provenance]:
        return provenance(
            "land",
            self.source_updated_at,
            "mapSheetNumber",
            "parcelNumber",
            "areaM2",
            "landUseCode",
            "planningZone",
            "boundaryWkt",
            "certificateSerial",
            "legacyCommuneCode",
        )

    @strawberry.field(description="The commune on the current map.")
    def commune(
        self, info: Info
    ) -> Annotated["AdminUnit", strawberry.lazy("graphql_api.admin_units.types")] | None:
        return info.context.loaders.admin_unit("current", self.current_commune_code)

    @strawberry.field(description="The commune as registered (pre-2025).")
    def legacy_commune(
        self, info: Info
    ) -> Annotated["AdminUnit", strawberry.lazy("graphql_api.admin_units.types")] | None:
        return info.context.loaders.admin_unit("legacy", self.legacy_commune_code)

    @strawberry.field(
        description="Every land-use right recorded on the parcel, past and "
        "present; with asOf, those in force on that date."
    )
    def rights(self, info: Info, as_of: datetime.date | None = None) -> list[LandRight] | None:
        return resolved(
            info.context.loaders.land_rights_by_parcel.load((self.id, as_of)),
            each(LandRight.from_row),
        )

    @strawberry.field(
        description="The rights holders: the rights in force today, or on "
        "asOf (by default the parcel's own asOf)."
    )
    def holders(self, info: Info, as_of: datetime.date | None = None) -> list[LandRight] | None:
        day = as_of or self.as_of or info.context.today
        return resolved(
            info.context.loaders.land_rights_by_parcel.load((self.id, day)),
            each(LandRight.from_row),
        )

    @strawberry.field(
        description="Transfers of the parcel, oldest first; with asOf (by "
        "default the parcel's own asOf), those made by then."
    )
    def transfers(self, info: Info,
                  as_of: datetime.date | None = None) -> list[LandTransfer] | None:
        return resolved(
            info.context.loaders.land_transfers_by_parcel.load((self.id, as_of or self.as_of)),
            each(LandTransfer.from_row),
        )


@strawberry.type(
    description="A land-use right: who holds a parcel, in what share, since and until when."
)
class LandRight:
    id: strawberry.ID
    land_parcel_id: strawberry.Private[object]
    holder_type: str | None = strawberry.field(description="person or organization.")
    person_id: strawberry.Private[object | None]
    organization_id: strawberry.Private[object | None]
    holder_name: str | None = strawberry.field(description="The holder's name as registered.")
    ownership_share: float | None
    certificate_serial: str | None
    certificate_issued_on: datetime.date | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    is_current: bool | None
    source_updated_at: datetime.datetime | None

    @classmethod
    def from_row(cls, row: dict) -> LandRight:
        return cls(**row_fields(row))

    @strawberry.field
    def land_parcel(self, info: Info) -> LandParcel | None:
        return info.context.loaders.land_parcel(self.land_parcel_id)

    @strawberry.field(description="The holder, when a person.")
    def person(
        self, info: Info
    ) -> Annotated["Person", strawberry.lazy("graphql_api.persons.types")] | None:
        return info.context.loaders.person(self.person_id, "land")

    @strawberry.field(description="The holder, when an organization.")
    def organization(
        self, info: Info
    ) -> Annotated["Organization", strawberry.lazy("graphql_api.organizations.types")] | None:
        return info.context.loaders.organization(self.organization_id)


@strawberry.type(description="A transfer of a land-use right (sale, gift, inheritance, ...).")
class LandTransfer:
    id: strawberry.ID
    land_parcel_id: strawberry.Private[object]
    kind: str | None
    kind_name_vi: str | None
    kind_name_en: str | None
    transferred_on: datetime.date | None
    from_person_id: strawberry.Private[object | None]
    from_organization_id: strawberry.Private[object | None]
    from_holder_name: str | None
    to_person_id: strawberry.Private[object | None]
    to_organization_id: strawberry.Private[object | None]
    to_holder_name: str | None
    source_updated_at: datetime.datetime | None

    @classmethod
    def from_row(cls, row: dict) -> LandTransfer:
        return cls(**row_fields(row))

    @strawberry.field
    def land_parcel(self, info: Info) -> LandParcel | None:
        return info.context.loaders.land_parcel(self.land_parcel_id)

    @strawberry.field
    def from_person(
        self, info: Info
    ) -> Annotated["Person", strawberry.lazy("graphql_api.persons.types")] | None:
        return info.context.loaders.person(self.from_person_id, "land")

    @strawberry.field
    def from_organization(
        self, info: Info
    ) -> Annotated["Organization", strawberry.lazy("graphql_api.organizations.types")] | None:
        return info.context.loaders.organization(self.from_organization_id)

    @strawberry.field
    def to_person(
        self, info: Info
    ) -> Annotated["Person", strawberry.lazy("graphql_api.persons.types")] | None:
        return info.context.loaders.person(self.to_person_id, "land")

    @strawberry.field
    def to_organization(
        self, info: Info
    ) -> Annotated["Organization", strawberry.lazy("graphql_api.organizations.types")] | None:
        return info.context.loaders.organization(self.to_organization_id)
