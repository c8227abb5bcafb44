"""The operator's boundary file (pipelines/reference/boundaries.py): read, checked and
simplified with shapely; each way a file can be unusable is said with the code
ADMIN_BOUNDARIES_INVALID and where, before anything is loaded. Without a file, a commune's
outline is derived from its parcels (pipelines/dbt/outlines.py)."""

from __future__ import annotations

import json

import pytest
import shapely

from pipelines.dbt.outlines import derive_outline
from pipelines.reference.admin_units import admin_unit_rows
from pipelines.reference.boundaries import CODE, BoundaryFileError, boundary_rows

KNOWN = {(row[0], row[2]) for row in admin_unit_rows()}
# Two current communes (the first by code) and the province of Tây Ninh (80).
COMMUNES = sorted(code for generation, code in KNOWN
                  if generation == "current" and len(code) == 5)[:2]


def square(lon: float, lat: float, side: float = 0.02) -> dict:
    return {"type": "Polygon", "coordinates": [[
        [lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side],
        [lon, lat]]]}


def feature(code: str, geometry: dict, **properties) -> dict:
    return {"type": "Feature", "properties": {"code": code, **properties},
            "geometry": geometry}


def write(tmp_path, document) -> object:
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document,
                    encoding="utf-8")
    return path


def test_a_good_file_gives_one_outline_per_unit(tmp_path):
    # A ring with a thousand points a few centimetres apart: simplified to its corners.
    dense = [[106.0 + i * 1e-7, 11.0] for i in range(1000)] + [
        [106.001, 11.001], [106.0, 11.001], [106.0, 11.0]]
    path = write(tmp_path, {"type": "FeatureCollection", "features": [
        feature(COMMUNES[1], {"type": "Polygon", "coordinates": [dense]}),
        feature(COMMUNES[0], {"type": "MultiPolygon", "coordinates": [
            square(106.1, 11.1)["coordinates"], square(106.2, 11.1)["coordinates"]]}),
        feature("80", square(106.0, 11.0, 0.5), generation="current")]})
    rows = boundary_rows(path, KNOWN)
    assert [(g, c) for g, c, _ in rows] == sorted(
        [("current", COMMUNES[0]), ("current", COMMUNES[1]), ("current", "80")])
    outlines = {c: shapely.from_wkt(w) for _, c, w in rows}
    assert outlines[COMMUNES[0]].geom_type == "MultiPolygon"
    assert outlines[COMMUNES[0]].area == pytest.approx(2 * 0.02 ** 2)
    assert len(outlines[COMMUNES[1]].exterior.coords) == 5
    assert boundary_rows(None, KNOWN) == []


@pytest.mark.parametrize("document, says", [
    ("{not json", "is not JSON"),
    ({"type": "Feature"}, "must be a GeoJSON FeatureCollection"),
    ({"type": "FeatureCollection", "features": [{"type": "Polygon"}]},
     "feature 0 is not a GeoJSON Feature"),
    ({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": square(106, 11)}]},
     "feature 0 has no property \"code\""),
    ({"type": "FeatureCollection", "features": [feature("99999", square(106, 11))]},
     "no current administrative unit has the code 99999"),
    ({"type": "FeatureCollection", "features": [
        feature("80", square(106, 11), generation="future")]}, "current or legacy"),
    ({"type": "FeatureCollection", "features": [
        feature("80", {"type": "Point", "coordinates": [106, 11]})]},
     "must be a Polygon or a MultiPolygon"),
    ({"type": "FeatureCollection", "features": [
        feature("80", {"type": "Polygon", "coordinates": [[[106, 11], [107, 12],
                                                            [107, 11], [106, 12],
                                                            [106, 11]]]})]},
     "not a valid polygon (Self-intersection"),
    ({"type": "FeatureCollection", "features": [
        feature("80", square(560000.0, 1200000.0, 500.0))]}, "projected metres (VN-2000?)"),
    ({"type": "FeatureCollection", "features": [feature("80", square(2.35, 48.85))]},
     "lies outside Vietnam"),
    ({"type": "FeatureCollection", "features": [
        feature("80", {"type": "Polygon", "coordinates": [[[106, 11], "x"]]})]},
     "cannot be read"),
    ({"type": "FeatureCollection", "features": [
        feature("80", square(106, 11)), feature("80", square(106.5, 11))]},
     "feature 1: the current unit 80 has an outline already"),
])
def test_a_file_kho_cannot_use_is_refused_saying_what_and_where(tmp_path, document, says):
    path = write(tmp_path, document)
    with pytest.raises(BoundaryFileError) as refused:
        boundary_rows(path, KNOWN)
    assert str(refused.value).startswith(f"{CODE}: {path}: ")
    assert says in str(refused.value)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(BoundaryFileError, match="cannot be read"):
        boundary_rows(tmp_path / "nowhere.geojson", KNOWN)


def box(west: float, south: float, east: float, north: float) -> str:
    return shapely.to_wkt(shapely.box(west, south, east, north), rounding_precision=7)


def test_a_commune_s_outline_is_derived_from_its_parcels():
    """Parcels a metre or so apart (a ditch the survey left out, rounding between sheets)
    merge into one outline; a pond no parcel covers is filled; a hamlet far away stays a
    part of its own; a parcel that is not a polygon is passed over. (Near the equator: a
    degree is 111 km both ways.)"""
    metre = 1e-5
    # A 10 x 10 grid of 50 m parcels, each a metre short of its neighbours on two sides,
    # with the four in the middle missing (a pond).
    side = 50 * metre
    grid = [box(i * side, j * side, (i + 1) * side - metre, (j + 1) * side - metre)
            for i in range(10) for j in range(10) if not (4 <= i <= 5 and 4 <= j <= 5)]
    hamlet = [box(0.05, 0.05, 0.05 + side, 0.05 + side)]
    derived = shapely.from_wkt(derive_outline(grid + hamlet + ["POLYGON ((0 0, 1"]))
    assert derived.geom_type == "MultiPolygon"
    village, far = sorted(shapely.get_parts(derived), key=lambda part: -part.area)
    assert not village.interiors and not far.interiors
    # The village is the grid's square (less the last metre on its far sides), the pond in.
    square_area = (10 * side - metre) ** 2
    assert abs(village.area - square_area) / square_area < 0.01
    assert village.buffer(metre / 10).contains(shapely.from_wkt(box(
        4 * side, 4 * side, 6 * side, 6 * side)))
    assert abs(far.area - side ** 2) / side ** 2 < 0.01
    for parcel in grid + hamlet:
        assert derived.buffer(metre / 10).contains(shapely.from_wkt(parcel))


def test_a_ward_a_commune_encloses_stays_out_of_its_outline():
    metre = 1e-5
    side = 100 * metre
    # A ring of 100 m parcels, 12 x 12, around a 1 km square of another ward.
    ring = [box(i * side, j * side, (i + 1) * side, (j + 1) * side)
            for i in range(12) for j in range(12) if not (1 <= i <= 10 and 1 <= j <= 10)]
    derived = shapely.from_wkt(derive_outline(ring))
    assert derived.geom_type == "Polygon" and len(derived.interiors) == 1
    assert abs(shapely.Polygon(derived.interiors[0]).area - (10 * side) ** 2) < (side ** 2) / 10


def test_no_outline_without_a_polygon():
    assert derive_outline([]) is None
    assert derive_outline(["not wkt", "POINT (105 21)"]) is None
