from __future__ import annotations

import datetime
import enum
from typing import TYPE_CHECKING

import strawberry

from graphql_api.core import prefetch
from graphql_api.core.aggregates import aggregate
from graphql_api.core.batching import settle
from graphql_api.core.common import (
    AdminUnitRef,
    CommuneSet,
    commune_set,
    date_range,
    day_after,
)
from graphql_api.core.context import Info
from graphql_api.core.errors import BAD_USER_INPUT, CodedError, parse_uuid
from graphql_api.core.pagination import Connection, Filtered, Order, fetch_page
from graphql_api.land.types import (
    LAND_PARCEL_COLUMNS,
    LAND_PARCEL_SOURCE,
    LAND_PARCEL_VERSION_COLUMNS,
    LandParcel,
)

if TYPE_CHECKING:
    from graphql_api.loaders import Loaders

LAND_PARCEL_HISTORY_SOURCE = "marts.dim_land_parcel_history"


@strawberry.enum
class LandParcelOrder(enum.Enum):
    ID = Order("land_parcel_id", (("land_parcel_id", "uuid"),))
    PARCEL_NUMBER = Order("land_parcel_number", (
        ("legacy_commune_code", "text"), ("coalesce(map_sheet_number, -1)", "integer"),
        ("coalesce(parcel_number, -1)", "integer"), ("land_parcel_id", "uuid")))
    AREA_ASC = Order("land_parcel_area", (("coalesce(area_m2, -1)", "numeric"),
                                          ("land_parcel_id", "uuid")))
    AREA_DESC = Order("land_parcel_area_desc", (("coalesce(area_m2, -1)", "numeric"),
                                                ("land_parcel_id", "uuid")), descending=True)


@strawberry.input
class LandParcelFilter:
    admin_unit: AdminUnitRef | None = strawberry.field(
        default=None, description="In this admin unit (or anywhere under it).")
    land_use_code: list[str] | None = strawberry.field(
        default=None, description="Any of these land-use codes (LUC, ONT, ODT, ...).")
    land_use_group: str | None = strawberry.field(
        default=None, description="agricultural, residential, non_agricultural, public or unused.")
    map_sheet_number: int | None = strawberry.field(
        default=None, description="On this map sheet (số tờ bản đồ).")
    parcel_number: int | None = strawberry.field(
        default=None, description="With this parcel number (số thửa).")
    area_min_m2: float | None = None
    area_max_m2: float | None = None
    planning_zone: list[str] | None = None
    certificate_issued_from: datetime.date | None = None
    certificate_issued_to: datetime.date | None = None


async def land_parcel_query(loaders: Loaders, filter: LandParcelFilter | None) -> Filtered:
    communes = None
    if filter is not None and filter.admin_unit is not None:
        communes = await commune_set(loaders, filter.admin_unit)
    return land_parcel_conditions(filter, communes)


def land_parcel_conditions(filter: LandParcelFilter | None,
                           communes: CommuneSet | None) -> Filtered:
    """The filter as conditions on the parcels, the admin unit's communes given (checked by
    the caller: the resolver asks its loader, the query compiler its one statement)."""
    query = Filtered(LAND_PARCEL_SOURCE, LAND_PARCEL_COLUMNS)
    if filter is None:
        return query
    if communes is not None:
        query.add_condition(communes.condition("legacy_commune_code", "current_commune_code"))
    if filter.land_use_code is not None:
        query.add("land_use_code = any(%s)", [c.strip().upper() for c in filter.land_use_code])
    if filter.land_use_group is not None:
        query.add("land_use_group = %s", filter.land_use_group)
    if filter.map_sheet_number is not None:
        query.add("map_sheet_number = %s", filter.map_sheet_number)
    if filter.parcel_number is not None:
        query.add("parcel_number = %s", filter.parcel_number)
    if (filter.area_min_m2 is not None and filter.area_max_m2 is not None
            and filter.area_min_m2 > filter.area_max_m2):
        raise CodedError("areaMinM2 is larger than areaMaxM2", BAD_USER_INPUT)
    if filter.area_min_m2 is not None:
        query.add("area_m2 >= %s", filter.area_min_m2)
    if filter.area_max_m2 is not None:
        query.add("area_m2 <= %s", filter.area_max_m2)
    if filter.planning_zone is not None:
        query.add("planning_zone = any(%s)", filter.planning_zone)
    date_range(filter.certificate_issued_from, filter.certificate_issued_to,
               "certificate issue date")
    if filter.certificate_issued_from is not None:
        query.add("certificate_issued_on >= %s", filter.certificate_issued_from)
    if filter.certificate_issued_to is not None:
        query.add("certificate_issued_on <= %s", filter.certificate_issued_to)
    return query


@strawberry.enum
class LandAreaDimension(enum.Enum):
    COMMUNE = (("current_commune_code", "commune_code"),)
    LEGACY_COMMUNE = (("legacy_commune_code", "legacy_commune_code"),)
    LAND_USE = (("land_use_code", "land_use_code"), ("land_use_name_vi", "land_use_name_vi"),
                ("land_use_name_en", "land_use_name_en"))
    LAND_USE_GROUP = (("land_use_group", "land_use_group"),)
    PLANNING_ZONE = (("planning_zone", "planning_zone"),
                     ("planning_zone_code", "planning_zone_code"),
                     ("planning_zone_name_en", "planning_zone_name_en"))


@strawberry.type(description="One group of parcels: the dimensions asked for are set, the "
                             "others null.")
class LandAreaRow:
    commune_code: str | None = strawberry.field(default=None,
                                                description="Current commune code.")
    legacy_commune_code: str | None = None
    land_use_code: str | None = None
    land_use_name_vi: str | None = None
    land_use_name_en: str | None = None
    land_use_group: str | None = None
    planning_zone: str | None = None
    planning_zone_code: str | None = None
    planning_zone_name_en: str | None = None
    parcel_count: int = 0
    total_area_m2: float = 0.0


@strawberry.type
class LandQueries:
    @strawberry.field(description="A land parcel by kho ID; with asOf, as the register "
                                  "recorded it on that date (null before kho's first record "
                                  "of it). Null when there is none.")
    async def land_parcel(self, info: Info, id: strawberry.ID,
                          as_of: datetime.date | None = None) -> LandParcel | None:
        parcel_id = parse_uuid(id, "id")
        if as_of is None:
            parcel = await settle(info.context.loaders.land_parcel(parcel_id))
            if parcel is not None:
                await prefetch.land_parcels(info.context, [parcel.id], prefetch.selection(info),
                                            None, loaded=True)
            return parcel
        moment = day_after(as_of)
        row = await info.context.session.fetch_one(
            f"select {LAND_PARCEL_VERSION_COLUMNS} from {LAND_PARCEL_HISTORY_SOURCE} "
            f"where land_parcel_id = %s and valid_from < %s "
            f"and (valid_to is null or valid_to >= %s)", [parcel_id, moment, moment])
        return LandParcel.from_row(row, as_of) if row else None

    @strawberry.field(description="Land parcels matching a filter, in a stable order.")
    async def land_parcels(self, info: Info, filter: LandParcelFilter | None = None,
                           order_by: LandParcelOrder = LandParcelOrder.ID,
                           first: int | None = None, after: str | None = None
                           ) -> Connection[LandParcel]:
        query = await land_parcel_query(info.context.loaders, filter)
        page = await fetch_page(info.context.session, query, order_by.value, first, after,
                                LandParcel.from_row)
        await prefetch.land_parcels(info.context, [p.id for p in page.nodes],
                                    prefetch.selection(info).nodes(), None, loaded=True)
        return page

    @strawberry.field(description="Parcel count and land area grouped by the dimensions "
                                  "asked for (by default land use).")
    async def land_area_by_use(self, info: Info, filter: LandParcelFilter | None = None,
                               group_by: list[LandAreaDimension] | None = None
                               ) -> list[LandAreaRow]:
        query = await land_parcel_query(info.context.loaders, filter)
        dimensions = group_by if group_by is not None else [LandAreaDimension.LAND_USE]
        rows = await aggregate(info.context.session, query, [d.value for d in dimensions],
                               "count(*) as parcel_count, "
                               "coalesce(sum(area_m2), 0)::float8 as total_area_m2")
        return [LandAreaRow(**row) for row in rows]
