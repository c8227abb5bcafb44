"""The GeoJSON downloads' geometry: WKT rewritten as text where it is plain, parsed where
it is not, always the JSON of the same polygon."""

from __future__ import annotations

import json

import pytest
import shapely

from graphql_api.opendata.downloads import geometry_json, wkt_polygon

PLAIN = [
    "POLYGON((105.9516381 10.4473806, 105.9520513 10.4473754, 105.9520115 10.4481405, "
    "105.9516381 10.4473806))",
    "POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 4 2, 4 4, 2 2))",
    "POLYGON((-1.5 -2,3e-05 4.25E+2,0.0 1,-1.5 -2))",
]
OTHER = [
    None, "", "POLYGON EMPTY", "POINT (1 2)",
    "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))",
    "POLYGON Z ((0 0 1, 1 0 1, 1 1 1, 0 0 1))",
    "POLYGON((00 1, 2 3, 4 5, 00 1))",
    'POLYGON((0 0, 1 0, 1 1, 0 0)),"x":(1 2)',
]


@pytest.mark.parametrize("wkt", PLAIN)
def test_plain_polygons_are_rewritten_into_the_same_geometry(wkt):
    written = json.loads(geometry_json(wkt))
    assert written == wkt_polygon(wkt)
    assert shapely.geometry.shape(written).equals(shapely.from_wkt(wkt))


@pytest.mark.parametrize("wkt", OTHER)
def test_anything_else_is_parsed_or_null_never_copied(wkt):
    try:
        expected = wkt_polygon(wkt)
    except ValueError:
        with pytest.raises(ValueError):
            geometry_json(wkt)
        return
    assert json.loads(geometry_json(wkt)) == expected
