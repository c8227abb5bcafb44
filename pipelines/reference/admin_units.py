"""Both generations of Vietnam's administrative units and the 2025 crosswalk between them,
read from the ``vietnamadminunits`` package (no network), into ``reference.admin_units``
and ``reference.admin_unit_crosswalk`` (made by the migrations: :mod:`kho.migrations`), and
the units' outlines from the operator's boundary file, if there is one
(:mod:`pipelines.reference.boundaries`), into ``reference.admin_unit_boundaries``.

The tables are reloaded only when their version changes: ``reference.versions`` keeps the
digest of the rows last loaded (and the package's version); a run whose rows digest the
same, into tables still holding as many rows, leaves them alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path

import psycopg.types.json
from vietnamadminunits.converter.converter_2025 import (
    DICT_PROVINCE_WARD_DIVIDED,
    DICT_PROVINCE_WARD_NO_DIVIDED,
)
from vietnamadminunits.database import query

from kho import db
from pipelines.reference.boundaries import boundary_rows

REORGANIZATION_DATE = date(2025, 7, 1)
VERSION_NAME = "admin_units"
PACKAGE = "vietnamadminunits"


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


@dataclass(frozen=True)
class ReferenceLoad:
    row_counts: dict[str, int]
    content_sha256: str
    package_version: str
    reloaded: bool  # False: the warehouse already held this version


def content_digest(tables: dict[str, list[tuple]]) -> str:
    """sha256 over every table's name and rows, in order."""
    digest = hashlib.sha256()
    for name, rows in tables.items():
        digest.update(f"{name}\n".encode())
        for row in rows:
            digest.update(repr(row).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def _held_version(conn, counts: dict[str, int]) -> str | None:
    """The digest the warehouse records for its reference tables, if they still hold the
    rows it counted then (a table emptied by hand is reloaded)."""
    held = conn.execute("select content_sha256, row_counts from reference.versions "
                        "where name = %s", (VERSION_NAME,)).fetchone()
    if held is None or held[1] != counts:
        return None
    actual = conn.execute(
        "select (select count(*) from reference.admin_units), "
        "(select count(*) from reference.admin_unit_crosswalk), "
        "(select count(*) from reference.admin_unit_boundaries)").fetchone()
    return held[0] if list(actual) == list(counts.values()) else None


def load_reference(warehouse_url: str, force: bool = False,
                   boundaries: Path | None = None) -> ReferenceLoad:
    """Load the administrative units, the crosswalk and the outlines of the boundary file
    ``boundaries`` (none without one), unless the warehouse holds this version already
    (``force``: reload all the same). A boundary file kho cannot use raises
    ``BoundaryFileError`` before anything is written."""
    units = admin_unit_rows()
    tables = {"admin_units": units, "admin_unit_crosswalk": crosswalk_rows(),
              "admin_unit_boundaries": boundary_rows(
                  boundaries, {(unit[0], unit[2]) for unit in units})}
    counts = {name: len(rows) for name, rows in tables.items()}
    digest, package_version = content_digest(tables), version(PACKAGE)
    with db.connect(warehouse_url) as conn:
        # One load at a time: a second waits, then finds the version loaded.
        conn.execute("lock table reference.versions in exclusive mode")
        if not force and _held_version(conn, counts) == digest:
            return ReferenceLoad(counts, digest, package_version, reloaded=False)
        conn.execute("truncate reference.admin_units, reference.admin_unit_crosswalk, "
                     "reference.admin_unit_boundaries")
        cur = conn.cursor()
        for name, rows in tables.items():
            with cur.copy(f"copy reference.{name} from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.execute("""
            insert into reference.versions (name, content_sha256, package_version, row_counts)
            values (%s, %s, %s, %s)
            on conflict (name) do update set content_sha256 = excluded.content_sha256,
                package_version = excluded.package_version,
                row_counts = excluded.row_counts, loaded_at = now()
        """, (VERSION_NAME, digest, package_version, psycopg.types.json.Jsonb(counts)))
    return ReferenceLoad(counts, digest, package_version, reloaded=True)
