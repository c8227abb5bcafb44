"""The national code lists kho checks agency rows against at ingestion.

These are reference data, not guesses from the sources: land-use codes of the land
statistics circular (Thông tư 08/2024/TT-BTNMT), legal forms of the Enterprise Law,
enterprise statuses of the national business registration system, the divisions of the
Vietnam Standard Industrial Classification (VSIC 2018), civil-servant grades (ngạch) of
Decree 204/2004 and the land-transfer kinds of the Land Law. A province that uses more
codes (other grades, say) adds them here; a row with a code outside its list goes to
quarantine rather than into the warehouse.
"""

from __future__ import annotations

from functools import cache

LAND_USE_CODES = frozenset((
    "LUC", "LUK", "LUN", "BHK", "NHK", "CLN", "RSX", "RPH", "RDD", "NTS", "LMU", "NKH", "ONT",
    "ODT", "TSC", "DTS", "CQP", "CAN", "SKK", "SKN", "TMD", "SKC", "SKS", "SKX", "DGT", "DTL",
    "DNL", "DBV", "DCH", "DRA", "DDT", "DVH", "DYT", "DGD", "DTT", "DKH", "DXH", "DNG", "DSK",
    "DKV", "DSH", "TON", "TIN", "NTD", "SON", "MNC", "PNK", "BCS", "DCS", "NCS",
))

LEGAL_FORM_CODES = frozenset({"TNHH1", "TNHH2", "CP", "DNTN", "HD"})

ENTERPRISE_STATUS_CODES = frozenset({"ACTIVE", "SUSPENDED", "DISSOLVING", "DISSOLVED"})

# Two-digit divisions of VSIC 2018; a class code (4 or 5 digits) must start with one.
VSIC_DIVISIONS = frozenset(f"{d:02d}" for d in (
    *range(1, 4), *range(5, 10), *range(10, 34), *range(35, 40), *range(41, 44),
    *range(45, 48), *range(49, 54), 55, 56, *range(58, 64), *range(64, 67), 68,
    *range(69, 76), *range(77, 83), 84, 85, *range(86, 89), *range(90, 94), *range(94, 97),
    97, 98, 99))

CIVIL_SERVANT_GRADE_CODES = frozenset({"01.001", "01.002", "01.003", "01.004", "01.005"})

LAND_TRANSFER_KINDS = frozenset({
    "chuyen_nhuong", "thua_ke", "tang_cho", "chuyen_doi", "cho_thue", "cho_thue_lai",
    "the_chap", "gop_von", "thu_hoi", "tach_thua", "hop_thua",
})


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
