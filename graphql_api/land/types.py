from __future__ import annotations

import datetime

import strawberry

LAND_PARCEL_COLUMNS = (
    "land_parcel_id", "legacy_commune_code", "current_commune_code", "map_sheet_number",
    "parcel_number", "area_m2", "land_use_code", "planning_zone", "boundary_wkt",
    "certificate_serial", "certificate_issued_on", "source_updated_at",
)


@strawberry.type(description="A land parcel (thửa đất).")
class LandParcel:
    id: strawberry.ID = strawberry.field(description="Stable kho ID of the parcel.")
    legacy_commune_code: str = strawberry.field(description="Commune, pre-2025 code.")
    current_commune_code: str | None = strawberry.field(
        description="Commune on the post-2025 map.")
    map_sheet_number: int | None = strawberry.field(description="Số tờ bản đồ.")
    parcel_number: int | None = strawberry.field(description="Số thửa.")
    area_m2: float | None
    land_use_code: str | None = strawberry.field(
        description="Land-use code from the national list (LUC, ONT, ODT, ...).")
    planning_zone: str | None
    boundary_wkt: str | None = strawberry.field(
        description="Boundary as a WKT polygon, WGS84 longitude / latitude.")
    certificate_serial: str | None
    certificate_issued_on: datetime.date | None
    source_updated_at: datetime.datetime | None

    @classmethod
    def from_row(cls, row: dict) -> LandParcel:
        area = row["area_m2"]
        return cls(
            id=strawberry.ID(str(row["land_parcel_id"])),
            legacy_commune_code=row["legacy_commune_code"],
            current_commune_code=row["current_commune_code"],
            map_sheet_number=row["map_sheet_number"],
            parcel_number=row["parcel_number"],
            area_m2=float(area) if area is not None else None,
            land_use_code=row["land_use_code"],
            planning_zone=row["planning_zone"],
            boundary_wkt=row["boundary_wkt"],
            certificate_serial=row["certificate_serial"],
            certificate_issued_on=row["certificate_issued_on"],
            source_updated_at=row["source_updated_at"],
        )
