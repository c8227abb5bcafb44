from __future__ import annotations

import datetime

import strawberry

PERSON_COLUMNS = ("person_id", "personal_id_number", "id_card_number", "full_name", "sex",
                  "birth_date",
                  "is_deceased", "death_date", "source_systems", "last_source_update_at")


@strawberry.type(description="A person in the province's master data.")
class Person:
    id: strawberry.ID = strawberry.field(description="Stable kho ID of the person.")
    personal_id_number: str | None = strawberry.field(
        description="12-digit personal identification number; null for a person known only "
                    "by a 9-digit identity card (CMND).")
    id_card_number: str | None = strawberry.field(
        description="9-digit identity card number (CMND) the person was recorded by, "
                    "where one was.")
    full_name: str | None
    sex: str | None = strawberry.field(description="male or female.")
    birth_date: datetime.date | None
    is_deceased: bool
    death_date: datetime.date | None
    source_systems: list[str] = strawberry.field(
        description="The agency systems whose records mention this person.")
    last_source_update_at: datetime.datetime | None

    @classmethod
    def from_row(cls, row: dict) -> Person:
        return cls(
            id=strawberry.ID(str(row["person_id"])),
            personal_id_number=row["personal_id_number"],
            id_card_number=row["id_card_number"],
            full_name=row["full_name"],
            sex=row["sex"],
            birth_date=row["birth_date"],
            is_deceased=row["is_deceased"],
            death_date=row["death_date"],
            source_systems=row["source_systems"] or [],
            last_source_update_at=row["last_source_update_at"],
        )
