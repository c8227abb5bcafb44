"""Open data: the catalogue (``datasets``) and bulk downloads of the open datasets.

Downloads stream: CSV is PostgreSQL's own ``COPY ... TO STDOUT`` passed through as it
arrives, GeoJSON is built feature by feature from a server-side cursor, so neither holds
the dataset in memory. Both read the published marts, like the API.

The parcels can be filtered by query parameters that mirror ``LandParcelFilter`` (the
planners' map draws a commune's parcels from ``land_parcels.geojson?admin_unit=...``, and
its table asks ``landParcels`` with the same filter): one condition builder serves both.
"""

from __future__ import annotations

import datetime
import enum
import json
import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import psycopg
import strawberry

from graphql_api.access.field_rules import Classification
from graphql_api.access.grants import ANY, DataClass, Need, open_
from graphql_api.core.common import AdminUnitGeneration, AdminUnitRef
from graphql_api.core.context import Info
from graphql_api.core.database import Database
from graphql_api.core.errors import BAD_USER_INPUT, CodedError
from graphql_api.core.pagination import Filtered
from graphql_api.land.queries import LandParcelFilter, land_parcel_query
from graphql_api.loaders import Loaders

LICENCE = "CC BY 4.0"
STREAM_BLOCK_BYTES = 64 * 1024  # what a CSV download sends at a time


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title_vi: str
    title_en: str
    description: str
    owner: str
    dataset: str  # the grant that governs it
    data_class: DataClass
    mart: str
    # For open datasets: the columns published, in order.
    columns: tuple[str, ...] = ()
    where: str = "true"
    geojson: bool = False


CATALOGUE = (
    DatasetSpec(
        "admin_units", "Đơn vị hành chính", "Administrative units",
        "Provinces, legacy districts and communes of both generations (before and after "
        "1 July 2025), with codes, names, parents and centre coordinates.",
        "Sở Nội vụ (Department of Home Affairs)", ANY, DataClass.OPEN, "dim_admin_unit",
        ("admin_unit_id", "generation", "level", "admin_unit_code", "admin_unit_name",
         "short_name", "unit_type", "parent_admin_unit_id", "province_code", "latitude",
         "longitude", "area_km2")),
    DatasetSpec(
        "land_parcels", "Thửa đất", "Land parcels",
        "Every parcel of the land register: commune (legacy and current), map sheet, parcel "
        "number, area, land use, planning zone and boundary. No holders.",
        "Sở Nông nghiệp và Môi trường (Department of Agriculture and Environment)", "land",
        DataClass.OPEN, "dim_land_parcel",
        ("land_parcel_id", "legacy_commune_code", "current_commune_code", "map_sheet_number",
         "parcel_number", "area_m2", "land_use_code", "land_use_group", "land_use_name_vi",
         "land_use_name_en", "planning_zone", "boundary_wkt"), geojson=True),
    DatasetSpec(
        "enterprises", "Doanh nghiệp và hộ kinh doanh", "Enterprises and household businesses",
        "Public registration facts of enterprises, branches and household businesses: code, "
        "name, legal form, industry, status, address, registration date.",
        "Sở Tài chính (Department of Finance)", "enterprise", DataClass.OPEN,
        "dim_organization",
        ("organization_id", "organization_type", "enterprise_code", "registration_number",
         "organization_name", "legal_form_code", "industry_code", "status",
         "legacy_commune_code", "current_commune_code", "address_line", "registered_on",
         "charter_capital_vnd"),
        where="organization_type <> 'state_agency'"),
    DatasetSpec(
        "land_rights", "Quyền sử dụng đất", "Land-use rights",
        "Who holds each parcel, in what share, from and until when; holders' names are "
        "personal data.", "Sở Nông nghiệp và Môi trường (Department of Agriculture and "
        "Environment)", "land", DataClass.SHARED, "fct_land_right"),
    DatasetSpec(
        "persons", "Công dân", "Persons",
        "The person master record: one per real person across the agency systems, with "
        "name, ID numbers, birth and death.", "Công an tỉnh (Provincial Police)", ANY,
        DataClass.PERSONAL, "dim_person"),
    DatasetSpec(
        "civil_events", "Hộ tịch", "Civil registry events",
        "Births, marriages and deaths as registered.", "Sở Tư pháp (Department of Justice)",
        "civil_registry", DataClass.PERSONAL, "fct_civil_event"),
    DatasetSpec(
        "employment", "Cán bộ, công chức", "Civil servants",
        "Assignments of civil servants to state agencies: position, grade and salary.",
        "Sở Nội vụ (Department of Home Affairs)", "cadre", DataClass.SHARED, "fct_employment"),
)
BY_NAME = {spec.name: spec for spec in CATALOGUE}


@strawberry.enum
class DataClassification(enum.Enum):
    OPEN = "open"
    SHARED = "shared"
    PERSONAL = "personal"


@strawberry.type(description="A dataset kho publishes or shares, with how to get it.")
class Dataset:
    name: str
    title_vi: str
    title_en: str
    description: str
    owning_agency: str
    licence: str | None = strawberry.field(description="For open datasets.")
    classification: DataClassification
    grant: str | None = strawberry.field(
        description="The grant an agency client needs (DATASET:CLASS); null for open data.")
    row_count: int | None = strawberry.field(description="Rows in the last publication.")
    last_refreshed_at: datetime.datetime | None = strawberry.field(
        description="When the data was last published.")
    download_urls: list[str] = strawberry.field(
        description="Bulk downloads (open datasets): CSV, and GeoJSON for parcels.")


LAST_PUBLICATION = ("select marts, published_at from kho_meta.publications "
                    "order by publication_id desc limit 1")


@strawberry.type
class OpenDataQueries:
    @strawberry.field(description="The catalogue: every dataset, its owner, licence, "
                                  "classification, size and freshness.")
    async def datasets(self, info: Info) -> list[Dataset]:
        try:
            row = await info.context.session.fetch_one(LAST_PUBLICATION)
        except psycopg.errors.UndefinedTable:
            row = None
        counts, published_at = (row["marts"], row["published_at"]) if row else ({}, None)
        return [Dataset(
            name=spec.name, title_vi=spec.title_vi, title_en=spec.title_en,
            description=spec.description, owning_agency=spec.owner,
            licence=LICENCE if spec.data_class is DataClass.OPEN else None,
            classification=DataClassification(spec.data_class.label),
            grant=None if spec.data_class is DataClass.OPEN else str(
                Need(spec.dataset, spec.data_class)),
            row_count=counts.get(spec.mart), last_refreshed_at=published_at,
            download_urls=download_urls(spec)) for spec in CATALOGUE]


def download_urls(spec: DatasetSpec) -> list[str]:
    if spec.data_class is not DataClass.OPEN:
        return []
    return [f"/opendata/{spec.name}.csv"] + ([f"/opendata/{spec.name}.geojson"]
                                             if spec.geojson else [])


CLASSIFICATION = Classification(types={"Dataset": open_()})


# --- downloads ------------------------------------------------------------------------

def open_spec(name: str, extension: str) -> DatasetSpec | None:
    spec = BY_NAME.get(name)
    if spec is None or spec.data_class is not DataClass.OPEN:
        return None
    if extension == "geojson" and not spec.geojson:
        return None
    return spec if extension in ("csv", "geojson") else None


# Query parameters of a filtered parcel download: LandParcelFilter's fields, in snake case.
# Lists repeat the parameter (land_use_code=LUC&land_use_code=ONT); the others come once.
PARCEL_LISTS = ("land_use_code", "planning_zone")
PARCEL_NUMBERS = ("area_min_m2", "area_max_m2")
PARCEL_DATES = ("certificate_issued_from", "certificate_issued_to")
PARCEL_TEXTS = ("admin_unit", "generation", "land_use_group")
PARCEL_PARAMETERS = (*PARCEL_TEXTS, *PARCEL_NUMBERS, *PARCEL_DATES, *PARCEL_LISTS)


def land_parcel_filter(params) -> LandParcelFilter | None:
    """The filter a download's query parameters ask for (None for none); an unknown
    parameter, a single one given twice or a value that is not one is BAD_USER_INPUT,
    never silently ignored."""
    unknown = sorted(set(params) - set(PARCEL_PARAMETERS))
    if unknown:
        raise CodedError(f"unknown parameter {unknown[0]!r}; a parcel download filters by "
                         f"{', '.join(PARCEL_PARAMETERS)}", BAD_USER_INPUT)
    if not params:
        return None
    twice = [name for name in params if name not in PARCEL_LISTS
             and len(params.getlist(name)) > 1]
    if twice:
        raise CodedError(f"{twice[0]} is given more than once", BAD_USER_INPUT)
    values: dict = {name: params.getlist(name) for name in PARCEL_LISTS if name in params}
    for name in PARCEL_NUMBERS:
        if name in params:
            values[name] = _parsed(name, params[name], float, "a number")
            if not math.isfinite(values[name]):
                raise CodedError(f"{name} must be a finite number", BAD_USER_INPUT)
    for name in PARCEL_DATES:
        if name in params:
            values[name] = _parsed(name, params[name], datetime.date.fromisoformat,
                                   "a date (YYYY-MM-DD)")
    if "admin_unit" in params:
        generation = params.get("generation", "current").upper()
        if generation not in AdminUnitGeneration.__members__:
            raise CodedError("generation must be current or legacy", BAD_USER_INPUT)
        values["admin_unit"] = AdminUnitRef(code=params["admin_unit"],
                                            generation=AdminUnitGeneration[generation])
    elif "generation" in params:
        raise CodedError("generation qualifies admin_unit, which is missing", BAD_USER_INPUT)
    return LandParcelFilter(land_use_group=params.get("land_use_group"), **values)


def _parsed(name: str, text: str, parse, what: str):
    try:
        return parse(text)
    except ValueError:
        raise CodedError(f"{name} must be {what}, got {text!r}", BAD_USER_INPUT) from None


async def filtered(loaders: Loaders, spec: DatasetSpec, params) -> Filtered:
    """The rows of a download: the dataset's own condition, and for parcels the filter of
    the query parameters."""
    if spec.name != "land_parcels":
        if params:
            raise CodedError(f"{spec.name} downloads take no parameters", BAD_USER_INPUT)
        query = Filtered(f"marts.{spec.mart}", "")
    else:
        query = await land_parcel_query(loaders, land_parcel_filter(params))
    query.add(spec.where)
    return query


async def stream_csv(database: Database, spec: DatasetSpec, query: Filtered
                     ) -> AsyncIterator[bytes]:
    statement = (f"copy (select {', '.join(spec.columns)} from {query.source}"
                 f"{query.where()} order by 1) to stdout with (format csv, header)")
    # COPY hands over a row at a time: sent in blocks, so the response (and its gzip, which
    # flushes per block) does not pay per row.
    block = bytearray()
    async with database.pool.connection() as conn, conn.cursor() as cursor, \
            cursor.copy(statement, query.params) as copy:
        async for chunk in copy:
            block += chunk
            if len(block) >= STREAM_BLOCK_BYTES:
                yield bytes(block)
                block.clear()
    if block:
        yield bytes(block)


_RING = re.compile(r"\(([^()]+)\)")


def wkt_polygon(wkt: str | None) -> dict | None:
    """A GeoJSON geometry of a WKT POLYGON (the register's boundaries are simple
    polygons); None for an empty or other boundary."""
    if not wkt or not wkt.upper().startswith("POLYGON"):
        return None
    rings = [[[float(x) for x in point.split()] for point in ring.split(",")]
             for ring in _RING.findall(wkt)]
    return {"type": "Polygon", "coordinates": rings} if rings else None


async def stream_geojson(database: Database, spec: DatasetSpec, query: Filtered
                         ) -> AsyncIterator[bytes]:
    properties = [c for c in spec.columns if c != "boundary_wkt"]
    statement = (f"select {', '.join(properties)}, boundary_wkt from {query.source}"
                 f"{query.where()} order by 1")
    yield b'{"type":"FeatureCollection","features":[\n'
    first = True
    async with database.pool.connection() as conn, conn.transaction(), \
            conn.cursor(name="kho_geojson") as cursor:
        await cursor.execute(statement, query.params)
        while rows := await cursor.fetchmany(2_000):
            parts = []
            for row in rows:
                feature = {"type": "Feature", "id": str(row[spec.columns[0]]),
                           "geometry": wkt_polygon(row["boundary_wkt"]),
                           "properties": {c: _json_value(row[c]) for c in properties}}
                parts.append(("" if first else ",\n")
                             + json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
                first = False
            yield "".join(parts).encode()
    yield b"\n]}\n"


def _json_value(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return float(value) if hasattr(value, "is_finite") else str(value)
