"""The cadastral map of the simulated land register: each commune's parcels tile its numbered
map sheets (tờ bản đồ), surveyed and kept in VN-2000 metres on the province's TM-3 zone, as
real registers keep them (the register names the system beside each boundary).

A sheet is laid out as rows of parcels (a row of house plots a house deep, a row of paddy
fields a field deep) with a strip of state land between each two rows and along the lower
edge of a sheet of more than one parcel: a road (DGT) beside house plots, an irrigation
canal (DTL) between fields. Rows and strips fill a rectangle exactly: every parcel gets its
registered area, no two overlap and the sheet has no gap. The rectangle is then turned and
sheared a little (both keep areas), and the commune's sheets are placed on a grid around its
centre in the order of their numbers.

The layout draws from its own random streams (``seed`` and "cadastre" for the sheets,
"cadastre.strips" for the strips' widths), so the province's persons, organizations,
holders and dates are those any seed gave before, and the sheets turn as they did before
there were strips.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date
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
# How the register names that system beside each boundary (EPSG's name for it).
VN2000_LONG_AN_NAME = "VN-2000 / TM-3 105-45"
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
# Strips of state land: a road beside house plots, an irrigation canal between fields;
# widths in metres. They have no holder and no certificate.
ROAD, CANAL = "DGT", "DTL"
STRIP_WIDTHS = {ROAD: (4.0, 9.0), CANAL: (3.0, 6.0)}
STRIP_LAND_USES = frozenset(STRIP_WIDTHS)
STATE_LAND_SINCE = date(1993, 10, 15)  # the Land Law of 1993 took effect
COORDINATE_DECIMALS = 3  # millimetres, as the register stores them


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


def strip_kind(below: list[Parcel] | None, above: list[Parcel] | None) -> str:
    """A road when house plots (or shops) face the strip, else a canal between fields."""
    beside = (below or []) + (above or [])
    return ROAD if any(p.land_use in DEPTH_TO_WIDTH for p in beside) else CANAL


def sheet_rectangles(parcels: list[Parcel], strips: random.Random | None = None
                     ) -> tuple[float, float, dict[int, list], list[tuple[str, float, str, list]]]:
    """Width, height, each parcel's rectangle (by parcel_no, corners in metres from the
    sheet's lower left corner) and the strips' (land use, area, planning zone, rectangle)
    of a sheet its parcels and strips fill exactly. ``strips`` draws the strips' widths;
    without it the sheet has none. A strip lies in the planning zone of the row above it."""
    width = sheet_width(parcels)
    rectangles: dict[int, list] = {}
    laid_strips: list[tuple[str, float, str, list]] = []
    y = 0.0

    def strip(kind: str, zone: str) -> None:
        nonlocal y
        low, high = STRIP_WIDTHS[kind]
        area = round(width * strips.uniform(low, high), 1)
        height = area / width
        laid_strips.append((kind, area, zone, [(0.0, y), (width, y), (width, y + height),
                                               (0.0, y + height)]))
        y += height

    rows = sheet_rows(parcels, width)
    if strips is not None and len(parcels) > 1:  # along the sheet's lower edge
        strip(strip_kind(None, rows[0]), rows[0][0].planning_zone)
    for i, row in enumerate(rows):
        if strips is not None and i:
            strip(strip_kind(rows[i - 1], row), row[0].planning_zone)
        height = sum(p.area_m2 for p in row) / width
        x = 0.0
        for parcel in row:
            w = parcel.area_m2 / height
            rectangles[parcel.parcel_no] = [(x, y), (x + w, y), (x + w, y + height),
                                            (x, y + height)]
            x += w
        y += height
    return width, y, rectangles, laid_strips


def lay_out(parcels: list[Parcel], communes: dict[str, Commune], seed: int) -> list[Parcel]:
    """Give every parcel its polygon (VN-2000 TM-3 metres, closed ring, counter-clockwise)
    and return the strips of roads and canals laid out between them: new parcels without
    holders, numbered on from the parcels (``parcel_no``) and on each sheet after its
    highest parcel number."""
    from simulated_sources.population import Parcel

    rng = random.Random(f"{seed}:cadastre")
    strip_rng = random.Random(f"{seed}:cadastre.strips")
    sheets: dict[str, dict[int, list[Parcel]]] = defaultdict(lambda: defaultdict(list))
    for parcel in parcels:
        sheets[parcel.commune][parcel.map_sheet].append(parcel)
    forward = to_vn2000()
    next_no = max((p.parcel_no for p in parcels), default=0) + 1
    added: list[Parcel] = []
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
            width, height, rectangles, strips = sheet_rectangles(on_sheet, strip_rng)
            last_number = max(p.parcel_number for p in on_sheet)
            for i, (kind, area, zone, corners) in enumerate(strips):
                strip = Parcel(
                    parcel_no=next_no, commune=code, map_sheet=number,
                    parcel_number=last_number + 1 + i, area_m2=area, land_use=kind,
                    planning_zone=zone, polygon=[], holders=[], certificate_serial=None,
                    certificate_issued_on=None, held_since=STATE_LAND_SINCE)
                next_no += 1
                added.append(strip)
                by_no[strip.parcel_no] = strip
                rectangles[strip.parcel_no] = corners
            laid[number] = (width, height, rectangles)
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
            for parcel_no, corners in rectangles.items():
                ring = []
                for x, y in corners:
                    dx, dy = x - width / 2, y - height / 2
                    dx += shear * dy
                    ring.append((round(origin_e + dx * cos - dy * sin, COORDINATE_DECIMALS),
                                 round(origin_n + dx * sin + dy * cos, COORDINATE_DECIMALS)))
                by_no[parcel_no].polygon = [*ring, ring[0]]
    return added


def wkt_polygon(ring: list[tuple[float, float]]) -> str:
    """A closed ring as WKT, each coordinate to the millimetre as the register writes it."""
    points = ", ".join(f"{x:.{COORDINATE_DECIMALS}f} {y:.{COORDINATE_DECIMALS}f}"
                       for x, y in ring)
    return f"POLYGON(({points}))"
