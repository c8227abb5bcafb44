from __future__ import annotations

import datetime
import enum

import strawberry

from graphql_api.core.batching import each, resolved
from graphql_api.core.common import AdminUnitGeneration, AdminUnitLevel, Node, row_fields
from graphql_api.core.context import Info

ADMIN_UNIT_SOURCE = "marts.dim_admin_unit"
ADMIN_UNIT_COLUMNS = (
    "admin_unit_id as id, admin_unit_code as code, admin_unit_name as name, short_name, "
    "unit_type, level, generation, province_code, latitude, longitude, area_km2, "
    "boundary_wkt, outline_wkt, outline_source, parent_admin_unit_id as parent_id"
)


@strawberry.enum(description="Where an administrative unit's outline comes from.")
class OutlineSource(enum.Enum):
    BOUNDARY_FILE = strawberry.enum_value(
        "boundary_file", description="The boundary file the province's operator provides.")
    PARCELS = strawberry.enum_value(
        "parcels", description="Derived from the unit's surveyed parcels in the land register.")


@strawberry.type(description="A successor relation between a legacy and a current admin unit "
                             "(the 1 July 2025 reorganisation).")
class AdminUnitSuccession:
    legacy_id: strawberry.Private[str]
    current_id: strawberry.Private[str]
    is_default: bool | None = strawberry.field(
        description="For a legacy commune split between several current communes: the one its "
                    "records are placed in when nothing more precise is known.")
    effective_date: datetime.date | None

    @strawberry.field
    def legacy(self, info: Info) -> AdminUnit:
        return resolved(info.context.loaders.admin_unit_by_id.load(self.legacy_id),
                        AdminUnit.from_row)

    @strawberry.field
    def current(self, info: Info) -> AdminUnit:
        return resolved(info.context.loaders.admin_unit_by_id.load(self.current_id),
                        AdminUnit.from_row)


@strawberry.type(description="An administrative unit: a province, a legacy district or a "
                             "commune (ward, township), of either generation.")
class AdminUnit(Node):
    id: strawberry.ID = strawberry.field(
        description="generation:level:code, e.g. current:commune:27694.")
    code: str
    name: str
    short_name: str | None
    unit_type: str | None = strawberry.field(description="Tỉnh, Thành phố, Phường, Xã, ...")
    level: AdminUnitLevel
    generation: AdminUnitGeneration
    province_code: str | None
    latitude: float | None
    longitude: float | None
    area_km2: float | None
    boundary_wkt: str | None = strawberry.field(
        description="The unit's outline, a WKT polygon or multipolygon in WGS84 longitude / "
                    "latitude, from the boundary file the province's operator provides "
                    "(simplified to about a metre); null where there is none.")
    outline_wkt: str | None = strawberry.field(
        description="The outline the maps draw, a WKT polygon or multipolygon in WGS84 "
                    "longitude / latitude: boundaryWkt where the boundary file gives it; else, "
                    "for a commune with surveyed parcels, derived from them (their union, gaps "
                    "of a few metres closed, holes filled, simplified to about a metre); null "
                    "where there is neither. outlineSource says which.")
    outline_source: OutlineSource | None = strawberry.field(
        description="Where outlineWkt comes from; null without an outline.")
    parent_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: dict) -> AdminUnit:
        values = row_fields(row)
        source = row.get("outline_source")
        return cls(**{**values, "level": AdminUnitLevel(row["level"]),
                      "generation": AdminUnitGeneration(row["generation"]),
                      "outline_source": OutlineSource(source) if source else None})

    @strawberry.field(description="The province (or legacy district) this unit belongs to.")
    def parent(self, info: Info) -> AdminUnit | None:
        if self.parent_id is None:
            return None
        return resolved(info.context.loaders.admin_unit_by_id.load(self.parent_id),
                        lambda row: AdminUnit.from_row(row) if row else None)

    @strawberry.field(description="The units directly under this one, by code.")
    def children(self, info: Info) -> list[AdminUnit]:
        return resolved(info.context.loaders.admin_units_by_parent.load((self.id, None)),
                        each(AdminUnit.from_row))

    @strawberry.field(description="For a legacy unit: the current units its area went to "
                                  "(provinces to provinces, districts and communes to "
                                  "communes).")
    async def successors(self, info: Info) -> list[AdminUnitSuccession]:
        if self.generation is not AdminUnitGeneration.LEGACY:
            return []
        rows = await info.context.loaders.admin_unit_successions.load(self.id)
        return [row for row in rows if row.legacy_id == self.id]

    @strawberry.field(description="For a current unit: the legacy units its area came from.")
    async def predecessors(self, info: Info) -> list[AdminUnitSuccession]:
        if self.generation is not AdminUnitGeneration.CURRENT:
            return []
        rows = await info.context.loaders.admin_unit_successions.load(self.id)
        return [row for row in rows if row.current_id == self.id]


