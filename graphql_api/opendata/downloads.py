"""Bulk downloads of the open datasets: ``GET /opendata/{name}.{csv|geojson}``.

Downloads stream: CSV is PostgreSQL's own ``COPY ... TO STDOUT`` passed through as it
arrives, GeoJSON is built feature by feature from a server-side cursor, so neither holds
the dataset in memory. Both read the published marts, like the API. The answer starts only
once the warehouse has begun sending rows, so a refused parameter, a warehouse that cannot
be reached or a statement that fails is answered with its code and status (400, 503, ...)
rather than a file cut short; a download is logged when it ends, ``ok`` only when the whole
file went out. Its ``Kho-Change-Cursor`` header is the change feed's cursor when it began,
where a subscriber starting from the file follows on.

The parcels can be filtered by query parameters that mirror ``LandParcelFilter`` (the
planners' map draws a commune's parcels from ``land_parcels.geojson?admin_unit=...``, and
its table asks ``landParcels`` with the same filter): one condition builder serves both.
"""

from __future__ import annotations

import datetime
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from graphql_api.access import log_writer
from graphql_api.access.caller import FORBIDDEN
from graphql_api.access.gate import RETRY_AFTER_SECONDS, Gate, refusal
from graphql_api.access.grants import DataClass
from graphql_api.access.log_writer import AccessLog
from graphql_api.core.common import AdminUnitGeneration, AdminUnitRef
from graphql_api.core.database import Database, Session
from graphql_api.core.errors import (
    BAD_USER_INPUT,
    INTERNAL_MESSAGE,
    INTERNAL_SERVER_ERROR,
    NOT_FOUND,
    CodedError,
    code_of,
)
from graphql_api.core.pagination import Filtered
from graphql_api.land.queries import LandParcelFilter, land_parcel_query
from graphql_api.loaders import Loaders
from graphql_api.opendata.catalogue import BY_NAME, DatasetSpec

STREAM_BLOCK_BYTES = 64 * 1024  # what a CSV download sends at a time
# The change feed's cursor when the download began: follow on with changes(after: ...).
CHANGE_CURSOR_HEADER = "Kho-Change-Cursor"
CHANGE_CURSOR = "select coalesce(max(cursor), 0) as cursor from changes.events"

log = logging.getLogger(__name__)


class Downloads:
    """The download endpoint: admitted by the gate like a GraphQL request, and logged with
    its parameters, refused or not."""

    def __init__(self, database: Database, gate: Gate, access_log: AccessLog | None):
        self.database, self.gate, self.access_log = database, gate, access_log

    async def download(self, request: Request) -> Response:
        name, extension = request.path_params["name"], request.path_params["format"]
        admitted = await self.gate.admit(request, f"download {name}.{extension}")
        if isinstance(admitted, Response):
            return admitted
        spec = open_spec(name, extension)
        if spec is None:
            return refusal(f"no open dataset {name}.{extension}; the catalogue (query "
                           f"datasets) lists the downloads", NOT_FOUND, 404)
        operation = f"download {name}.{extension}"
        parameters = {key: request.query_params.getlist(key) for key in request.query_params}

        def record(outcome: str, code: str | None = None) -> None:
            if self.access_log is not None:
                self.access_log.record(log_writer.entry(
                    admitted, outcome, operation_type=operation, variables=parameters or None,
                    error_codes=[code] if code else []))

        async def start() -> tuple[AsyncIterator[bytes], dict[str, str]]:
            if any("\x00" in text for item in request.query_params.multi_items()
                   for text in item):
                raise CodedError("parameters may not contain NUL characters (U+0000)",
                                 BAD_USER_INPUT)
            shape = output_shape(spec, extension, request.query_params)
            session = Session(self.database)
            query = await filtered(Loaders(session, admitted), spec,
                                   filter_parameters(request.query_params))
            # Read before the rows: a subscriber replays from here at worst a few events
            # the file already holds, never misses one.
            cursor = (await session.fetch_one(CHANGE_CURSOR))["cursor"]
            stream = (stream_csv if extension == "csv" else stream_geojson)(
                self.database, spec, query, shape)
            return stream, {CHANGE_CURSOR_HEADER: str(cursor)}

        media_type = "text/csv; charset=utf-8" if extension == "csv" else "application/geo+json"
        return await self.respond(start, record, operation, f"{name}.{extension}", media_type)

    async def respond(self, start: Callable[[], Awaitable[tuple[AsyncIterator[bytes],
                                                                 dict[str, str]]]],
                      record: Callable[..., None], operation: str, filename: str,
                      media_type: str) -> Response:
        """The file ``start`` streams (with the headers it adds), answered only once its
        first block is in hand: a refusal or a failure before that is answered with its
        code and status, never as a file cut short."""
        stream = None
        try:
            stream, headers = await start()
            first = await anext(stream, b"")
        except Exception as err:
            if stream is not None:
                await stream.aclose()
            coded = err if isinstance(err, CodedError) else self.database.coded_error(err)
            if coded is None:
                log.exception("download %s failed before it started", operation)
                record("failed", INTERNAL_SERVER_ERROR)
                return refusal(INTERNAL_MESSAGE, INTERNAL_SERVER_ERROR, 500)
            code = code_of(coded)
            record("failed", code)
            status = coded.http_status or {NOT_FOUND: 404, FORBIDDEN: 403}.get(code, 400)
            return refusal(coded.message, code, status,
                           {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None)
        return StreamingResponse(self._logged(first, stream, record, operation),
                                 media_type=media_type,
                                 headers={**attachment(filename), **headers})

    async def _logged(self, first: bytes, rest: AsyncIterator[bytes],
                      record: Callable[..., None], operation: str) -> AsyncIterator[bytes]:
        """The file, logged once it has all gone out (or as failed, when it could not)."""
        outcome, code = "failed", "CLIENT_DISCONNECTED"
        try:
            yield first
            async for chunk in rest:
                yield chunk
            outcome, code = "ok", None
        except Exception as err:
            coded = self.database.coded_error(err)
            code = code_of(coded) if coded is not None else INTERNAL_SERVER_ERROR
            log.exception("download %s failed on its way out", operation)
            raise
        finally:
            record(outcome, code)


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def open_spec(name: str, extension: str) -> DatasetSpec | None:
    spec = BY_NAME.get(name)
    if spec is None or spec.data_class is not DataClass.OPEN:
        return None
    if extension == "geojson" and not spec.geojson:
        return None
    return spec if extension in ("csv", "geojson") else None


# Query parameters of every download that shape its output rather than choose its rows.
PROPERTIES, SKIP_GEOMETRY = "properties", "skip_geometry"
GEOMETRY_COLUMN = "boundary_wkt"


@dataclass(frozen=True)
class Shape:
    """What a download writes of each row: ``columns`` in the dataset's order (the key
    first; for GeoJSON the feature's properties, the key being also its id), and whether
    GeoJSON features carry their geometry."""

    columns: tuple[str, ...]
    geometry: bool = True


def output_shape(spec: DatasetSpec, extension: str, params) -> Shape:
    """The shape ``properties`` and ``skip_geometry`` ask for: ``properties`` names the
    columns (CSV) or feature properties (GeoJSON) to write, comma-separated or repeated,
    the key always written; ``skip_geometry=true`` leaves GeoJSON's geometries null. A
    name the dataset does not have, or a value that is not one, is BAD_USER_INPUT."""
    key = spec.columns[0]
    available = [c for c in spec.columns if extension == "csv" or c != GEOMETRY_COLUMN]
    columns = tuple(available)
    if PROPERTIES in params:
        asked = {name.strip() for value in params.getlist(PROPERTIES)
                 for name in value.split(",") if name.strip()}
        unknown = sorted(asked - set(available))
        if unknown:
            raise CodedError(f"{spec.name}.{extension} has no property {unknown[0]!r}; its "
                             f"properties are {', '.join(available)}", BAD_USER_INPUT)
        columns = tuple(c for c in available if c in asked)
        if extension == "csv" and key not in columns:
            columns = (key, *columns)
    geometry = True
    if SKIP_GEOMETRY in params:
        values = params.getlist(SKIP_GEOMETRY)
        if extension != "geojson":
            raise CodedError(f"{SKIP_GEOMETRY} is for GeoJSON downloads; a CSV leaves "
                             f"{GEOMETRY_COLUMN} out with {PROPERTIES}", BAD_USER_INPUT)
        if len(values) > 1 or values[0] not in ("true", "false"):
            raise CodedError(f"{SKIP_GEOMETRY} must be given once, as true or false",
                             BAD_USER_INPUT)
        geometry = values[0] == "false"
    return Shape(columns, geometry)


def filter_parameters(params) -> QueryParams:
    """The query parameters that choose a download's rows (all but the output's shape)."""
    return QueryParams([(name, value) for name, value in params.multi_items()
                        if name not in (PROPERTIES, SKIP_GEOMETRY)])


# Query parameters of a filtered parcel download: LandParcelFilter's fields, in snake case.
# Lists repeat the parameter (land_use_code=LUC&land_use_code=ONT); the others come once.
PARCEL_LISTS = ("land_use_code", "planning_zone")
PARCEL_NUMBERS = ("area_min_m2", "area_max_m2")
PARCEL_INTEGERS = ("map_sheet_number", "parcel_number")
PARCEL_DATES = ("certificate_issued_from", "certificate_issued_to")
PARCEL_TEXTS = ("admin_unit", "generation", "land_use_group")
PARCEL_PARAMETERS = (*PARCEL_TEXTS, *PARCEL_NUMBERS, *PARCEL_INTEGERS, *PARCEL_DATES,
                     *PARCEL_LISTS)


def land_parcel_filter(params) -> LandParcelFilter | None:
    """The filter a download's query parameters ask for (None for none); an unknown
    parameter, a single one given twice or a value that is not one is BAD_USER_INPUT,
    never silently ignored."""
    unknown = sorted(set(params) - set(PARCEL_PARAMETERS))
    if unknown:
        raise CodedError(f"unknown parameter {unknown[0]!r}; a parcel download filters by "
                         f"{', '.join(PARCEL_PARAMETERS)} (and takes {PROPERTIES} and "
                         f"{SKIP_GEOMETRY})", BAD_USER_INPUT)
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
    for name in PARCEL_INTEGERS:
        if name in params:
            values[name] = _parsed(name, params[name], int, "a whole number")
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
            raise CodedError(f"{spec.name} downloads take no filter, only {PROPERTIES}",
                             BAD_USER_INPUT)
        query = Filtered(f"marts.{spec.mart}", "")
    else:
        query = await land_parcel_query(loaders, land_parcel_filter(params))
    query.add(spec.where)
    return query


async def stream_csv(database: Database, spec: DatasetSpec, query: Filtered, shape: Shape
                     ) -> AsyncIterator[bytes]:
    async for block in stream_copy(database, f"select {', '.join(shape.columns)} from "
                                             f"{query.source}{query.where()} order by 1",
                                   query.params):
        yield block


async def stream_copy(database: Database, select: str, params) -> AsyncIterator[bytes]:
    """The rows of ``select`` as CSV with a header, as PostgreSQL's COPY writes them."""
    statement = f"copy ({select}) to stdout with (format csv, header)"
    # COPY hands over a row at a time: sent in blocks, so the response (and its gzip, which
    # flushes per block) does not pay per row.
    block = bytearray()
    async with database.pool.connection() as conn, conn.cursor() as cursor, \
            cursor.copy(statement, params) as copy:
        async for chunk in copy:
            block += chunk
            if len(block) >= STREAM_BLOCK_BYTES:
                yield bytes(block)
                block.clear()
    if block:
        yield bytes(block)


_RING = re.compile(r"\(([^()]+)\)")
_NUMBER = r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?"  # JSON's and WKT's alike
_POINT = rf"{_NUMBER} {_NUMBER}"
_WKT_RING = rf"\({_POINT}(?:, ?{_POINT})*\)"
# A two-dimensional POLYGON as the marts hold it: its numbers are JSON numbers already.
_PLAIN_POLYGON = re.compile(rf"POLYGON ?\({_WKT_RING}(?:, ?{_WKT_RING})*\)")


def wkt_polygon(wkt: str | None) -> dict | None:
    """A GeoJSON geometry of a WKT POLYGON (the register's boundaries are simple
    polygons); None for an empty or other boundary."""
    if not wkt or not wkt.upper().startswith("POLYGON"):
        return None
    rings = [[[float(x) for x in point.split()] for point in ring.split(",")]
             for ring in _RING.findall(wkt)]
    return {"type": "Polygon", "coordinates": rings} if rings else None


def geometry_json(wkt: str | None) -> bytes:
    """The GeoJSON geometry of a WKT boundary, as JSON text: a plain POLYGON by rewriting
    its text (checked whole first, so nothing but numbers is copied), any other through
    ``wkt_polygon`` (``null`` for what is not a polygon)."""
    if wkt and _PLAIN_POLYGON.fullmatch(wkt):
        rings = ",".join("[[" + ring.replace(", ", ",").replace(",", "],[").replace(" ", ",")
                         + "]]" for ring in _RING.findall(wkt))
        return b'{"type":"Polygon","coordinates":[' + rings.encode() + b"]}"
    return orjson.dumps(wkt_polygon(wkt))


async def stream_geojson(database: Database, spec: DatasetSpec, query: Filtered, shape: Shape
                         ) -> AsyncIterator[bytes]:
    """Each feature's JSON written by hand around orjson's for its id and properties and
    ``geometry_json``'s for its boundary: a commune of 20,000 parcels in a fraction of
    what encoding whole features as dictionaries takes."""
    key, properties = spec.columns[0], shape.columns
    geometry = GEOMETRY_COLUMN if shape.geometry else "null"
    statement = (f"select {key}, {geometry} as {GEOMETRY_COLUMN}"
                 f"{''.join(', ' + c for c in properties)} from {query.source}"
                 f"{query.where()} order by 1")
    separator = b""
    async with database.pool.connection() as conn, conn.transaction(), \
            conn.cursor(name="kho_geojson") as cursor:
        await cursor.execute(statement, query.params)
        yield b'{"type":"FeatureCollection","features":[\n'
        while rows := await cursor.fetchmany(2_000):
            parts = []
            for row in rows:
                parts += (separator, b'{"type":"Feature","id":', orjson.dumps(str(row[key])),
                          b',"geometry":', geometry_json(row[GEOMETRY_COLUMN]),
                          b',"properties":',
                          orjson.dumps({c: row[c] for c in properties}, default=_json_value),
                          b"}")
                separator = b",\n"
            yield b"".join(parts)
    yield b"\n]}\n"


def _json_value(value):
    """What orjson does not write itself: numerics (Decimal) as numbers, the rest as text."""
    return float(value) if hasattr(value, "is_finite") else str(value)
