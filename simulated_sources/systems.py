"""How each agency system records the province: its own tables, naming, formats and noise.

A table is declared once (columns in the system's own naming and types, primary key,
watermark column, the defects its rows can carry) with a function that renders the true
province into its rows. Row builders work one entity at a time, so that seeding a whole
table and `kho sources advance` inserting one new row produce the same shapes.

Each rendered row comes with the truth of what it describes (``TruthLink``), the noise
applied to it and its defect, if any; the seeder keeps all three apart from the sources.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from simulated_sources.cadastre import VN2000_LONG_AN_NAME, wkt_polygon
from simulated_sources.noise import (
    Defect,
    NoiseNote,
    NoiseSettings,
    RowNoise,
    as_text,
    break_value,
)
from simulated_sources.population import (
    Employment,
    Holding,
    Marriage,
    Organization,
    Parcel,
    Person,
    Province,
    Transfer,
)

TruthLink = tuple[str, str, int]  # (role, entity kind, entity number)


@dataclass(slots=True)
class Record:
    row: tuple
    links: list[TruthLink]
    noise: list[NoiseNote]
    defect: Defect | None


@dataclass(frozen=True)
class SourceTable:
    source: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, portable SQL type)
    primary_key: str
    updated_column: str
    render: Callable[[Renderer], Iterator[Record]]
    # Defects a broken row of this table can carry: (column, defect, code set).
    defects: tuple[tuple[str, str, str | None], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def key_index(self) -> int:
        return self.column_names.index(self.primary_key)

    def ddl(self, dialect: str) -> str:
        def column_type(t: str) -> str:
            if dialect == "mysql" and t == "timestamp":
                return "datetime(6)"
            return t

        cols = ",\n  ".join(f"{c} {column_type(t)}" for c, t in self.columns)
        return f"create table {self.name} (\n  {cols},\n  primary key ({self.primary_key})\n)"


class Renderer:
    """Renders rows of one table: noise per row, broken rows, and when each was written.

    ``now`` fixes the write time (for `advance`); otherwise a row was last written at a
    random moment between its own event and the world date.
    """

    def __init__(self, province: Province, table: SourceTable, settings: NoiseSettings,
                 rng: random.Random, now: datetime | None = None):
        self.province = province
        self.table = table
        self.settings = settings
        self.rng = rng
        self.now = now
        self._noise: RowNoise | None = None

    @property
    def noise(self) -> RowNoise:
        if self._noise is None:
            self._noise = RowNoise(self.settings, self.rng, self.province.world_date)
        return self._noise

    def touched(self, since: date) -> datetime:
        if self.now is not None:
            return self.now
        rng = self.rng
        span = max(1, (self.province.world_date - since).days)
        day = since + timedelta(days=min(span - 1, int(span * rng.random() ** 3)))
        return datetime.combine(day, time(hour=7 + rng.randrange(11), minute=rng.randrange(60),
                                          second=rng.randrange(60)))

    def emit(self, values: dict[str, object], links: list[TruthLink],
             extra_noise: list[NoiseNote] | None = None) -> Record:
        notes = self._noise.notes if self._noise is not None else []
        self._noise = None
        if extra_noise:
            notes = notes + extra_noise
        defect = None
        table = self.table
        if table.defects and self.settings.broken_row > 0 \
                and self.rng.random() < self.settings.broken_row:
            column, kind, code_set = table.defects[self.rng.randrange(len(table.defects))]
            clean = values[column]
            if clean is not None:
                values[column] = break_value(self.rng, kind, clean, code_set)
                defect = (column, kind, as_text(clean))
        return Record(tuple(values[c] for c in table.column_names), links, notes, defect)


def dmy(d: date | None) -> str | None:
    return None if d is None else d.strftime("%d/%m/%Y")


def full_address(province: Province, street: str, commune_code: str) -> str:
    commune = province.commune_by_code[commune_code]
    return f"{street}, {commune.name}, {commune.district_name}, Tỉnh Long An"


def _sex_vi(person: Person) -> str:
    return "Nam" if person.sex == "M" else "Nữ"


def _person_name(r: Renderer, column: str, person: Person,
                 honorifics: tuple[str, ...] = ()) -> str:
    return r.noise.name(column, person.family_name, person.middle_name, person.given_name,
                        person.sex, honorifics)


def spouses(province: Province) -> dict[int, int]:
    """Each married person's spouse, by person number; kept up to date as `advance` adds
    marriages."""
    counted, spouse = province.cache.get("spouses", (0, {}))
    for m in province.marriages[counted:]:
        spouse[m.husband_no], spouse[m.wife_no] = m.wife_no, m.husband_no
    province.cache["spouses"] = (len(province.marriages), spouse)
    return spouse


# -- land register (Vietnamese naming) ---------------------------------------------------------

def land_user_ids(province: Province, settings: NoiseSettings) -> dict[tuple[str, int], list[int]]:
    """Land-user ids in the order the register first met each holder; a person recorded
    twice (a duplicate record) has two ids."""
    cache_key = ("land_user_ids", settings.duplicate_person_record)
    if cache_key not in province.cache:
        rng = random.Random(f"{province.seed}:land.holders")
        ids: dict[tuple[str, int], list[int]] = {}
        next_id = 1
        for parcel in province.parcels:
            for h in [t.from_holder for t in parcel.transfers] + parcel.holders:
                key = (h.holder_kind, h.holder_no)
                if key in ids:
                    continue
                copies = 2 if h.holder_kind == "person" \
                    and rng.random() < settings.duplicate_person_record else 1
                ids[key] = list(range(next_id, next_id + copies))
                next_id += copies
        province.cache[cache_key] = ids
    return province.cache[cache_key]


def thua_dat_record(r: Renderer, parcel: Parcel) -> Record:
    """A parcel with its boundary in VN-2000 TM-3 metres, the system named beside it."""
    return r.emit({
        "id": parcel.parcel_no, "ma_xa": parcel.commune, "so_to_ban_do": parcel.map_sheet,
        "so_thua": parcel.parcel_number, "dien_tich": parcel.area_m2,
        "ma_loai_dat": parcel.land_use, "khu_quy_hoach": parcel.planning_zone,
        "ranh_gioi": wkt_polygon(parcel.polygon), "he_toa_do": VN2000_LONG_AN_NAME,
        "ngay_cap_nhat": r.touched(parcel.held_since),
    }, [("parcel", "parcel", parcel.parcel_no)])


def _thua_dat(r: Renderer) -> Iterator[Record]:
    for parcel in r.province.parcels:
        yield thua_dat_record(r, parcel)


def land_honorifics(person: Person, married: bool) -> tuple[str, ...]:
    """The titles a certificate puts before a holder's name: "Ông" or "Bà", and for a
    married holder also their household's ("Hộ ông", "Hộ bà")."""
    title = "ông" if person.sex == "M" else "bà"
    return (title.capitalize(), f"Hộ {title}") if married else (title.capitalize(),)


def chu_su_dung_records(r: Renderer, holding: Holding, ids: list[int]) -> Iterator[Record]:
    p = r.province
    for copy, holder_id in enumerate(ids):
        duplicate = [("id", "duplicate_person_record")] if copy else []
        if holding.holder_kind == "person":
            person = p.persons[holding.holder_no - 1]
            spouse_no = spouses(p).get(person.person_no)
            number = r.noise.recorded_id(
                "so_giay_to", person.personal_id, person.cmnd,
                p.persons[spouse_no - 1].personal_id if spouse_no else None)
            address = full_address(p, person.street, person.home_commune)
            yield r.emit({
                "id": holder_id, "loai_chu": "CN",
                "ho_ten": _person_name(r, "ho_ten", person,
                                       land_honorifics(person, married=bool(spouse_no))),
                "loai_giay_to": r.noise.document_type("loai_giay_to", number),
                "so_giay_to": r.noise.typed_id("so_giay_to", number),
                "ngay_sinh": r.noise.dmy_text("ngay_sinh", person.birth_date),
                "gioi_tinh": _sex_vi(person),
                "dia_chi": r.noise.free_text_address("dia_chi", address) or address,
                "ngay_cap_nhat": r.touched(date(2010, 1, 1)),
            }, [("holder", "person", person.person_no)], duplicate)
        else:
            org = p.organizations[holding.holder_no - 1]
            yield r.emit({
                "id": holder_id, "loai_chu": "TC", "ho_ten": org.name,
                "loai_giay_to": "MST" if org.kind == "enterprise" else "GPKD",
                "so_giay_to": org.code, "ngay_sinh": None, "gioi_tinh": None,
                "dia_chi": full_address(p, org.street, org.commune),
                "ngay_cap_nhat": r.touched(date(2010, 1, 1)),
            }, [("holder", "organization", org.org_no)])


def _chu_su_dung(r: Renderer) -> Iterator[Record]:
    for (kind, number), ids in land_user_ids(r.province, r.settings).items():
        yield from chu_su_dung_records(r, Holding(kind, number, 1.0), ids)


def giay_chung_nhan_record(r: Renderer, parcel: Parcel) -> Record:
    return r.emit({
        "id": parcel.parcel_no, "so_phat_hanh": parcel.certificate_serial,
        "so_vao_so": f"CH{parcel.parcel_no:05d}", "ngay_cap": parcel.certificate_issued_on,
        "co_quan_cap": "Sở Tài nguyên và Môi trường tỉnh Long An",
        "thua_dat_id": parcel.parcel_no,
        "ngay_cap_nhat": r.touched(parcel.certificate_issued_on),
    }, [("parcel", "parcel", parcel.parcel_no)])


def _giay_chung_nhan(r: Renderer) -> Iterator[Record]:
    for parcel in r.province.parcels:
        if parcel.certificate_serial is not None:  # roads and canals have none
            yield giay_chung_nhan_record(r, parcel)


def quyen_su_dung_record(r: Renderer, right_id: int, parcel: Parcel, holding: Holding,
                         holder_id: int, start: date, end: date | None) -> Record:
    return r.emit({
        "id": right_id, "thua_dat_id": parcel.parcel_no, "chu_su_dung_id": holder_id,
        "giay_chung_nhan_id": parcel.parcel_no if end is None else None,
        "ty_le": holding.share, "tu_ngay": start, "den_ngay": end,
        "ngay_cap_nhat": r.touched(end or start),
    }, [("parcel", "parcel", parcel.parcel_no),
        ("holder", holding.holder_kind, holding.holder_no)])


def _quyen_su_dung(r: Renderer) -> Iterator[Record]:
    ids = land_user_ids(r.province, r.settings)
    right_id = 0
    for parcel in r.province.parcels:
        for transfer in parcel.transfers:
            holder = transfer.from_holder
            right_id += 1
            yield quyen_su_dung_record(
                r, right_id, parcel, holder, ids[(holder.holder_kind, holder.holder_no)][0],
                transfer.on - timedelta(days=3000), transfer.on)
        for holding in parcel.holders:
            right_id += 1
            yield quyen_su_dung_record(
                r, right_id, parcel, holding, ids[(holding.holder_kind, holding.holder_no)][-1],
                parcel.held_since, None)


def bien_dong_record(r: Renderer, parcel: Parcel, transfer: Transfer, from_id: int,
                     to_id: int) -> Record:
    return r.emit({
        "id": transfer.transfer_no, "thua_dat_id": parcel.parcel_no,
        "loai_bien_dong": transfer.kind, "ben_chuyen_id": from_id, "ben_nhan_id": to_id,
        "ngay_bien_dong": transfer.on, "ngay_cap_nhat": r.touched(transfer.on),
    }, [("parcel", "parcel", parcel.parcel_no),
        ("from", transfer.from_holder.holder_kind, transfer.from_holder.holder_no),
        ("to", transfer.to_holder.holder_kind, transfer.to_holder.holder_no)])


def _bien_dong(r: Renderer) -> Iterator[Record]:
    ids = land_user_ids(r.province, r.settings)
    for parcel in r.province.parcels:
        for t in parcel.transfers:
            yield bien_dong_record(
                r, parcel, t, ids[(t.from_holder.holder_kind, t.from_holder.holder_no)][0],
                ids[(t.to_holder.holder_kind, t.to_holder.holder_no)][-1])


# -- enterprise register (English naming) --------------------------------------------------------

def _address_columns(r: Renderer, street: str, commune: str) -> tuple[str, str | None]:
    free_text = r.noise.free_text_address("address_line",
                                          full_address(r.province, street, commune))
    return (free_text, None) if free_text else (street, commune)


def _deceased_note(person: Person, column: str, active: bool) -> list[NoiseNote]:
    return [(column, "deceased_still_active")] if active and person.death_date else []


def enterprise_record(r: Renderer, org: Organization) -> Record:
    p = r.province
    rep = p.persons[org.representative_no - 1]
    parent = p.organizations[org.parent_no - 1].code if org.parent_no else None
    address_line, ward_code = _address_columns(r, org.street, org.commune)
    return r.emit({
        "enterprise_code": org.code, "parent_enterprise_code": parent,
        "unit_type": "BRANCH" if org.kind == "branch" else "HQ", "name": org.name,
        "legal_form_code": org.legal_form, "main_vsic_code": org.vsic,
        "status_code": org.status.upper(), "charter_capital_vnd": org.charter_capital,
        "address_line": address_line, "ward_code": ward_code,
        "registration_date": org.registered_on,
        "legal_rep_name": _person_name(r, "legal_rep_name", rep),
        "legal_rep_id_no": r.noise.id_number("legal_rep_id_no", rep.personal_id, rep.cmnd),
        "legal_rep_dob": r.noise.birth_date("legal_rep_dob", rep.birth_date),
        "updated_at": r.touched(org.registered_on),
    }, [("subject", "organization", org.org_no), ("legal_representative", "person",
                                                  rep.person_no)],
        _deceased_note(rep, "legal_rep_id_no", org.status != "dissolved"))


def _enterprises(r: Renderer) -> Iterator[Record]:
    for org in r.province.organizations:
        if org.kind in ("enterprise", "branch"):
            yield enterprise_record(r, org)


def household_business_record(r: Renderer, org: Organization) -> Record:
    owner = r.province.persons[org.representative_no - 1]
    address_line, ward_code = _address_columns(r, org.street, org.commune)
    return r.emit({
        "registration_no": org.code, "business_name": org.name,
        "owner_name": _person_name(r, "owner_name", owner),
        "owner_id_no": r.noise.id_number("owner_id_no", owner.personal_id, owner.cmnd),
        "owner_dob": r.noise.birth_date("owner_dob", owner.birth_date),
        "vsic_code": org.vsic, "address_line": address_line, "ward_code": ward_code,
        "registration_date": org.registered_on, "status_code": org.status.upper(),
        "updated_at": r.touched(org.registered_on),
    }, [("subject", "organization", org.org_no), ("owner", "person", owner.person_no)])


def _household_businesses(r: Renderer) -> Iterator[Record]:
    for org in r.province.organizations:
        if org.kind == "household_business":
            yield household_business_record(r, org)


# -- civil registry (Vietnamese naming, dates as dd/mm/yyyy text) ----------------------------------

def khai_sinh_records(r: Renderer, person: Person, duplicate: bool | None = None
                      ) -> Iterator[Record]:
    """A birth registration, and now and then a second one (re-registration)."""
    p = r.province
    father = p.persons[person.father_no - 1] if person.father_no else None
    mother = p.persons[person.mother_no - 1] if person.mother_no else None
    registered = person.birth_date + timedelta(days=r.rng.randrange(1, 60))
    if duplicate is None:
        duplicate = r.noise.chance("duplicate_person_record")
    links = [("subject", "person", person.person_no)]
    if father:
        links.append(("father", "person", father.person_no))
    if mother:
        links.append(("mother", "person", mother.person_no))
    for copy in range(2 if duplicate else 1):
        key = f"KS.{person.birth_date.year}.{person.person_no:08d}" + (".L" if copy else "")
        on = registered if not copy else registered + timedelta(days=r.rng.randrange(400, 9000))
        yield r.emit({
            "so_dang_ky": key,
            # The registry issues the child's ID itself: it may be formatted, not mistyped.
            "so_dinh_danh": r.noise.formatted_id("so_dinh_danh", person.personal_id),
            "ho_ten": _person_name(r, "ho_ten", person), "gioi_tinh": _sex_vi(person),
            "ngay_sinh": r.noise.dmy_text("ngay_sinh", person.birth_date,
                                          allow_year_only=False),
            "noi_sinh_ma_xa": person.birth_commune,
            "cha_so_dinh_danh": r.noise.typed_id("cha_so_dinh_danh", father.personal_id)
            if father else None,
            "me_so_dinh_danh": r.noise.typed_id("me_so_dinh_danh", mother.personal_id)
            if mother else None,
            "ngay_dang_ky": dmy(min(on, p.world_date)),
            "thoi_diem_cap_nhat": r.touched(max(min(on, p.world_date), date(2015, 1, 1))),
        }, links, [("so_dang_ky", "duplicate_person_record")] if copy else None)


def _khai_sinh(r: Renderer) -> Iterator[Record]:
    for person in r.province.persons:
        if person.birth_commune is not None:
            yield from khai_sinh_records(r, person)


def khai_tu_record(r: Renderer, person: Person) -> Record:
    assert person.death_date is not None
    registered = min(person.death_date + timedelta(days=r.rng.randrange(1, 30)),
                     r.province.world_date)
    return r.emit({
        "so_dang_ky": f"KT.{person.death_date.year}.{person.person_no:08d}",
        "so_dinh_danh": r.noise.typed_id("so_dinh_danh", person.personal_id),
        "ho_ten": _person_name(r, "ho_ten", person),
        "ngay_mat": r.noise.dmy_text("ngay_mat", person.death_date, allow_year_only=False,
                                     birth=False),
        "noi_mat_ma_xa": person.home_commune, "ngay_dang_ky": dmy(registered),
        "thoi_diem_cap_nhat": r.touched(registered),
    }, [("subject", "person", person.person_no)])


def _khai_tu(r: Renderer) -> Iterator[Record]:
    for person in r.province.persons:
        if person.death_date is not None:
            yield khai_tu_record(r, person)


def ket_hon_record(r: Renderer, m: Marriage) -> Record:
    husband, wife = r.province.persons[m.husband_no - 1], r.province.persons[m.wife_no - 1]
    return r.emit({
        "so_dang_ky": f"KH.{m.registered_on.year}.{m.marriage_no:08d}",
        "chong_so_dinh_danh": r.noise.typed_id("chong_so_dinh_danh", husband.personal_id),
        "chong_ho_ten": _person_name(r, "chong_ho_ten", husband),
        "vo_so_dinh_danh": r.noise.typed_id("vo_so_dinh_danh", wife.personal_id),
        "vo_ho_ten": _person_name(r, "vo_ho_ten", wife),
        "ngay_dang_ky": dmy(m.registered_on), "noi_dang_ky_ma_xa": m.commune,
        "thoi_diem_cap_nhat": r.touched(m.registered_on),
    }, [("husband", "person", husband.person_no), ("wife", "person", wife.person_no)])


def _ket_hon(r: Renderer) -> Iterator[Record]:
    for m in r.province.marriages:
        yield ket_hon_record(r, m)


# -- cadre database (abbreviated Vietnamese naming, numeric sex) -----------------------------------

def dm_co_quan_record(r: Renderer, org: Organization) -> Record:
    parent = r.province.organizations[org.parent_no - 1].code if org.parent_no else None
    return r.emit({
        "ma_co_quan": org.code, "ten_co_quan": org.name, "ma_co_quan_cha": parent,
        "cap_hanh_chinh": org.level, "ma_dvhc": org.commune,
        "ngay_sua": r.touched(date(2015, 1, 1)),
    }, [("subject", "organization", org.org_no)])


def _dm_co_quan(r: Renderer) -> Iterator[Record]:
    for org in r.province.organizations:
        if org.kind in ("state_agency", "agency_unit"):
            yield dm_co_quan_record(r, org)


def cadre_code(person_no: int, duplicate: bool = False) -> str:
    return f"CBT{person_no:07d}" if duplicate else f"CB{person_no:07d}"


def ho_so_can_bo_records(r: Renderer, person: Person, latest: Employment, first_start: date,
                         duplicate: bool | None = None) -> Iterator[Record]:
    """A civil servant's profile, and now and then a second one for the same person."""
    unit = r.province.organizations[latest.unit_no - 1]
    active = latest.end is None or latest.end_unrecorded
    if duplicate is None:
        duplicate = r.noise.chance("duplicate_person_record")
    for copy in range(2 if duplicate else 1):
        notes = [("ma_can_bo", "duplicate_person_record")] if copy else []
        if latest.end_unrecorded:
            notes.append(("trang_thai", "deceased_still_active"))
        yield r.emit({
            "ma_can_bo": cadre_code(person.person_no, duplicate=bool(copy)),
            "ho_ten": _person_name(r, "ho_ten", person),
            "ngay_sinh": r.noise.birth_date("ngay_sinh", person.birth_date),
            "gioi_tinh": 1 if person.sex == "M" else 0,
            "so_cccd": r.noise.id_number("so_cccd", person.personal_id, person.cmnd),
            "ma_co_quan": unit.code, "ma_ngach": latest.grade, "bac_luong": latest.step,
            "he_so_luong": latest.coefficient, "chuc_vu": latest.position,
            "ngay_tuyen_dung": first_start,
            "trang_thai": "DANG_CONG_TAC" if active else "NGHI_VIEC",
            "ngay_sua": r.touched(latest.start),
        }, [("subject", "person", person.person_no), ("agency", "organization", unit.org_no)],
            notes)


def civil_servants(province: Province) -> dict[int, tuple[Employment, date]]:
    """Each civil servant's latest stint and the start of the first."""
    result: dict[int, tuple[Employment, date]] = {}
    for e in province.employments:
        first = result[e.person_no][1] if e.person_no in result else e.start
        result[e.person_no] = (e, first)
    return result


def _ho_so_can_bo(r: Renderer) -> Iterator[Record]:
    for person_no, (latest, first) in civil_servants(r.province).items():
        yield from ho_so_can_bo_records(r, r.province.persons[person_no - 1], latest, first)


def qua_trinh_record(r: Renderer, e: Employment) -> Record:
    unit = r.province.organizations[e.unit_no - 1]
    end = None if e.end_unrecorded else e.end
    return r.emit({
        "id": e.employment_no, "ma_can_bo": cadre_code(e.person_no), "ma_co_quan": unit.code,
        "chuc_vu": e.position, "ma_ngach": e.grade, "he_so_luong": e.coefficient,
        "tu_ngay": e.start, "den_ngay": end, "ngay_sua": r.touched(end or e.start),
    }, [("subject", "person", e.person_no), ("agency", "organization", unit.org_no)],
        [("den_ngay", "deceased_still_active")] if e.end_unrecorded else None)


def _qua_trinh_cong_tac(r: Renderer) -> Iterator[Record]:
    for e in r.province.employments:
        yield qua_trinh_record(r, e)


TABLES: tuple[SourceTable, ...] = (
    SourceTable("land", "thua_dat", (
        ("id", "integer"), ("ma_xa", "varchar(5)"), ("so_to_ban_do", "integer"),
        ("so_thua", "integer"), ("dien_tich", "numeric(14,1)"), ("ma_loai_dat", "varchar(5)"),
        ("khu_quy_hoach", "varchar(100)"), ("ranh_gioi", "text"), ("he_toa_do", "varchar(40)"),
        ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _thua_dat,
       (("dien_tich", "negative_area", None), ("ma_loai_dat", "unknown_code", "land_use"),
        ("ma_xa", "unknown_code", "commune"))),
    SourceTable("land", "chu_su_dung", (
        ("id", "integer"), ("loai_chu", "varchar(2)"), ("ho_ten", "varchar(200)"),
        ("loai_giay_to", "varchar(10)"), ("so_giay_to", "varchar(20)"),
        ("ngay_sinh", "varchar(10)"), ("gioi_tinh", "varchar(5)"), ("dia_chi", "varchar(300)"),
        ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _chu_su_dung,
       (("so_giay_to", "malformed_id", None), ("ngay_sinh", "impossible_date", None),
        ("ho_ten", "missing_required", None))),
    SourceTable("land", "giay_chung_nhan", (
        ("id", "integer"), ("so_phat_hanh", "varchar(20)"), ("so_vao_so", "varchar(20)"),
        ("ngay_cap", "date"), ("co_quan_cap", "varchar(200)"), ("thua_dat_id", "integer"),
        ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _giay_chung_nhan,
       (("ngay_cap", "impossible_date", None),)),
    SourceTable("land", "quyen_su_dung", (
        ("id", "integer"), ("thua_dat_id", "integer"), ("chu_su_dung_id", "integer"),
        ("giay_chung_nhan_id", "integer"), ("ty_le", "numeric(5,4)"), ("tu_ngay", "date"),
        ("den_ngay", "date"), ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _quyen_su_dung,
       (("chu_su_dung_id", "missing_required", None),)),
    SourceTable("land", "bien_dong", (
        ("id", "integer"), ("thua_dat_id", "integer"), ("loai_bien_dong", "varchar(20)"),
        ("ben_chuyen_id", "integer"), ("ben_nhan_id", "integer"), ("ngay_bien_dong", "date"),
        ("ngay_cap_nhat", "timestamp"),
    ), "id", "ngay_cap_nhat", _bien_dong,
       (("ngay_bien_dong", "impossible_date", None),
        ("loai_bien_dong", "unknown_code", "transfer_kind"))),
    SourceTable("enterprise", "enterprises", (
        ("enterprise_code", "varchar(14)"), ("parent_enterprise_code", "varchar(14)"),
        ("unit_type", "varchar(10)"), ("name", "varchar(300)"), ("legal_form_code", "varchar(10)"),
        ("main_vsic_code", "varchar(5)"), ("status_code", "varchar(20)"),
        ("charter_capital_vnd", "bigint"), ("address_line", "varchar(300)"),
        ("ward_code", "varchar(5)"), ("registration_date", "date"),
        ("legal_rep_name", "varchar(200)"), ("legal_rep_id_no", "varchar(20)"),
        ("legal_rep_dob", "date"), ("updated_at", "timestamp"),
    ), "enterprise_code", "updated_at", _enterprises,
       (("legal_rep_id_no", "malformed_id", None), ("legal_form_code", "unknown_code",
                                                     "legal_form"),
        ("main_vsic_code", "unknown_code", "vsic"), ("ward_code", "unknown_code", "commune"),
        ("name", "missing_required", None), ("legal_rep_dob", "impossible_date", None))),
    SourceTable("enterprise", "household_businesses", (
        ("registration_no", "varchar(20)"), ("business_name", "varchar(300)"),
        ("owner_name", "varchar(200)"), ("owner_id_no", "varchar(20)"), ("owner_dob", "date"),
        ("vsic_code", "varchar(5)"), ("address_line", "varchar(300)"), ("ward_code", "varchar(5)"),
        ("registration_date", "date"), ("status_code", "varchar(20)"), ("updated_at", "timestamp"),
    ), "registration_no", "updated_at", _household_businesses,
       (("owner_id_no", "malformed_id", None), ("ward_code", "unknown_code", "commune"),
        ("business_name", "missing_required", None), ("owner_dob", "impossible_date", None))),
    SourceTable("civil_registry", "khai_sinh", (
        ("so_dang_ky", "varchar(30)"), ("so_dinh_danh", "varchar(20)"), ("ho_ten", "varchar(200)"),
        ("gioi_tinh", "varchar(5)"), ("ngay_sinh", "varchar(10)"), ("noi_sinh_ma_xa", "varchar(5)"),
        ("cha_so_dinh_danh", "varchar(20)"), ("me_so_dinh_danh", "varchar(20)"),
        ("ngay_dang_ky", "varchar(10)"), ("thoi_diem_cap_nhat", "timestamp"),
    ), "so_dang_ky", "thoi_diem_cap_nhat", _khai_sinh,
       (("so_dinh_danh", "malformed_id", None), ("ngay_sinh", "impossible_date", None),
        ("ho_ten", "missing_required", None), ("noi_sinh_ma_xa", "unknown_code", "commune"))),
    SourceTable("civil_registry", "khai_tu", (
        ("so_dang_ky", "varchar(30)"), ("so_dinh_danh", "varchar(20)"), ("ho_ten", "varchar(200)"),
        ("ngay_mat", "varchar(10)"), ("noi_mat_ma_xa", "varchar(5)"),
        ("ngay_dang_ky", "varchar(10)"), ("thoi_diem_cap_nhat", "timestamp"),
    ), "so_dang_ky", "thoi_diem_cap_nhat", _khai_tu,
       (("so_dinh_danh", "malformed_id", None), ("ngay_mat", "impossible_date", None))),
    SourceTable("civil_registry", "ket_hon", (
        ("so_dang_ky", "varchar(30)"), ("chong_so_dinh_danh", "varchar(20)"),
        ("chong_ho_ten", "varchar(200)"), ("vo_so_dinh_danh", "varchar(20)"),
        ("vo_ho_ten", "varchar(200)"), ("ngay_dang_ky", "varchar(10)"),
        ("noi_dang_ky_ma_xa", "varchar(5)"), ("thoi_diem_cap_nhat", "timestamp"),
    ), "so_dang_ky", "thoi_diem_cap_nhat", _ket_hon,
       (("chong_so_dinh_danh", "malformed_id", None), ("ngay_dang_ky", "impossible_date", None))),
    SourceTable("cadre", "dm_co_quan", (
        ("ma_co_quan", "varchar(10)"), ("ten_co_quan", "varchar(300)"),
        ("ma_co_quan_cha", "varchar(10)"), ("cap_hanh_chinh", "varchar(10)"),
        ("ma_dvhc", "varchar(5)"), ("ngay_sua", "timestamp"),
    ), "ma_co_quan", "ngay_sua", _dm_co_quan,
       (("ma_dvhc", "unknown_code", "commune"),)),
    SourceTable("cadre", "ho_so_can_bo", (
        ("ma_can_bo", "varchar(10)"), ("ho_ten", "varchar(200)"), ("ngay_sinh", "date"),
        ("gioi_tinh", "smallint"), ("so_cccd", "varchar(20)"), ("ma_co_quan", "varchar(10)"),
        ("ma_ngach", "varchar(10)"), ("bac_luong", "smallint"), ("he_so_luong", "numeric(4,2)"),
        ("chuc_vu", "varchar(100)"), ("ngay_tuyen_dung", "date"), ("trang_thai", "varchar(20)"),
        ("ngay_sua", "timestamp"),
    ), "ma_can_bo", "ngay_sua", _ho_so_can_bo,
       (("so_cccd", "malformed_id", None), ("ma_ngach", "unknown_code", "grade"),
        ("ngay_sinh", "impossible_date", None), ("ho_ten", "missing_required", None))),
    SourceTable("cadre", "qua_trinh_cong_tac", (
        ("id", "integer"), ("ma_can_bo", "varchar(10)"), ("ma_co_quan", "varchar(10)"),
        ("chuc_vu", "varchar(100)"), ("ma_ngach", "varchar(10)"), ("he_so_luong", "numeric(4,2)"),
        ("tu_ngay", "date"), ("den_ngay", "date"), ("ngay_sua", "timestamp"),
    ), "id", "ngay_sua", _qua_trinh_cong_tac,
       (("ma_ngach", "unknown_code", "grade"), ("tu_ngay", "impossible_date", None))),
)


def tables_of(source: str) -> tuple[SourceTable, ...]:
    return tuple(t for t in TABLES if t.source == source)
