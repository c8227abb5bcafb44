"""The administrative units' outlines, from a boundary file the operator provides
(``KHO_ADMIN_BOUNDARIES``): loaded with the reference data into
``reference.admin_unit_boundaries`` and served as ``AdminUnit.boundaryWkt``, which the
planners' maps draw (the province overview's choropleth, a commune's outline around its
parcels). Without a file kho has no boundaries and the maps say so.

The file is GeoJSON (RFC 7946): a FeatureCollection in WGS 84 longitude / latitude, one
feature per unit with a Polygon or MultiPolygon and the property ``code`` (the unit's code:
2 digits for a province, 5 for a commune) and optionally ``generation`` (``current``, the
default, or ``legacy`` for a unit before 1 July 2025). Each outline is checked with shapely
(a valid polygon, inside Vietnam's extent: a file in VN-2000 metres is named as such) and
simplified to about a metre (``SIMPLIFY_DEGREES``), which keeps a province's outlines small
enough to send to a browser. A file kho cannot use stops the reference step with
``ADMIN_BOUNDARIES_INVALID`` and what is wrong where; the boundaries loaded before stay.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

CODE = "ADMIN_BOUNDARIES_INVALID"
GENERATIONS = ("current", "legacy")
# Vietnam's extent with a margin (islands included), longitude then latitude.
EXTENT = (101.0, 7.0, 118.0, 24.0)
SIMPLIFY_DEGREES = 1e-5  # about a metre
MAX_FILE_BYTES = 512 * 1024 * 1024


class BoundaryFileError(ValueError):
    """The boundary file cannot be used; the message says what and where."""

    def __init__(self, path: Path, what: str):
        super().__init__(f"{CODE}: {path}: {what}")


def _unit(path: Path, index: int, feature: object, known: set[tuple[str, str]]
          ) -> tuple[str, str]:
    where = f"feature {index}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BoundaryFileError(path, f"{where} is not a GeoJSON Feature")
    properties = feature.get("properties") or {}
    code = properties.get("code")
    if not isinstance(code, str) or not code.isdigit() or len(code) not in (2, 5):
        raise BoundaryFileError(path, f"{where} has no property \"code\" naming a unit "
                                      f"(2 digits for a province, 5 for a commune), got "
                                      f"{code!r}")
    generation = properties.get("generation", "current")
    if generation not in GENERATIONS:
        raise BoundaryFileError(path, f"{where}: generation must be current or legacy, got "
                                      f"{generation!r}")
    if (generation, code) not in known:
        raise BoundaryFileError(path, f"{where}: no {generation} administrative unit has the "
                                      f"code {code}")
    return generation, code


def _outline(path: Path, where: str, geometry: object) -> str:
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon",
                                                                       "MultiPolygon"):
        raise BoundaryFileError(path, f"{where}: the geometry must be a Polygon or a "
                                      f"MultiPolygon")
    try:
        outline = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError) as err:
        raise BoundaryFileError(path, f"{where}: the geometry cannot be read ({err})") from None
    if outline.is_empty:
        raise BoundaryFileError(path, f"{where}: the geometry is empty")
    west, south, east, north = outline.bounds
    if not (EXTENT[0] <= west and east <= EXTENT[2] and EXTENT[1] <= south
            and north <= EXTENT[3]):
        metres = abs(west) > 180 or abs(north) > 90
        raise BoundaryFileError(path, f"{where}: the outline lies outside Vietnam "
                                      f"({west:.4f}, {south:.4f} to {east:.4f}, {north:.4f})"
                                      + ("; it looks like projected metres (VN-2000?): "
                                         "give WGS 84 longitude / latitude" if metres else ""))
    if not outline.is_valid:
        raise BoundaryFileError(path, f"{where}: the outline is not a valid polygon "
                                      f"({shapely.is_valid_reason(outline)})")
    simplified = outline.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    if not isinstance(simplified, Polygon | MultiPolygon) or simplified.is_empty:
        simplified = outline
    return shapely.to_wkt(simplified, rounding_precision=6)


def boundary_rows(path: Path | None, known: Iterable[tuple[str, str]]) -> list[tuple]:
    """(generation, code, outline as WKT) for every unit of the file, ordered; none without
    a file. ``known``: the (generation, code) of the units kho has."""
    if path is None:
        return []
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BoundaryFileError(path, f"the file is larger than {MAX_FILE_BYTES} bytes")
        document = json.loads(path.read_bytes())
    except OSError as err:
        raise BoundaryFileError(path, f"cannot be read ({err.strerror or err})") from None
    except (ValueError, RecursionError) as err:
        raise BoundaryFileError(path, f"is not JSON ({err})") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise BoundaryFileError(path, "must be a GeoJSON FeatureCollection")
    known = set(known)
    rows: dict[tuple[str, str], str] = {}
    for index, feature in enumerate(document["features"]):
        unit = _unit(path, index, feature, known)
        if unit in rows:
            raise BoundaryFileError(path, f"feature {index}: the {unit[0]} unit {unit[1]} has "
                                          f"an outline already")
        rows[unit] = _outline(path, f"feature {index} ({unit[1]})", feature.get("geometry"))
    return [(generation, code, wkt) for (generation, code), wkt in sorted(rows.items())]
