"""How each agency system records the province: its own tables, naming and formats.

A table is declared once (columns in the system's own naming and types, primary key) with
a function that renders the true province into its rows. Each row comes with the truth of
what it describes (``TruthLink``), which the seeder keeps apart from the sources.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from simulated_sources.population import Holding, Province

Row = tuple
TruthLink = tuple[str, str, int]  # (role, entity kind, entity number)


@dataclass(frozen=True)
class SourceTable:
    source: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, portable SQL type)
    primary_key: str
    updated_column: str
    render: Callable[[Province, random.Random], Iterator[tuple[Row, list[TruthLink]]]]

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    def ddl(self, dialect: str) -> str:
        def column_type(t: str) -> str:
            if dialect == "mysql" and t == "timestamp":
                return "datetime(6)"
            return t

        cols = ",\n  ".join(f"{c} {column_type(t)}" for c, t in self.columns)
        return f"create table {self.name} (\n  {cols},\n  primary key ({self.primary_key})\n)"


def _dmy(d: date | None) -> str | None:
    return None if d is None else d.strftime("%d/%m/%Y")


def _touched(rng: random.Random, since: date, world: date) -> datetime:
    """When a record was last written: between its own event and the world date."""
    span = max(1, (world - since).days)
    day = since + timedelta(days=min(span - 1, int(span * rng.random() ** 3)))
    return datetime.combine(day, time(hour=7 + rng.randrange(11), minute=rng.randrange(60),
                                      second=rng.randrange(60)))


def _address(province: Province, street: str, commune_code: str) -> str:
    commune = province.commune_by_code[commune_code]
    return f"{street}, {commune.name}, {commune.district_name}, Tỉnh Long An"


# -- land register (Vietnamese naming) ---------------------------------------------------------

def _land_holders(p: Province) -> dict[tuple[str, int], int]:
    """Land-user ids in the order the register first met each holder."""
    ids: dict[tuple[str, int], int] = {}
    for parcel in p.parcels:
        for h in [t.from_holder for t in parcel.transfers] + parcel.holders:
            ids.setdefault((h.holder_kind, h.holder_no), len(ids) + 1)
    return ids


def _thua_dat(p: Province, rng: random.Random):
    for parcel in p.parcels:
        ring = ", ".join(f"{x} {y}" for x, y in parcel.polygon)
        yield (
            parcel.parcel_no, parcel.commune, parcel.map_sheet, parcel.parcel_number,
            parcel.area_m2, parcel.land_use, parcel.planning_zone, f"POLYGON(({ring}))",
            _touched(rng, parcel.held_since, p.world_date),
        ), [("parcel", "parcel", parcel.parcel_no)]


def _chu_su_dung(p: Province, rng: random.Random):
    for (kind, number), holder_id in _land_holders(p).items():
        if kind == "person":
            person = p.persons[number - 1]
            id_type, id_number = ("CMND", person.cmnd) if person.cmnd and rng.random() < 0.5 \
                else ("CCCD", person.personal_id)
            yield (
                holder_id, "CN", person.full_name, id_type, id_number, _dmy(person.birth_date),
                "Nam" if person.sex == "M" else "Nữ",
                _address(p, person.street, person.home_commune),
                _touched(rng, date(2010, 1, 1), p.world_date),
            ), [("holder", "person", number)]
        else:
            org = p.organizations[number - 1]
            yield (
                holder_id, "TC", org.name, "MST" if org.kind == "enterprise" else "GPKD",
                org.code, None, None, _address(p, org.street, org.commune),
                _touched(rng, date(2010, 1, 1), p.world_date),
            ), [("holder", "organization", number)]


def _giay_chung_nhan(p: Province, rng: random.Random):
    for parcel in p.parcels:
        yield (
            parcel.parcel_no, parcel.certificate_serial, f"CH{parcel.parcel_no:05d}",
            parcel.certificate_issued_on, "Sở Tài nguyên và Môi trường tỉnh Long An",
            parcel.parcel_no, _touched(rng, parcel.certificate_issued_on, p.world_date),
        ), [("parcel", "parcel", parcel.parcel_no)]


def _rights(p: Province) -> Iterator[tuple[int, object, Holding, date, date | None]]:
    for parcel in p.parcels:
        for transfer in parcel.transfers:
            yield parcel.parcel_no, parcel, transfer.from_holder, \
                parcel.held_since - timedelta(days=3000), transfer.on
        for holding in parcel.holders:
            yield parcel.parcel_no, parcel, holding, parcel.held_since, None


def _quyen_su_dung(p: Province, rng: random.Random):
    holder_ids = _land_holders(p)
    for right_id, (parcel_no, parcel, holding, start, end) in enumerate(_rights(p), start=1):
        yield (
            right_id, parcel_no, holder_ids[(holding.holder_kind, holding.holder_no)],
            parcel_no if end is None else None, holding.share, start, end,
            _touched(rng, end or start, p.world_date),
        ), [("parcel", "parcel", parcel.parcel_no),
            ("holder", holding.holder_kind, holding.holder_no)]


def _bien_dong(p: Province, rng: random.Random):
    holder_ids = _land_holders(p)
    for parcel in p.parcels:
        for t in parcel.transfers:
            yield (
                t.transfer_no, parcel.parcel_no, t.kind,
                holder_ids[(t.from_holder.holder_kind, t.from_holder.holder_no)],
                holder_ids[(t.to_holder.holder_kind, t.to_holder.holder_no)],
                t.on, _touched(rng, t.on, p.world_date),
            ), [("parcel", "parcel", parcel.parcel_no),
                ("from", t.from_holder.holder_kind, t.from_holder.holder_no),
                ("to", t.to_holder.holder_kind, t.to_holder.holder_no)]


# -- enterprise register (English naming) --------------------------------------------------------

def _enterprises(p: Province, rng: random.Random):
    for org in p.organizations:
        if org.kind not in ("enterprise", "branch"):
            continue
        rep = p.persons[org.representative_no - 1]
        parent = p.organizations[org.parent_no - 1].code if org.parent_no else None
        yield (
            org.code, parent, "BRANCH" if org.kind == "branch" else "HQ", org.name,
            org.legal_form, org.vsic, org.status.upper(), org.charter_capital,
            org.street, org.commune, org.registered_on, rep.full_name, rep.personal_id,
            rep.birth_date, _touched(rng, org.registered_on, p.world_date),
        ), [("subject", "organization", org.org_no),
            ("legal_representative", "person", rep.person_no)]


def _household_businesses(p: Province, rng: random.Random):
    for org in p.organizations:
        if org.kind != "household_business":
            continue
        owner = p.persons[org.representative_no - 1]
        yield (
            org.code, org.name, owner.full_name, owner.personal_id, owner.birth_date, org.vsic,
            org.street, org.commune, org.registered_on, org.status.upper(),
            _touched(rng, org.registered_on, p.world_date),
        ), [("subject", "organization", org.org_no), ("owner", "person", owner.person_no)]


# -- civil registry (Vietnamese naming, dates as dd/mm/yyyy text) ----------------------------------

def _khai_sinh(p: Province, rng: random.Random):
    for person in p.persons:
        if person.birth_commune is None:
            continue
        father = p.persons[person.father_no - 1] if person.father_no else None
        mother = p.persons[person.mother_no - 1] if person.mother_no else None
        registered = person.birth_date + timedelta(days=rng.randrange(1, 60))
        yield (
            f"KS.{person.birth_date.year}.{person.person_no:08d}", person.personal_id,
            person.full_name, "Nam" if person.sex == "M" else "Nữ", _dmy(person.birth_date),
            person.birth_commune, father.personal_id if father else None,
            mother.personal_id if mother else None, _dmy(registered),
            _touched(rng, max(registered, date(2015, 1, 1)), p.world_date),
        ), [("subject", "person", person.person_no)] + (
            [("father", "person", father.person_no)] if father else []) + (
            [("mother", "person", mother.person_no)] if mother else [])


def _khai_tu(p: Province, rng: random.Random):
    for person in p.persons:
        if person.death_date is None:
            continue
        registered = person.death_date + timedelta(days=rng.randrange(1, 30))
        yield (
            f"KT.{person.death_date.year}.{person.person_no:08d}", person.personal_id,
            person.full_name, _dmy(person.death_date), person.home_commune, _dmy(registered),
            _touched(rng, registered, p.world_date),
        ), [("subject", "person", person.person_no)]


def _ket_hon(p: Province, rng: random.Random):
    for m in p.marriages:
        husband, wife = p.persons[m.husband_no - 1], p.persons[m.wife_no - 1]
        yield (
            f"KH.{m.registered_on.year}.{m.marriage_no:08d}", husband.personal_id,
            husband.full_name, wife.personal_id, wife.full_name, _dmy(m.registered_on),
            m.commune, _touched(rng, m.registered_on, p.world_date),
        ), [("husband", "person", husband.person_no), ("wife", "person", wife.person_no)]


# -- cadre database (abbreviated Vietnamese naming, numeric sex) -----------------------------------

def _dm_co_quan(p: Province, rng: random.Random):
    for org in p.organizations:
        if org.kind not in ("state_agency", "agency_unit"):
            continue
        parent = p.organizations[org.parent_no - 1].code if org.parent_no else None
        yield (
            org.code, org.name, parent, org.level, org.commune,
            _touched(rng, date(2015, 1, 1), p.world_date),
        ), [("subject", "organization", org.org_no)]


def _cadre_code(person_no: int) -> str:
    return f"CB{person_no:07d}"


def _ho_so_can_bo(p: Province, rng: random.Random):
    latest: dict[int, object] = {}
    first_start: dict[int, date] = {}
    for e in p.employments:
        latest[e.person_no] = e
        first_start.setdefault(e.person_no, e.start)
    for person_no, e in latest.items():
        person = p.persons[person_no - 1]
        unit = p.organizations[e.unit_no - 1]
        first = first_start[person_no]
        yield (
            _cadre_code(person_no), person.full_name, person.birth_date,
            1 if person.sex == "M" else 0, person.personal_id, unit.code, e.grade, e.step,
            e.coefficient, e.position, first, "DANG_CONG_TAC" if e.end is None else "NGHI_VIEC",
            _touched(rng, e.start, p.world_date),
        ), [("subject", "person", person_no), ("agency", "organization", unit.org_no)]


def _qua_trinh_cong_tac(p: Province, rng: random.Random):
    for e in p.employments:
        unit = p.organizations[e.unit_no - 1]
        yield (
            e.employment_no, _cadre_code(e.person_no), unit.code, e.position, e.grade,
            e.coefficient, e.start, e.end, _touched(rng, e.end or e.start, p.world_date),
        ), [("subject", "person", e.person_no), ("agency", "organization", unit.org_no)]


TABLES: tuple[SourceTable, ...] = (
    SourceTable("land", "thua_dat", (
        ("id", "integer"), ("ma_xa", "varchar(5)"), ("so_to_ban_do", "integer"),
        ("so_thua", "integer"), ("dien_tich", "numeric(14,1)"), ("ma_loai_dat", "varchar(5)"),
        ("khu_quy_hoach", "varchar(100)"), ("ranh_gioi", "text"), ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _thua_dat),
    SourceTable("land", "chu_su_dung", (
        ("id", "integer"), ("loai_chu", "varchar(2)"), ("ho_ten", "varchar(200)"),
        ("loai_giay_to", "varchar(10)"), ("so_giay_to", "varchar(20)"),
        ("ngay_sinh", "varchar(10)"), ("gioi_tinh", "varchar(5)"), ("dia_chi", "varchar(300)"),
        ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _chu_su_dung),
    SourceTable("land", "giay_chung_nhan", (
        ("id", "integer"), ("so_phat_hanh", "varchar(20)"), ("so_vao_so", "varchar(20)"),
        ("ngay_cap", "date"), ("co_quan_cap", "varchar(200)"), ("thua_dat_id", "integer"),
        ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _giay_chung_nhan),
    SourceTable("land", "quyen_su_dung", (
        ("id", "integer"), ("thua_dat_id", "integer"), ("chu_su_dung_id", "integer"),
        ("giay_chung_nhan_id", "integer"), ("ty_le", "numeric(5,4)"), ("tu_ngay", "date"),
        ("den_ngay", "date"), ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _quyen_su_dung),
    SourceTable("land", "bien_dong", (
        ("id", "integer"), ("thua_dat_id", "integer"), ("loai_bien_dong", "varchar(20)"),
        ("ben_chuyen_id", "integer"), ("ben_nhan_id", "integer"), ("ngay_bien_dong", "date"),
        ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _bien_dong),
    SourceTable("enterprise", "enterprises", (
        ("enterprise_code", "varchar(14)"), ("parent_enterprise_code", "varchar(14)"),
        ("unit_type", "varchar(10)"), ("name", "varchar(300)"), ("legal_form_code", "varchar(10)"),
        ("main_vsic_code", "varchar(5)"), ("status_code", "varchar(20)"),
        ("charter_capital_vnd", "bigint"), ("address_line", "varchar(300)"),
        ("ward_code", "varchar(5)"), ("registration_date", "date"),
        ("legal_rep_name", "varchar(200)"), ("legal_rep_id_no", "varchar(20)"),
        ("legal_rep_dob", "date"), ("updated_at", "timestamp"),
    ), "enterprise_code", "updated_at", _enterprises),
    SourceTable("enterprise", "household_businesses", (
        ("registration_no", "varchar(20)"), ("business_name", "varchar(300)"),
        ("owner_name", "varchar(200)"), ("owner_id_no", "varchar(20)"), ("owner_dob", "date"),
        ("vsic_code", "varchar(5)"), ("address_line", "varchar(300)"), ("ward_code", "varchar(5)"),
        ("registration_date", "date"), ("status_code", "varchar(20)"), ("updated_at", "timestamp"),
    ), "registration_no", "updated_at", _household_businesses),
    SourceTable("civil_registry", "khai_sinh", (
        ("so_dang_ky", "varchar(30)"), ("so_dinh_danh", "varchar(12)"), ("ho_ten", "varchar(200)"),
        ("gioi_tinh", "varchar(5)"), ("ngay_sinh", "varchar(10)"), ("noi_sinh_ma_xa", "varchar(5)"),
        ("cha_so_dinh_danh", "varchar(12)"), ("me_so_dinh_danh", "varchar(12)"),
        ("ngay_dang_ky", "varchar(10)"), ("thoi_diem_cap_nhat", "timestamp"),
    ), "so_dang_ky", "thoi_diem_cap_nhat", _khai_sinh),
    SourceTable("civil_registry", "khai_tu", (
        ("so_dang_ky", "varchar(30)"), ("so_dinh_danh", "varchar(12)"), ("ho_ten", "varchar(200)"),
        ("ngay_mat", "varchar(10)"), ("noi_mat_ma_xa", "varchar(5)"),
        ("ngay_dang_ky", "varchar(10)"), ("thoi_diem_cap_nhat", "timestamp"),
    ), "so_dang_ky", "thoi_diem_cap_nhat", _khai_tu),
    SourceTable("civil_registry", "ket_hon", (
        ("so_dang_ky", "varchar(30)"), ("chong_so_dinh_danh", "varchar(12)"),
        ("chong_ho_ten", "varchar(200)"), ("vo_so_dinh_danh", "varchar(12)"),
        ("vo_ho_ten", "varchar(200)"), ("ngay_dang_ky", "varchar(10)"),
        ("noi_dang_ky_ma_xa", "varchar(5)"), ("thoi_diem_cap_nhat", "timestamp"),
    ), "so_dang_ky", "thoi_diem_cap_nhat", _ket_hon),
    SourceTable("cadre", "dm_co_quan", (
        ("ma_co_quan", "varchar(10)"), ("ten_co_quan", "varchar(300)"),
        ("ma_co_quan_cha", "varchar(10)"), ("cap_hanh_chinh", "varchar(10)"),
        ("ma_dvhc", "varchar(5)"), ("ngay_sua", "timestamp"),
    ), "ma_co_quan", "ngay_sua", _dm_co_quan),
    SourceTable("cadre", "ho_so_can_bo", (
        ("ma_can_bo", "varchar(10)"), ("ho_ten", "varchar(200)"), ("ngay_sinh", "date"),
        ("gioi_tinh", "smallint"), ("so_cccd", "varchar(12)"), ("ma_co_quan", "varchar(10)"),
        ("ma_ngach", "varchar(10)"), ("bac_luong", "smallint"), ("he_so_luong", "numeric(4,2)"),
        ("chuc_vu", "varchar(100)"), ("ngay_tuyen_dung", "date"), ("trang_thai", "varchar(20)"),
        ("ngay_sua", "timestamp"),
    ), "ma_can_bo", "ngay_sua", _ho_so_can_bo),
    SourceTable("cadre", "qua_trinh_cong_tac", (
        ("id", "integer"), ("ma_can_bo", "varchar(10)"), ("ma_co_quan", "varchar(10)"),
        ("chuc_vu", "varchar(100)"), ("ma_ngach", "varchar(10)"), ("he_so_luong", "numeric(4,2)"),
        ("tu_ngay", "date"), ("den_ngay", "date"), ("ngay_sua", "timestamp"),
    ), "id", "ngay_sua", _qua_trinh_cong_tac),
)


def tables_of(source: str) -> tuple[SourceTable, ...]:
    return tuple(t for t in TABLES if t.source == source)
