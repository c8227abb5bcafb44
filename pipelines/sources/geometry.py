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
import math
import re
from collections.abc import Sequence

from pyproj import CRS, Transformer

UNPARSEABLE = "unparseable_geometry"
UNKNOWN_CRS = "unknown_crs"
OUT_OF_ZONE = "out_of_zone_geometry"
PROBLEMS = (UNPARSEABLE, UNKNOWN_CRS, OUT_OF_ZONE)
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

_POLYGON = re.compile(r"\s*POLYGON\s*\(\(([^()]*)\)\)\s*", re.IGNORECASE)
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_POINT = re.compile(rf"\s*({_NUMBER})\s+({_NUMBER})\s*")


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
    """The ring of a simple WKT polygon (closed, at least four points, finite), or None."""
    match = _POLYGON.fullmatch(wkt)
    if not match:
        return None
    ring = []
    for point in match[1].split(","):
        xy = _POINT.fullmatch(point)
        if not xy:
            return None
        x, y = float(xy[1]), float(xy[2])
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        ring.append((x, y))
    if len(ring) < 4 or ring[0] != ring[-1]:
        return None
    return ring


def boundaries_to_wgs84(rows: Sequence[tuple[str | None, str | None]]
                        ) -> list[tuple[str | None, str | None]]:
    """For each (boundary WKT, coordinate system name): (the boundary in WGS 84 as WKT,
    None), or (None, problem code), or (None, None) when there is no boundary. One pyproj
    call per zone for the whole batch."""
    results: list[tuple[str | None, str | None]] = [(None, None)] * len(rows)
    by_zone: dict[float, list[tuple[int, list[tuple[float, float]]]]] = {}
    for i, (wkt, system) in enumerate(rows):
        if wkt is None or not wkt.strip():
            continue
        ring = parse_polygon(wkt)
        if ring is None:
            results[i] = (None, UNPARSEABLE)
            continue
        meridian = zone_meridian(system) if system else None
        if meridian is None:
            results[i] = (None, UNKNOWN_CRS)
            continue
        by_zone.setdefault(meridian, []).append((i, ring))
    for meridian, rings in by_zone.items():
        xs = [x for _, ring in rings for x, _ in ring]
        ys = [y for _, ring in rings for _, y in ring]
        lons, lats = _to_wgs84(meridian).transform(xs, ys, errcheck=False)
        start = 0
        for i, ring in rings:
            points = list(zip(lons[start:start + len(ring)], lats[start:start + len(ring)],
                              strict=True))
            start += len(ring)
            if not all(math.isfinite(lon) and math.isfinite(lat)
                       and abs(lon - meridian) <= ZONE_HALF_WIDTH
                       and LATITUDES[0] <= lat <= LATITUDES[1] for lon, lat in points):
                results[i] = (None, OUT_OF_ZONE)
                continue
            text = ", ".join(f"{round(lon, DECIMALS)} {round(lat, DECIMALS)}"
                             for lon, lat in points)
            results[i] = (f"POLYGON(({text}))", None)
    return results
