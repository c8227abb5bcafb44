"""The open-data catalogue (``datasets``): every dataset kho publishes or shares, who owns it,
the grant it needs, its size and freshness, and where the open ones download."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

import psycopg
import strawberry

from graphql_api.access.field_rules import Classification
from graphql_api.access.grants import ANY, DataClass, Need, open_
from graphql_api.core.context import Info

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
# How often a dataset changes, as the EU's frequency vocabulary names it (DCAT's
# accrualPeriodicity): the sectoral datasets with every publication (the incremental ingest
# runs every 15 minutes by default, KHO_INCREMENTAL_CRON), admin units when the State
# reorganises them.
CONTINUOUS, IRREGULAR = "continuous", "irregular"


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title_vi: str
    title_en: str
    description: str
    description_vi: str
    owner: str
    dataset: str  # the grant that governs it
    data_class: DataClass
    mart: str
    # For open datasets: the columns published, in order.
    columns: tuple[str, ...] = ()
    where: str = "true"
    geojson: bool = False
    update_frequency: str = CONTINUOUS


CATALOGUE = (
    DatasetSpec(
        "admin_units", "Đơn vị hành chính", "Administrative units",
        "Provinces, legacy districts and communes of both generations (before and after "
        "1 July 2025), with codes, names, parents and centre coordinates.",
        "Tỉnh, huyện (cũ) và xã của cả hai thế hệ (trước và sau ngày 01/07/2025), với mã, "
        "tên, đơn vị cấp trên và toạ độ trung tâm.",
        "Sở Nội vụ (Department of Home Affairs)", ANY, DataClass.OPEN, "dim_admin_unit",
        ("admin_unit_id", "generation", "level", "admin_unit_code", "admin_unit_name",
         "short_name", "unit_type", "parent_admin_unit_id", "province_code", "latitude",
         "longitude", "area_km2"), update_frequency=IRREGULAR),
    DatasetSpec(
        "land_parcels", "Thửa đất", "Land parcels",
        "Every parcel of the land register: commune (legacy and current), map sheet, parcel "
        "number, area, land use, planning zone and boundary. No holders.",
        "Mọi thửa đất của sổ địa chính: xã (cũ và hiện hành), tờ bản đồ, số thửa, diện tích, "
        "loại đất, khu quy hoạch và ranh giới. Không có người sử dụng đất.",
        "Sở Nông nghiệp và Môi trường (Department of Agriculture and Environment)", "land",
        DataClass.OPEN, "dim_land_parcel",
        ("land_parcel_id", "legacy_commune_code", "current_commune_code", "map_sheet_number",
         "parcel_number", "area_m2", "land_use_code", "land_use_group", "land_use_name_vi",
         "land_use_name_en", "planning_zone", "boundary_wkt"), geojson=True),
    DatasetSpec(
        "enterprises", "Doanh nghiệp và hộ kinh doanh", "Enterprises and household businesses",
        "Public registration facts of enterprises, branches and household businesses: code, "
        "name, legal form, industry, status, address, registration date.",
        "Thông tin đăng ký công khai của doanh nghiệp, chi nhánh và hộ kinh doanh: mã, tên, "
        "loại hình, ngành, tình trạng, địa chỉ, ngày đăng ký.",
        "Sở Tài chính (Department of Finance)", "enterprise", DataClass.OPEN,
        "dim_organization",
        ("organization_id", "organization_type", "enterprise_code", "registration_number",
         "organization_name", "legal_form_code", "industry_code", "status",
         "legacy_commune_code", "current_commune_code", "address_line", "registered_on",
         "charter_capital_vnd"),
        where="organization_type <> 'state_agency'"),
    DatasetSpec(
        "land_rights", "Quyền sử dụng đất", "Land-use rights",
        "Who holds each parcel, in what share, from and until when; holders' names are "
        "personal data.",
        "Ai sử dụng thửa đất nào, với tỷ lệ nào, từ khi nào đến khi nào; tên người sử dụng đất "
        "là dữ liệu cá nhân.", "Sở Nông nghiệp và Môi trường (Department of Agriculture and "
        "Environment)", "land", DataClass.SHARED, "fct_land_right"),
    DatasetSpec(
        "persons", "Công dân", "Persons",
        "The person master record: one per real person across the agency systems, with "
        "name, ID numbers, birth and death.",
        "Bản ghi dữ liệu chủ về công dân: mỗi người một bản ghi trên mọi hệ thống của các "
        "cơ quan, với họ tên, số giấy tờ, ngày sinh, ngày mất.",
        "Công an tỉnh (Provincial Police)", ANY, DataClass.PERSONAL, "dim_person"),
    DatasetSpec(
        "civil_events", "Hộ tịch", "Civil registry events",
        "Births, marriages and deaths as registered.",
        "Khai sinh, kết hôn và khai tử như đã đăng ký.", "Sở Tư pháp (Department of Justice)",
        "civil_registry", DataClass.PERSONAL, "fct_civil_event"),
    DatasetSpec(
        "employment", "Cán bộ, công chức", "Civil servants",
        "Assignments of civil servants to state agencies: position, grade and salary.",
        "Việc bổ nhiệm cán bộ, công chức vào cơ quan nhà nước: chức vụ, ngạch và hệ số lương.",
        "Sở Nội vụ (Department of Home Affairs)", "cadre", DataClass.SHARED, "fct_employment"),
)
BY_NAME = {spec.name: spec for spec in CATALOGUE}


@strawberry.enum
class DataClassification(enum.Enum):
    OPEN = "open"
    SHARED = "shared"
    PERSONAL = "personal"


@strawberry.type(description="A dataset kho publishes or shares, with how to get it.")
class Dataset:
    name: str
    title_vi: str
    title_en: str
    description: str
    description_vi: str = strawberry.field(description="The description in Vietnamese.")
    owning_agency: str
    update_frequency: str = strawberry.field(
        description="continuous (with every publication) or irregular (admin units, when "
                    "the State reorganises them).")
    licence: str | None = strawberry.field(description="For open datasets.")
    classification: DataClassification
    grant: str | None = strawberry.field(
        description="The grant an agency client needs (DATASET:CLASS); null for open data.")
    row_count: int | None = strawberry.field(description="Rows in the last publication.")
    last_refreshed_at: datetime.datetime | None = strawberry.field(
        description="When the data was last published.")
    download_urls: list[str] = strawberry.field(
        description="Bulk downloads (open datasets): CSV, and GeoJSON for parcels.")
    change_cursor: str | None = strawberry.field(
        description="The change feed's cursor at the last publication: a copy of the data "
                    "taken now follows on with changes(after: changeCursor). Each download "
                    "says its own in the Kho-Change-Cursor header.")


LAST_PUBLICATION = ("select marts, published_at, (select coalesce(max(cursor), 0) "
                    "from changes.events) as change_cursor from kho_meta.publications "
                    "order by publication_id desc limit 1")


@strawberry.type
class OpenDataQueries:
    @strawberry.field(description="The catalogue: every dataset, its owner, licence, "
                                  "classification, size and freshness.")
    async def datasets(self, info: Info) -> list[Dataset]:
        try:
            row = await info.context.session.fetch_one(LAST_PUBLICATION)
        except psycopg.errors.UndefinedTable:
            row = None
        counts, published_at, cursor = (row["marts"], row["published_at"],
                                        str(row["change_cursor"])) if row else ({}, None, None)
        return [Dataset(
            name=spec.name, title_vi=spec.title_vi, title_en=spec.title_en,
            description=spec.description, description_vi=spec.description_vi,
            owning_agency=spec.owner, update_frequency=spec.update_frequency,
            licence=LICENCE if spec.data_class is DataClass.OPEN else None,
            classification=DataClassification(spec.data_class.label),
            grant=None if spec.data_class is DataClass.OPEN else str(
                Need(spec.dataset, spec.data_class)),
            row_count=counts.get(spec.mart), last_refreshed_at=published_at,
            download_urls=download_urls(spec), change_cursor=cursor) for spec in CATALOGUE]


def download_urls(spec: DatasetSpec) -> list[str]:
    if spec.data_class is not DataClass.OPEN:
        return []
    return [f"/opendata/{spec.name}.csv"] + ([f"/opendata/{spec.name}.geojson"]
                                             if spec.geojson else [])


CLASSIFICATION = Classification(types={"Dataset": open_()})
