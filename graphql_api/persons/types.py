from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.access.grants import DATASETS
from graphql_api.cadre.types import Employment
from graphql_api.civil_registry.types import CivilEvent
from graphql_api.core.batching import each, resolved
from graphql_api.core.common import Node, Provenance, RecordStatus, provenance, row_fields
from graphql_api.core.context import Info
from graphql_api.land.types import LandRight, LandTransfer
from graphql_api.organizations.types import EnterpriseRole

if TYPE_CHECKING:
    from graphql_api.admin_units.types import AdminUnit

PERSON_SOURCE = "marts.dim_person"
PERSON_COLUMNS = (
    "person_id as id, personal_id_number, id_card_number, full_name, sex, birth_date, "
    "birth_date_precision, birth_legacy_commune_code, birth_current_commune_code, "
    "is_deceased, death_date, source_systems, last_source_update_at, mention_count, "
    "full_name_source_system, full_name_source_updated_at, birth_date_source_system, "
    "birth_date_source_updated_at, sex_source_system, attributes_source_system"
)


@strawberry.type(
    description="A person in the province's master data: one per real person "
    "the agency systems mention, however they spell or number them."
)
class Person(Node):
    id: strawberry.ID = strawberry.field(description="Stable kho ID of the person.")
    record_status: RecordStatus = strawberry.field(
        default=RecordStatus.ACTIVE,
        description="MERGED: this ID now belongs to another person (see mergedInto), and "
        "every other field is null; RETIRED: no source record names it any more.",
    )
    personal_id_number: str | None = strawberry.field(
        default=None,
        description="12-digit personal identification number; null for a person known only "
        "by a 9-digit identity card (CMND).",
    )
    id_card_number: str | None = strawberry.field(
        default=None,
        description="9-digit identity card number (CMND) the person was recorded by, "
        "where one was.",
    )
    full_name: str | None = None
    sex: str | None = strawberry.field(default=None, description="male or female.")
    birth_date: datetime.date | None = None
    birth_date_precision: str | None = strawberry.field(
        default=None, description="day, or year where the sources state the year only."
    )
    is_deceased: bool | None = None
    death_date: datetime.date | None = None
    source_systems: list[str] | None = strawberry.field(
        default=None, description="The agency systems whose records mention this person."
    )
    mention_count: int | None = strawberry.field(
        default=None, description="How many source records resolve to this person."
    )
    last_source_update_at: datetime.datetime | None = None
    birth_legacy_commune_code: strawberry.Private[str | None] = None
    birth_current_commune_code: strawberry.Private[str | None] = None
    full_name_source_system: strawberry.Private[str | None] = None
    full_name_source_updated_at: strawberry.Private[datetime.datetime | None] = None
    birth_date_source_system: strawberry.Private[str | None] = None
    birth_date_source_updated_at: strawberry.Private[datetime.datetime | None] = None
    sex_source_system: strawberry.Private[str | None] = None
    attributes_source_system: strawberry.Private[str | None] = None
    merged_into_id: strawberry.Private[str | None] = None
    # The dataset whose relation led to this person (a land right's holder: land); None for
    # a person looked up at the root.
    reached_via: strawberry.Private[str | None] = None

    def reached_through(self) -> tuple[str, ...]:
        """The datasets whose personal grants show this person's personal fields: the one
        it was reached through, or at the root every dataset that mentions them (a merged or
        retired ID shows nothing personal, under any)."""
        if self.reached_via is not None:
            return (self.reached_via,)
        if self.record_status is not RecordStatus.ACTIVE:
            return DATASETS
        return tuple(d for d in DATASETS if d in (self.source_systems or ()))

    @strawberry.field(description="For a MERGED ID: the person it belongs to now.")
    def merged_into(self, info: Info) -> Person | None:
        return info.context.loaders.person(self.merged_into_id, self.reached_via)

    @strawberry.field(description="Where each master attribute comes from.")
    def provenance(self) -> list[Provenance]:
        if self.record_status is not RecordStatus.ACTIVE:
            return []
        return [
            *provenance(self.full_name_source_system, self.full_name_source_updated_at, "fullName"),
            *provenance(
                self.birth_date_source_system,
                self.birth_date_source_updated_at,
                "birthDate",
                "birthDatePrecision",
                "birthCommune",
            ),
            *provenance(self.sex_source_system, self.last_source_update_at, "sex"),
            *provenance(
                self.attributes_source_system,
                self.last_source_update_at,
                "personalIdNumber",
                "idCardNumber",
            ),
            *provenance("civil_registry", None, "isDeceased", "deathDate"),
        ]

    @strawberry.field(description="Commune of birth on the current map.")
    def birth_commune(
        self, info: Info
    ) -> Annotated["AdminUnit", strawberry.lazy("graphql_api.admin_units.types")] | None:
        return info.context.loaders.admin_unit("current", self.birth_current_commune_code)

    @strawberry.field(description="Commune of birth as registered (pre-2025 code).")
    def birth_legacy_commune(
        self, info: Info
    ) -> Annotated["AdminUnit", strawberry.lazy("graphql_api.admin_units.types")] | None:
        return info.context.loaders.admin_unit("legacy", self.birth_legacy_commune_code)

    @strawberry.field(
        description="Land-use rights the person holds or held; with asOf, only "
        "those in force on that date."
    )
    def land_rights(
        self, info: Info, as_of: datetime.date | None = None
    ) -> list[LandRight] | None:
        return resolved(
            info.context.loaders.land_rights_by_person.load((self.id, as_of)),
            each(LandRight.from_row),
        )

    @strawberry.field(
        description="Land transfers the person took part in (either side), up to asOf when given."
    )
    def land_transfers(
        self, info: Info, as_of: datetime.date | None = None
    ) -> list[LandTransfer] | None:
        return resolved(
            info.context.loaders.land_transfers_by_person.load((self.id, as_of)),
            each(LandTransfer.from_row),
        )

    @strawberry.field(
        description="Roles in businesses (legal representative, household "
        "business owner); with asOf, those registered by then."
    )
    def enterprise_roles(
        self, info: Info, as_of: datetime.date | None = None
    ) -> list[EnterpriseRole] | None:
        return resolved(
            info.context.loaders.enterprise_roles_by_person.load((self.id, as_of)),
            each(EnterpriseRole.from_row),
        )

    @strawberry.field(
        description="Civil-service career: assignments to agencies; with asOf, "
        "the ones in force on that date."
    )
    def employment(
        self, info: Info, as_of: datetime.date | None = None
    ) -> list[Employment] | None:
        return resolved(
            info.context.loaders.employment_by_person.load((self.id, as_of)),
            each(Employment.from_row),
        )

    @strawberry.field(
        description="Births, marriages and deaths the person took part in; with "
        "asOf, those that happened by then."
    )
    def civil_events(
        self, info: Info, as_of: datetime.date | None = None
    ) -> list[CivilEvent] | None:
        return resolved(
            info.context.loaders.civil_events_by_person.load((self.id, as_of)),
            each(CivilEvent.from_row),
        )

    @classmethod
    def from_row(cls, row: dict, reached_via: str | None = None) -> Person:
        return cls(**row_fields(row), reached_via=reached_via)

    @classmethod
    def tombstone(cls, person_id: str, status: RecordStatus, merged_into: str | None) -> Person:
        return cls(id=uuid.UUID(person_id), record_status=status, merged_into_id=merged_into)
