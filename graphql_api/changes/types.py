"""A page of the change feed and its events."""

from __future__ import annotations

import datetime
import enum

import strawberry
from strawberry.scalars import JSON


@strawberry.enum(description="The kinds of published record the change feed follows, and the "
                             "data-quality issues of an agency's records (shown to clients "
                             "with a shared grant on its dataset).")
class ChangeEntityType(enum.Enum):
    PERSON = "person"
    ORGANIZATION = "organization"
    LAND_PARCEL = "land_parcel"
    ADMIN_UNIT = "admin_unit"
    LAND_RIGHT = "land_right"
    ENTERPRISE_ROLE = "enterprise_role"
    EMPLOYMENT = "employment"
    DATA_QUALITY_ISSUE = "data_quality_issue"


@strawberry.enum(description="What happened to a record in a publication.")
class ChangeKind(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    MERGED_INTO = "merged_into"
    SPLIT = "split"
    RETIRED = "retired"


@strawberry.type(description="One change to one published record. Attributes are named as "
                             "the fields of the record's type (Person.fullName: fullName), "
                             "and shown only where the record itself would show them.")
class ChangeEvent:
    cursor: str = strawberry.field(description="The event's place in the feed: pass as "
                                               "`after` to read what came after it.")
    publication_id: int = strawberry.field(
        description="The publication that made it; for an agency's acknowledgement of a "
                    "data-quality issue, the publication served when it was made.")
    published_at: datetime.datetime
    entity_type: ChangeEntityType
    master_id: strawberry.ID = strawberry.field(
        description="The record's kho ID (node(id), person(id), ...); for a data-quality "
                    "issue, its issueId.")
    kind: ChangeKind
    related_id: strawberry.ID | None = strawberry.field(
        description="MERGED_INTO: the record it now belongs to; SPLIT: the new record that "
                    "took some of its source records.")
    changed_attributes: list[str] = strawberry.field(
        description="UPDATED: the attributes that changed (those you may see).")
    attributes: JSON = strawberry.field(
        description="CREATED: the record's attributes; UPDATED: the new values of the "
                    "changed ones. Attributes you may not see are left out; masked ones "
                    "are masked.")
    previous: JSON = strawberry.field(
        description="UPDATED: the values the changed attributes had before.")


@strawberry.type(description="A page of the change feed.")
class ChangeFeed:
    events: list[ChangeEvent]
    end_cursor: str = strawberry.field(
        description="Where this page ends: pass as `after` for the next one (it moves on "
                    "past events you may not see, too).")
    has_next_page: bool
    latest_cursor: str = strawberry.field(
        description="The feed's last cursor now (of the types asked for or not).")
