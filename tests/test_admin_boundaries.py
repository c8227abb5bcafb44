"""The operator's boundary file (pipelines/reference/boundaries.py): read, checked and
simplified with shapely; each way a file can be unusable is said with the code
ADMIN_BOUNDARIES_INVALID and where, before anything is loaded."""

from __future__ import annotations

import json

import pytest
import shapely

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
