from __future__ import annotations

import datetime

import strawberry

ORGANIZATION_COLUMNS = (
    "organization_id", "organization_type", "enterprise_code", "organization_name",
    "legal_form_code", "industry_code", "status", "charter_capital_vnd", "legacy_commune_code",
    "current_commune_code", "address_line", "registered_on", "source_updated_at",
)


@strawberry.type(description="An organization: enterprise, branch, household business or "
                             "state agency.")
class Organization:
    id: strawberry.ID = strawberry.field(description="Stable kho ID of the organization.")
    organization_type: str
    enterprise_code: str | None = strawberry.field(
        description="Enterprise code (10 digits; branches 10-3).")
    name: str | None
    legal_form_code: str | None
    industry_code: str | None = strawberry.field(description="Main VSIC industry code.")
    status: str | None
    charter_capital_vnd: float | None
    legacy_commune_code: str | None = strawberry.field(
        description="Commune of the address, pre-2025 code.")
    current_commune_code: str | None = strawberry.field(
        description="Commune of the address on the post-2025 map.")
    address_line: str | None
    registered_on: datetime.date | None
    source_updated_at: datetime.datetime | None

    @classmethod
    def from_row(cls, row: dict) -> Organization:
        capital = row["charter_capital_vnd"]
        return cls(
            id=strawberry.ID(str(row["organization_id"])),
            organization_type=row["organization_type"],
            enterprise_code=row["enterprise_code"],
            name=row["organization_name"],
            legal_form_code=row["legal_form_code"],
            industry_code=row["industry_code"],
            status=row["status"],
            charter_capital_vnd=float(capital) if capital is not None else None,
            legacy_commune_code=row["legacy_commune_code"],
            current_commune_code=row["current_commune_code"],
            address_line=row["address_line"],
            registered_on=row["registered_on"],
            source_updated_at=row["source_updated_at"],
        )
