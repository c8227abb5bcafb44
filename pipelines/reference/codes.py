"""The national code lists kho checks agency rows against at ingestion.

These are reference data, not guesses from the sources: land-use codes of the land
statistics circular (Thông tư 08/2024/TT-BTNMT), legal forms of the Enterprise Law,
enterprise statuses of the national business registration system, the divisions of the
Vietnam Standard Industrial Classification (VSIC 2018), civil-servant grades (ngạch) of
Decree 204/2004 and the land-transfer kinds of the Land Law. Except for the VSIC divisions
and the communes, the lists and their Vietnamese and English labels live in the dbt seeds
(``dbt_project/seeds/*.csv``), which also decode the codes in the marts: a province that
uses more codes (other grades, say) adds them there; a row with a code outside its list
goes to quarantine rather than into the warehouse.
"""

from __future__ import annotations

import csv
from functools import cache

from kho.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"



def _seed_codes(seed: str, column: str) -> frozenset[str]:
    """Codes of one dbt seed: the seed is the one place a list and its labels live."""
    with (SEEDS_DIR / f"{seed}.csv").open(encoding="utf-8", newline="") as f:
        return frozenset(row[column] for row in csv.DictReader(f))


LAND_USE_CODES = _seed_codes("land_use_codes", "land_use_code")
LEGAL_FORM_CODES = _seed_codes("legal_form_codes", "legal_form_code")
ENTERPRISE_STATUS_CODES = _seed_codes("enterprise_status_codes", "status_code")

# Two-digit divisions of VSIC 2018; a class code (4 or 5 digits) must start with one.
VSIC_DIVISIONS = frozenset(f"{d:02d}" for d in (
    *range(1, 4), *range(5, 10), *range(10, 34), *range(35, 40), *range(41, 44),
    *range(45, 48), *range(49, 54), 55, 56, *range(58, 64), *range(64, 67), 68,
    *range(69, 76), *range(77, 83), 84, 85, *range(86, 89), *range(90, 94), *range(94, 97),
    97, 98, 99))

CIVIL_SERVANT_GRADE_CODES = _seed_codes("civil_servant_grade_codes", "grade_code")
LAND_TRANSFER_KINDS = _seed_codes("land_transfer_kinds", "transfer_kind")


@cache
def commune_codes() -> frozenset[str]:
    """Commune codes of both generations (sources still write the pre-2025 ones)."""
    from vietnamadminunits.database import query

    return frozenset(r["wardCode"] for table in ("admin_units_legacy", "admin_units")
                     for r in query(f"select wardCode from {table}") if r["wardCode"])


def code_set(name: str) -> frozenset[str]:
    """A code list by the name contracts use for it."""
    if name == "commune":
        return commune_codes()
    return CODE_SETS[name]


CODE_SETS: dict[str, frozenset[str]] = {
    "land_use": LAND_USE_CODES,
    "legal_form": LEGAL_FORM_CODES,
    "enterprise_status": ENTERPRISE_STATUS_CODES,
    "grade": CIVIL_SERVANT_GRADE_CODES,
    "transfer_kind": LAND_TRANSFER_KINDS,
}
