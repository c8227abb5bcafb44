"""The cadastral map of the simulated land register: each commune's parcels tile its numbered
map sheets (tờ bản đồ), surveyed in VN-2000 on the province's TM-3 zone, as real registers
are, and published in WGS 84 longitude / latitude.

A sheet is laid out as rows of parcels (a row of house plots a house deep, a row of paddy
fields a field deep) that fill a rectangle exactly: every parcel gets its registered area,
no two overlap and the sheet has no gap. The rectangle is then turned and sheared a little
(both keep areas), and the commune's sheets are placed on a grid around its centre in the
order of their numbers.

The layout draws from its own random stream (``seed`` and "cadastre"), so the province's
persons, organizations, holders and dates are those any seed gave before.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pyproj import CRS, Transformer

if TYPE_CHECKING:
    from simulated_sources.admin_units import Commune
    from simulated_sources.population import Parcel

# VN-2000 on the TM-3 zone of Long An (central meridian 105°45', scale 0.9999, false easting
# 500 km), with the seven-parameter shift to WGS 84 of Decision 05/2007/QĐ-BTNMT.
VN2000_LONG_AN = CRS.from_proj4(
    "+proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
    "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,"
    "-0.00427372,0.252906278 +units=m +no_defs")
WGS84 = CRS.from_epsg(4326)

# How much deeper than wide a parcel of a land use is drawn: a house plot is a narrow strip
# running back from the street (4 m by 20 m), a field closer to a square.
DEPTH_TO_WIDTH = {"ODT": 5.0, "ONT": 4.0, "TMD": 3.0}
DEFAULT_DEPTH_TO_WIDTH = 1.5
# Widths to heights a sheet's filled rectangle may have.
SHEET_ASPECTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
SHEET_COLUMNS = 8  # sheets 1 to 8 form the first row of the commune's grid, 9 to 16 the next
SHEET_SPACING = 1.4  # a grid cell, in the commune's largest sheets (turned, sheared)
MAX_TURN = math.radians(12)
MAX_SHEAR = 0.15


def to_wgs84() -> Transformer:
    return Transformer.from_crs(VN2000_LONG_AN, WGS84, always_xy=True)


def to_vn2000() -> Transformer:
    return Transformer.from_crs(WGS84, VN2000_LONG_AN, always_xy=True)


def natural_depth(parcel: Parcel) -> float:
    """How deep the parcel would be drawn in its own shape, in metres."""
    return math.sqrt(parcel.area_m2 * DEPTH_TO_WIDTH.get(parcel.land_use,
                                                         DEFAULT_DEPTH_TO_WIDTH))


def misshape(row: list[Parcel], width: float) -> float:
    """How far the row's worst parcel is from its land use's shape, drawn in a row across a
    sheet ``width`` wide (0: as deep to wide as it should be)."""
    depth = sum(p.area_m2 for p in row) / width
    return max(abs(math.log(depth * depth / p.area_m2
                            / DEPTH_TO_WIDTH.get(p.land_use, DEFAULT_DEPTH_TO_WIDTH)))
               for p in row)


def sheet_rows(parcels: list[Parcel], width: float) -> list[list[Parcel]]:
    """The parcels in rows across a sheet ``width`` wide (the squarified treemap's rule, on
    rows that span the sheet): a parcel joins the row unless that makes the row's worst
    shape worse. A last row that would be better off in the one before joins it."""
    rows: list[list[Parcel]] = []
    row: list[Parcel] = []
    for parcel in parcels:
        if row and misshape([*row, parcel], width) > misshape(row, width):
            rows.append(row)
            row = []
        row.append(parcel)
    if row:
        if rows and misshape(rows[-1] + row, width) <= max(misshape(rows[-1], width),
                                                          misshape(row, width)):
            rows[-1].extend(row)
        else:
            rows.append(row)
    return rows


def sheet_width(parcels: list[Parcel]) -> float:
    """The sheet width, among a few from tall to wide, whose rows give the parcels the shapes
    closest to their land uses' (a few parcels of unlike sizes need another width than
    hundreds of like ones), for a sheet not far from the usual shape."""
    total = sum(p.area_m2 for p in parcels)

    def cost(aspect: float) -> float:
        width = math.sqrt(total * aspect)
        shapes = sum(misshape(row, width) * len(row) for row in sheet_rows(parcels, width))
        # Sheets are drawn about half again as wide as tall unless their parcels need more.
        return shapes + len(parcels) * abs(math.log(aspect / SHEET_ASPECTS[4]))

    return math.sqrt(total * min(SHEET_ASPECTS, key=cost))


def sheet_rectangles(parcels: list[Parcel]) -> tuple[float, float, dict[int, list]]:
    """Width, height and each parcel's rectangle (by parcel_no, corners in metres from the
    sheet's lower left corner) of a sheet its parcels fill exactly."""
    width = sheet_width(parcels)
    rectangles: dict[int, list] = {}
    y = 0.0
    for row in sheet_rows(parcels, width):
        height = sum(p.area_m2 for p in row) / width
        x = 0.0
        for parcel in row:
            w = parcel.area_m2 / height
            rectangles[parcel.parcel_no] = [(x, y), (x + w, y), (x + w, y + height),
                                            (x, y + height)]
            x += w
        y += height
    return width, y, rectangles


def lay_out(parcels: Iterable[Parcel], communes: dict[str, Commune], seed: int) -> None:
    """Give every parcel its polygon (WGS 84, closed ring, counter-clockwise)."""
    rng = random.Random(f"{seed}:cadastre")
    sheets: dict[str, dict[int, list[Parcel]]] = defaultdict(lambda: defaultdict(list))
    for parcel in parcels:
        sheets[parcel.commune][parcel.map_sheet].append(parcel)
    forward, back = to_vn2000(), to_wgs84()
    for code in sorted(sheets):
        commune = communes[code]
        centre_e, centre_n = forward.transform(commune.lon, commune.lat)
        by_no = {p.parcel_no: p for on_sheet in sheets[code].values() for p in on_sheet}
        laid = {}
        for number in sorted(sheets[code]):
            # Rows of like parcels: house plots beside house plots, fields beside fields.
            on_sheet = sorted(sheets[code][number],
                              key=lambda p: (p.land_use not in DEPTH_TO_WIDTH,
                                             natural_depth(p), p.parcel_number))
            laid[number] = sheet_rectangles(on_sheet)
        cell = SHEET_SPACING * max(max(w, h) for w, h, _ in laid.values())
        rows_of_sheets = math.ceil(max(laid) / SHEET_COLUMNS)
        for number, (width, height, rectangles) in laid.items():
            column, row = (number - 1) % SHEET_COLUMNS, (number - 1) // SHEET_COLUMNS
            # Sheet 1 at the north-west corner of the grid, numbers running east then south.
            origin_e = centre_e + (column - (SHEET_COLUMNS - 1) / 2) * cell
            origin_n = centre_n + ((rows_of_sheets - 1) / 2 - row) * cell
            turn = rng.uniform(-MAX_TURN, MAX_TURN)
            shear = rng.uniform(-MAX_SHEAR, MAX_SHEAR)
            cos, sin = math.cos(turn), math.sin(turn)
            # About the sheet's centre: sheared along its rows, then turned.
            eastings, northings = [], []
            for corners in rectangles.values():
                for x, y in corners:
                    dx, dy = x - width / 2, y - height / 2
                    dx += shear * dy
                    eastings.append(origin_e + dx * cos - dy * sin)
                    northings.append(origin_n + dx * sin + dy * cos)
            lons, lats = back.transform(eastings, northings)
            points = [(round(lon, 7), round(lat, 7)) for lon, lat in zip(lons, lats, strict=True)]
            for i, parcel_no in enumerate(rectangles):
                ring = points[4 * i:4 * i + 4]
                by_no[parcel_no].polygon = [*ring, ring[0]]
