"""The real pre-2025 communes of Long An (legacy province code 80), from vietnamadminunits."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnamadminunits.database import query

LEGACY_PROVINCE_CODE = "80"


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    kind: str
    district_code: str
    district_name: str
    lat: float
    lon: float


@cache
def long_an_communes() -> tuple[Commune, ...]:
    rows = query(
        "select distinct wardCode, ward, wardType, districtCode, district, wardLat, wardLon "
        f"from admin_units_legacy where provinceCode = '{LEGACY_PROVINCE_CODE}' order by wardCode"
    )
    return tuple(
        Commune(
            code=r["wardCode"],
            name=r["ward"],
            kind=r["wardType"],
            district_code=r["districtCode"],
            district_name=r["district"],
            lat=r["wardLat"],
            lon=r["wardLon"],
        )
        for r in rows
    )
