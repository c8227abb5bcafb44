"""Both generations of Vietnam's administrative units and the 2025 crosswalk between them,
read from the ``vietnamadminunits`` package (no network), into ``reference.admin_units``
and ``reference.admin_unit_crosswalk`` (made by the migrations: :mod:`kho.migrations`)."""

from __future__ import annotations

from datetime import date

from vietnamadminunits.converter.converter_2025 import (
    DICT_PROVINCE_WARD_DIVIDED,
    DICT_PROVINCE_WARD_NO_DIVIDED,
)
from vietnamadminunits.database import query

from kho import db

REORGANIZATION_DATE = date(2025, 7, 1)


def admin_unit_rows() -> list[tuple]:
    rows: dict[tuple[str, str, str], tuple] = {}
    for r in query("select * from admin_units_legacy"):
        p, d = r["provinceCode"], r["districtCode"]
        rows.setdefault(("legacy", "province", p), (
            "legacy", "province", p, r["province"], r["provinceShort"], None, None, p,
            r["provinceLat"], r["provinceLon"], None))
        rows.setdefault(("legacy", "district", d), (
            "legacy", "district", d, r["district"], r["districtShort"], r["districtType"], p, p,
            r["districtLat"], r["districtLon"], None))
        if r["wardCode"]:
            rows.setdefault(("legacy", "commune", r["wardCode"]), (
                "legacy", "commune", r["wardCode"], r["ward"], r["wardShort"], r["wardType"], d,
                p, r["wardLat"], r["wardLon"], None))
    for r in query("select * from admin_units"):
        p = r["provinceCode"]
        rows.setdefault(("current", "province", p), (
            "current", "province", p, r["province"], r["provinceShort"], None, None, p,
            r["provinceLat"], r["provinceLon"], None))
        rows.setdefault(("current", "commune", r["wardCode"]), (
            "current", "commune", r["wardCode"], r["ward"], r["wardShort"], r["wardType"], p, p,
            r["wardLat"], r["wardLon"], r["wardAreaKm2"]))
    return list(rows.values())


def crosswalk_rows() -> list[tuple]:
    """(legacy commune, current commune, is_default, effective date) for every legacy commune.

    A legacy commune split between several current communes maps to each of them; the
    one the reorganisation names as its successor is marked ``is_default``.
    """
    legacy = {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": r["wardCode"]
              for r in query("select provinceKey, districtKey, wardKey, wardCode "
                             "from admin_units_legacy")}
    current = {(r["provinceKey"], r["wardKey"]): r["wardCode"]
               for r in query("select provinceKey, wardKey, wardCode from admin_units")}
    pairs: dict[tuple[str, str], bool] = {}

    def add(old_key: str, province_key: str, ward_key: str, is_default: bool) -> None:
        old, new = legacy.get(old_key), current.get((province_key, ward_key))
        if old and new:
            pairs[(old, new)] = pairs.get((old, new), False) or is_default

    for province_key, wards in DICT_PROVINCE_WARD_NO_DIVIDED.items():
        for ward_key, old_keys in wards.items():
            for old_key in old_keys:
                add(old_key, province_key, ward_key, True)
    for province_key, divided in DICT_PROVINCE_WARD_DIVIDED.items():
        for old_key, successors in divided.items():
            for successor in successors:
                add(old_key, province_key, successor["newWardKey"], successor["isDefaultNewWard"])
    return [(old, new, is_default, REORGANIZATION_DATE)
            for (old, new), is_default in sorted(pairs.items())]


def load_reference(warehouse_url: str) -> dict[str, int]:
    units, crosswalk = admin_unit_rows(), crosswalk_rows()
    with db.connect(warehouse_url) as conn:
        conn.execute("truncate reference.admin_units, reference.admin_unit_crosswalk")
        cur = conn.cursor()
        with cur.copy("copy reference.admin_units from stdin") as copy:
            for row in units:
                copy.write_row(row)
        with cur.copy("copy reference.admin_unit_crosswalk from stdin") as copy:
            for row in crosswalk:
                copy.write_row(row)
    return {"admin_units": len(units), "admin_unit_crosswalk": len(crosswalk)}
