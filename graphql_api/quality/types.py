"""A data-quality issue of an owning agency's record (changes.quality_issues)."""

from __future__ import annotations

import datetime
import enum

import strawberry


@strawberry.enum(description="What is wrong with the record.")
class DataQualityIssueKind(enum.Enum):
    PERSON_CONFLICT = "person_conflict"
    DECEASED_STILL_ACTIVE = "deceased_still_active"
    MISTYPED_IDENTITY_NUMBER = "mistyped_identity_number"
    INVALID_SOURCE_VALUE = "invalid_source_value"


@strawberry.enum(description="Where the issue stands.")
class DataQualityIssueStatus(enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REOPENED = "reopened"


@strawberry.enum(description="An agency system whose records kho reads.")
class SourceSystem(enum.Enum):
    LAND = "land"
    ENTERPRISE = "enterprise"
    CIVIL_REGISTRY = "civil_registry"
    CADRE = "cadre"


@strawberry.type(description="A record of an agency that conflicts with master data, for the "
                             "agency to fix at the source; resolved by itself once it is.")
class DataQualityIssue:
    issue_id: strawberry.ID = strawberry.field(description="Stable across publications.")
    kind: DataQualityIssueKind
    status: DataQualityIssueStatus
    source_system: str
    source_table: str
    source_record_key: str
    person_id: strawberry.ID | None = strawberry.field(
        description="The master person the record resolves to.")
    attribute: str = strawberry.field(
        description="PERSON_CONFLICT: birth_date, full_name or sex; DECEASED_STILL_ACTIVE: "
                    "still_employed, still_legal_representative, still_owner or "
                    "still_sole_land_user; MISTYPED_IDENTITY_NUMBER: personal_id_number "
                    "(the source's number, one keystroke from its person's); "
                    "INVALID_SOURCE_VALUE: the source's own column (ngay_sinh, so_cccd, ...) "
                    "whose value kho could not use.")
    rule: str | None = strawberry.field(
        description="INVALID_SOURCE_VALUE: the rule the value breaks (malformed_id, "
                    "impossible_date, unknown_code, missing_value, ...); the record was kept "
                    "without it.")
    source_value: str | None = strawberry.field(description="The value in the source.")
    master_value: str | None = strawberry.field(
        description="The master's value (none for INVALID_SOURCE_VALUE).")
    master_source_system: str | None = strawberry.field(
        description="Where the master's value comes from.")
    first_seen_at: datetime.datetime
    last_seen_at: datetime.datetime
    status_changed_at: datetime.datetime
    acknowledged_by: str | None


@strawberry.type(description="A page of an agency's data-quality issues.")
class DataQualityIssuePage:
    issues: list[DataQualityIssue]
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool
