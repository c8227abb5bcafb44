"""Land parcel boundaries from the register's own coordinate system to WGS 84, on the way in.

Land registers keep boundaries in VN-2000 metres on a provincial TM-3 zone (Decision
05/2007/QĐ-BTNMT gives each province its central meridian and the seven-parameter shift to
WGS 84) and name the system beside each boundary, as EPSG names it: ``VN-2000 / TM-3
105-45`` is the zone whose central meridian is 105°45'. kho keeps that boundary as it came
and adds its WGS 84 longitude / latitude, transformed here with pyproj as rows stream from
the source (the warehouse has no PostGIS).

A boundary that cannot be read, in a system kho does not know, or that lands outside its
zone (coordinates in degrees in a metre column, swapped axes, a digit lost) gets no WGS 84
boundary but a problem code; the contract's checks on ``ranh_gioi`` and ``he_toa_do`` read
that code and hold the row in quarantine under it (see contracts.TYPES).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Sequence

import numpy as np
import shapely
from pyproj import CRS, Transformer

UNPARSEABLE = "unparseable_geometry"
UNKNOWN_CRS = "unknown_crs"
OUT_OF_ZONE = "out_of_zone_geometry"
# The columns the transformation adds to a landed row (kho's, hence the underscore).
WGS84_COLUMN = "_geometry_wgs84"
PROBLEM_COLUMN = "_geometry_problem"

# The shift from VN-2000 to WGS 84 of Decision 05/2007/QĐ-BTNMT (the same for every zone).
VN2000_TOWGS84 = ("-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,"
                  "-0.00427372,0.252906278")
_TM3_NAME = re.compile(r"VN-2000 / TM-3 (\d{3})-(\d{2})")
# Central meridians of the TM-3 zones provinces use: from 102°00' to 108°30'.
TM3_MERIDIANS = (102.0, 108.5)
# A boundary lies in its zone when, in WGS 84, it is within this many degrees of longitude
# of the zone's meridian (the zone is 3° wide; a province may reach a little past it) and
# within Vietnam's latitudes.
ZONE_HALF_WIDTH = 2.0
LATITUDES = (8.0, 24.0)
DECIMALS = 7  # about a centimetre

@functools.cache
def zone_meridian(name: str) -> float | None:
    """The central meridian of a VN-2000 TM-3 zone named as EPSG names it, or None."""
    match = _TM3_NAME.fullmatch(name.strip())
    if not match:
        return None
    degrees, minutes = int(match[1]), int(match[2])
    meridian = degrees + minutes / 60
    if minutes >= 60 or not TM3_MERIDIANS[0] <= meridian <= TM3_MERIDIANS[1]:
        return None
    return meridian


def vn2000_tm3(meridian: float) -> CRS:
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0=0 +lon_0={meridian:g} +k=0.9999 +x_0=500000 +y_0=0 "
        f"+ellps=WGS84 +towgs84={VN2000_TOWGS84} +units=m +no_defs")


@functools.cache
def _to_wgs84(meridian: float) -> Transformer:
    return Transformer.from_crs(vn2000_tm3(meridian), CRS.from_epsg(4326), always_xy=True)


def parse_polygon(wkt: str) -> list[tuple[float, float]] | None:
    """The exterior ring of a WKT polygon (2D, finite), or None."""
    (polygon,) = _polygons([wkt])
    if polygon is None:
        return None
    return [(x, y) for x, y in shapely.get_coordinates(polygon.exterior).tolist()]


def _polygons(texts: Sequence[str | None]) -> np.ndarray:
    """Each text read as a 2D polygon with finite coordinates, else None."""
    with warnings.catch_warnings():  # an unreadable text is an answer here, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        geometries = shapely.from_wkt(np.array(texts, dtype=object), on_invalid="ignore")
    polygon = ((shapely.get_type_id(geometries) == shapely.GeometryType.POLYGON)
               & ~shapely.has_z(geometries) & ~shapely.is_empty(geometries))
    coordinates, owner = shapely.get_coordinates(geometries, return_index=True)
    infinite = np.bincount(owner, weights=~np.isfinite(coordinates).all(axis=1),
                           minlength=len(texts)) > 0
    return np.where(polygon & ~infinite, geometries, None)


def boundaries_to_wgs84(rows: Sequence[tuple[str | None, str | None]]
                        ) -> list[tuple[str | None, str | None]]:
    """For each (boundary WKT, coordinate system name): (the boundary in WGS 84 as WKT,
    None), or (None, problem code), or (None, None) when there is no boundary. The batch is
    read, transformed (one pyproj call per zone) and written by vectorised calls."""
    texts = [wkt if wkt is not None and wkt.strip() else None for wkt, _ in rows]
    polygons = _polygons(texts)
    results: list[tuple[str | None, str | None]] = [(None, None)] * len(rows)
    by_zone: dict[float, list[int]] = {}
    for i, (text, polygon, (_, system)) in enumerate(zip(texts, polygons, rows, strict=True)):
        if text is None:
            continue
        if polygon is None:
            results[i] = (None, UNPARSEABLE)
            continue
        meridian = zone_meridian(system) if system else None
        if meridian is None:
            results[i] = (None, UNKNOWN_CRS)
            continue
        by_zone.setdefault(meridian, []).append(i)
    for meridian, indices in by_zone.items():
        zone = polygons[indices]
        coordinates, owner = shapely.get_coordinates(zone, return_index=True)
        lons, lats = _to_wgs84(meridian).transform(coordinates[:, 0], coordinates[:, 1],
                                                   errcheck=False)
        inside = (np.isfinite(lons) & np.isfinite(lats)
                  & (np.abs(lons - meridian) <= ZONE_HALF_WIDTH)
                  & (lats >= LATITUDES[0]) & (lats <= LATITUDES[1]))
        outside = np.bincount(owner, weights=~inside, minlength=len(indices)) > 0
        moved = shapely.set_coordinates(zone.copy(), np.column_stack([lons, lats]))
        texts_wgs84 = shapely.to_wkt(moved, rounding_precision=DECIMALS, trim=True)
        for i, out, text in zip(indices, outside.tolist(), texts_wgs84.tolist(), strict=True):
            results[i] = (None, OUT_OF_ZONE) if out else (text.replace(" ((", "((", 1), None)
    return results
