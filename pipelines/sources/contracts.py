"""What kho expects of each agency table: key, watermark column and columns with types.

These are the agencies' own designs, declared once; extraction, loading and the raw
layer are generic over them. Types name what a value must parse as, not how the agency
stores it (the civil registry keeps dates as ``dd/mm/yyyy`` text).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableContract:
    source: str
    table: str
    key: str
    watermark: str
    columns: tuple[tuple[str, str], ...]

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def raw_table(self) -> str:
        return f"{self.raw_schema}.{self.table}"


def _table(source: str, table: str, key: str, watermark: str, columns: str) -> TableContract:
    parsed = tuple(tuple(part.split(":")) for part in columns.split())
    return TableContract(source, table, key, watermark, parsed)  # type: ignore[arg-type]


CONTRACTS: tuple[TableContract, ...] = (
    _table("land", "thua_dat", "id", "ngay_cap_nhat",
           "id:integer ma_xa:text so_to_ban_do:integer so_thua:integer dien_tich:numeric "
           "ma_loai_dat:text khu_quy_hoach:text ranh_gioi:text ngay_cap_nhat:timestamp"),
    _table("land", "chu_su_dung", "id", "ngay_cap_nhat",
           "id:integer loai_chu:text ho_ten:text loai_giay_to:text so_giay_to:text "
           "ngay_sinh:dmy_date gioi_tinh:text dia_chi:text ngay_cap_nhat:timestamp"),
    _table("land", "giay_chung_nhan", "id", "ngay_cap_nhat",
           "id:integer so_phat_hanh:text so_vao_so:text ngay_cap:date co_quan_cap:text "
           "thua_dat_id:integer ngay_cap_nhat:timestamp"),
    _table("land", "quyen_su_dung", "id", "ngay_cap_nhat",
           "id:integer thua_dat_id:integer chu_su_dung_id:integer giay_chung_nhan_id:integer "
           "ty_le:numeric tu_ngay:date den_ngay:date ngay_cap_nhat:timestamp"),
    _table("land", "bien_dong", "id", "ngay_cap_nhat",
           "id:integer thua_dat_id:integer loai_bien_dong:text ben_chuyen_id:integer "
           "ben_nhan_id:integer ngay_bien_dong:date ngay_cap_nhat:timestamp"),
    _table("enterprise", "enterprises", "enterprise_code", "updated_at",
           "enterprise_code:text parent_enterprise_code:text unit_type:text name:text "
           "legal_form_code:text main_vsic_code:text status_code:text "
           "charter_capital_vnd:integer address_line:text ward_code:text "
           "registration_date:date legal_rep_name:text legal_rep_id_no:text "
           "legal_rep_dob:date updated_at:timestamp"),
    _table("enterprise", "household_businesses", "registration_no", "updated_at",
           "registration_no:text business_name:text owner_name:text owner_id_no:text "
           "owner_dob:date vsic_code:text address_line:text ward_code:text "
           "registration_date:date status_code:text updated_at:timestamp"),
    _table("civil_registry", "khai_sinh", "so_dang_ky", "thoi_diem_cap_nhat",
           "so_dang_ky:text so_dinh_danh:text ho_ten:text gioi_tinh:text ngay_sinh:dmy_date "
           "noi_sinh_ma_xa:text cha_so_dinh_danh:text me_so_dinh_danh:text "
           "ngay_dang_ky:dmy_date thoi_diem_cap_nhat:timestamp"),
    _table("civil_registry", "khai_tu", "so_dang_ky", "thoi_diem_cap_nhat",
           "so_dang_ky:text so_dinh_danh:text ho_ten:text ngay_mat:dmy_date "
           "noi_mat_ma_xa:text ngay_dang_ky:dmy_date thoi_diem_cap_nhat:timestamp"),
    _table("civil_registry", "ket_hon", "so_dang_ky", "thoi_diem_cap_nhat",
           "so_dang_ky:text chong_so_dinh_danh:text chong_ho_ten:text vo_so_dinh_danh:text "
           "vo_ho_ten:text ngay_dang_ky:dmy_date noi_dang_ky_ma_xa:text "
           "thoi_diem_cap_nhat:timestamp"),
    _table("cadre", "dm_co_quan", "ma_co_quan", "ngay_sua",
           "ma_co_quan:text ten_co_quan:text ma_co_quan_cha:text cap_hanh_chinh:text "
           "ma_dvhc:text ngay_sua:timestamp"),
    _table("cadre", "ho_so_can_bo", "ma_can_bo", "ngay_sua",
           "ma_can_bo:text ho_ten:text ngay_sinh:date gioi_tinh:integer so_cccd:text "
           "ma_co_quan:text ma_ngach:text bac_luong:integer he_so_luong:numeric chuc_vu:text "
           "ngay_tuyen_dung:date trang_thai:text ngay_sua:timestamp"),
    _table("cadre", "qua_trinh_cong_tac", "id", "ngay_sua",
           "id:integer ma_can_bo:text ma_co_quan:text chuc_vu:text ma_ngach:text "
           "he_so_luong:numeric tu_ngay:date den_ngay:date ngay_sua:timestamp"),
)


def contracts_of(source: str) -> tuple[TableContract, ...]:
    return tuple(c for c in CONTRACTS if c.source == source)
