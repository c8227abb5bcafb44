"""Communes' outlines derived from their parcels, for the communes the operator's boundary
file does not outline.

After ``dbt build`` and before publication, each commune's surveyed parcels (both
generations: a parcel's current and its legacy commune) are merged with shapely into the
commune's outline: the union of the parcels, with the gaps between neighbouring parcels up
to ``GAP_DEGREES`` closed (roads and ditches a survey left out, rounding between sheets),
its small holes filled (an unsurveyed pond is still the commune's; a hole as large as a
ward it encloses is not), simplified to about a metre as the boundary file's outlines are.
The outline is written into the build's ``dim_admin_unit`` (``outline_wkt``,
``outline_source`` = ``parcels``) beside what the boundary file gives (``outline_source`` =
``boundary_file``), and published with the rest of the build.

A run derives again only the communes whose parcels changed: each derived outline keeps the
digest of the geometries it came from (``outline_parcels_digest``), and a commune whose
digest matches the published one takes its published outline as it is.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
import shapely
from psycopg import sql
from shapely.geometry import MultiPolygon, Polygon

from pipelines.dbt.changes import table_columns
from pipelines.reference.boundaries import SIMPLIFY_DEGREES

BUILD_SCHEMA = "marts_build"
PUBLISHED_SCHEMA = "marts"
# Gaps narrower than about twice this (4 m) between parcels are closed; a commune's
# separate parts farther apart stay apart (a multipolygon).
GAP_DEGREES = 2e-5
# Parts of the union smaller than this share of the largest are slivers, not the commune.
MIN_PART_SHARE = 1e-4
# Holes up to this size (square metres) are filled: a pond, a block the survey left out.
HOLE_MAX_M2 = 20_000
METRES_PER_DEGREE = 111_320
PARCELS = "parcels"

# (admin_unit_id, digest of its parcels' geometries) per commune with surveyed parcels; the
# digest is over the parcels' WGS 84 outlines in parcel order.
_DIGESTS = """
    select admin_unit_id, md5(string_agg(md5(boundary_wkt), '' order by land_parcel_id))
    from (
        select 'current:commune:' || current_commune_code as admin_unit_id, land_parcel_id,
               boundary_wkt
        from {parcels} where current_commune_code is not null
        union all
        select 'legacy:commune:' || legacy_commune_code, land_parcel_id, boundary_wkt
        from {parcels} where legacy_commune_code is not null
    ) as located
    where boundary_wkt is not null
    group by admin_unit_id
"""


@dataclass(frozen=True)
class OutlineFigures:
    derived: int  # communes whose outline was derived in this run
    kept: int  # communes whose parcels did not change: the published outline kept
    from_boundary_file: int  # communes the boundary file outlines (nothing derived)
    seconds: float


def derive_outline(wkts: Sequence[str]) -> str | None:
    """The outline of parcels given as WKT polygons (WGS 84): a polygon or multipolygon as
    WKT, or None when none of them is a usable polygon."""
    shapes = shapely.from_wkt(np.asarray(wkts, dtype=object), on_invalid="ignore")
    shapes = shapes[~shapely.is_missing(shapes) & ~shapely.is_empty(shapes)]
    if not len(shapes):
        return None
    invalid = ~shapely.is_valid(shapes)
    shapes[invalid] = shapely.make_valid(shapes[invalid])
    merged = shapely.union_all(shapes)
    closed = shapely.buffer(shapely.buffer(merged, GAP_DEGREES, join_style="mitre"),
                            -GAP_DEGREES, join_style="mitre")
    parts = [_small_holes_filled(part) for part in shapely.get_parts(closed)
             if isinstance(part, Polygon) and not part.is_empty]
    if not parts:
        return None
    largest = max(part.area for part in parts)
    parts = [part for part in parts if part.area >= largest * MIN_PART_SHARE]
    # Filled parts may now overlap (a part inside another's hole): merge them again.
    outline = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    simplified = outline.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    if isinstance(simplified, Polygon | MultiPolygon) and not simplified.is_empty:
        outline = simplified
    return shapely.to_wkt(outline, rounding_precision=6)


def _small_holes_filled(part: Polygon) -> Polygon:
    """The part with its holes up to ``HOLE_MAX_M2`` filled."""
    latitude = part.centroid.y
    square_metres = METRES_PER_DEGREE ** 2 * np.cos(np.radians(latitude))
    kept = [ring for ring in part.interiors
            if Polygon(ring).area * square_metres > HOLE_MAX_M2]
    return Polygon(part.exterior, kept)


def _published(conn: psycopg.Connection) -> dict[str, tuple[str, str]]:
    """admin_unit_id -> (digest, outline) of the published derived outlines."""
    if "outline_parcels_digest" not in table_columns(conn, PUBLISHED_SCHEMA, "dim_admin_unit"):
        return {}
    return {unit: (digest, wkt) for unit, digest, wkt in conn.execute(
        "select admin_unit_id, outline_parcels_digest, outline_wkt from marts.dim_admin_unit "
        "where outline_source = %s and outline_parcels_digest is not null", (PARCELS,))}


def _parcel_outlines(conn: psycopg.Connection, units: Iterable[str]
                     ) -> Iterable[tuple[str, list[str]]]:
    """(admin_unit_id, its parcels' WKT) for each of the communes, one at a time."""
    for unit in sorted(units):
        generation, _, code = unit.split(":")
        column = "current_commune_code" if generation == "current" else "legacy_commune_code"
        rows = conn.execute(sql.SQL(
            "select boundary_wkt from {} where {} = %s and boundary_wkt is not null").format(
                sql.Identifier(BUILD_SCHEMA, "dim_land_parcel"), sql.Identifier(column)),
            (code,)).fetchall()
        yield unit, [row[0] for row in rows]


def derive_outlines(conn: psycopg.Connection) -> OutlineFigures:
    """Writes the derived outlines into the build's dim_admin_unit (``marts_build``)."""
    started = time.monotonic()
    digests = conn.execute(sql.SQL(_DIGESTS).format(
        parcels=sql.Identifier(BUILD_SCHEMA, "dim_land_parcel"))).fetchall()
    outlined = {row[0] for row in conn.execute(sql.SQL(
        "select admin_unit_id from {} where level = 'commune' and boundary_wkt is not null"
        ).format(
            sql.Identifier(BUILD_SCHEMA, "dim_admin_unit")))}
    published = _published(conn)
    wanted = {unit: digest for unit, digest in digests if unit not in outlined}
    kept = {unit: (digest, published[unit][1]) for unit, digest in wanted.items()
            if unit in published and published[unit][0] == digest}
    derived = {}
    for unit, wkts in _parcel_outlines(conn, set(wanted) - set(kept)):
        derived[unit] = (wanted[unit], derive_outline(wkts))
    rows = [(unit, digest, wkt) for unit, (digest, wkt) in {**kept, **derived}.items()
            if wkt is not None]
    with conn.cursor() as cursor:
        cursor.execute("create temporary table derived_outlines (admin_unit_id text, "
                       "digest text, outline_wkt text) on commit drop")
        with cursor.copy("copy derived_outlines from stdin") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(sql.SQL("""
            update {} as units
            set outline_wkt = derived_outlines.outline_wkt, outline_source = %s,
                outline_parcels_digest = derived_outlines.digest
            from derived_outlines
            where units.admin_unit_id = derived_outlines.admin_unit_id
              and units.boundary_wkt is null
        """).format(sql.Identifier(BUILD_SCHEMA, "dim_admin_unit")), (PARCELS,))
    return OutlineFigures(len(derived), len(kept), len(outlined),
                          round(time.monotonic() - started, 3))
