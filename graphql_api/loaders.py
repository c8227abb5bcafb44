"""Every relation's DataLoader for one request, joined from the domains' ``dataloaders.py``
as schema.py joins their queries, and the conveniences that hand a related record back as
its domain type. Above the core: ``core.context`` names ``Loaders`` only for the type
checker, so the core never imports a domain."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from graphql_api.access.caller import Caller
from graphql_api.access.grants import personal
from graphql_api.admin_units import dataloaders as admin_units
from graphql_api.admin_units.types import AdminUnit
from graphql_api.cadre import dataloaders as cadre
from graphql_api.civil_registry import dataloaders as civil_registry
from graphql_api.core.batching import resolved
from graphql_api.core.database import Session
from graphql_api.core.pagination import decode_cursor, page_size
from graphql_api.land import dataloaders as land
from graphql_api.land.types import LandParcel
from graphql_api.organizations import dataloaders as organizations
from graphql_api.organizations.types import Organization
from graphql_api.persons import dataloaders as persons
from graphql_api.persons.types import Person


class Loaders:
    """One request's DataLoaders, each made on first use and never shared between requests,
    so nothing one caller read is served to another."""

    def __init__(self, session: Session, caller: Caller):
        self.session = session
        self.caller = caller

    @cached_property
    def person_by_id(self) -> DataLoader:
        return persons.person_by_id(self.session)

    @cached_property
    def person_id_status(self) -> DataLoader:
        return persons.person_id_status(self.session)

    @cached_property
    def organization_by_id(self) -> DataLoader:
        return organizations.organization_by_id(self.session)

    @cached_property
    def organization_by_enterprise_code(self) -> DataLoader:
        return organizations.organization_by_enterprise_code(self.session)

    @cached_property
    def organization_id_status(self) -> DataLoader:
        return organizations.organization_id_status(self.session)

    @cached_property
    def organizations_by_parent(self) -> DataLoader:
        return organizations.organizations_by_parent(self.session)

    @cached_property
    def enterprise_roles_by_person(self) -> DataLoader:
        return organizations.enterprise_roles_by_person(self.session)

    @cached_property
    def enterprise_roles_by_organization(self) -> DataLoader:
        return organizations.enterprise_roles_by_organization(self.session)

    @cached_property
    def representatives_as_of(self) -> DataLoader:
        return organizations.representatives_as_of(self.session)

    @cached_property
    def land_parcel_by_id(self) -> DataLoader:
        return land.land_parcel_by_id(self.session)

    @cached_property
    def land_rights_by_parcel(self) -> DataLoader:
        return land.land_rights_by_parcel(self.session)

    @cached_property
    def land_rights_by_person(self) -> DataLoader:
        return land.land_rights_by_person(self.session)

    @cached_property
    def land_rights_by_organization(self) -> DataLoader:
        return land.land_rights_by_organization(self.session)

    @cached_property
    def land_transfers_by_parcel(self) -> DataLoader:
        return land.land_transfers_by_parcel(self.session)

    @cached_property
    def land_transfers_by_person(self) -> DataLoader:
        return land.land_transfers_by_person(self.session)

    @cached_property
    def admin_unit_by_id(self) -> DataLoader:
        return admin_units.admin_unit_by_id(self.session)

    @cached_property
    def admin_units_by_parent(self) -> DataLoader:
        return admin_units.admin_units_by_parent(self.session)

    @cached_property
    def admin_unit_successions(self) -> DataLoader:
        return admin_units.admin_unit_successions(self.session)

    @cached_property
    def employment_by_person(self) -> DataLoader:
        return cadre.employment_by_person(self.session)

    @cached_property
    def staff_pages(self) -> DataLoader:
        return cadre.staff_pages(self.session)

    @cached_property
    def staff_pages_by_id(self) -> DataLoader:
        return cadre.staff_pages_by_id(self.session)

    @cached_property
    def civil_events_by_person(self) -> DataLoader:
        return civil_registry.civil_events_by_person(self.session)

    # The related record of a kind by its ID, as a resolver returns it: at once when a parent
    # already primed the loader (core.prefetch), else awaitable.

    def person(self, person_id: Any, reached_via: str | None):
        """``reached_via``: the dataset whose relation leads to the person (None: the root),
        whose personal grant shows their personal fields."""
        if person_id is None:
            return None
        return resolved(self.person_by_id.load(_uuid(person_id)),
                        _or_none(lambda row: Person.from_row(row, reached_via)))

    def organization(self, organization_id: Any):
        if organization_id is None:
            return None
        return resolved(self.organization_by_id.load(_uuid(organization_id)),
                        _or_none(Organization.from_row))

    def land_parcel(self, land_parcel_id: Any):
        if land_parcel_id is None:
            return None
        return resolved(self.land_parcel_by_id.load(_uuid(land_parcel_id)),
                        _or_none(LandParcel.from_row))

    def land_parcels(self, ids: list[Any]):
        return resolved(self.land_parcel_by_id.load_many([_uuid(i) for i in ids]),
                        lambda rows: [LandParcel.from_row(row) for row in rows if row])

    def admin_unit(self, generation: str, code: str | None):
        if code is None:
            return None
        return resolved(self.admin_unit_by_id.load(f"{generation}:commune:{code}"),
                        _or_none(AdminUnit.from_row))

    @property
    def staff_by_name(self) -> bool:
        """Staff pages go by name only for callers who may see the names."""
        return self.caller.refusal(personal("cadre"), "staff names") is None

    def staff_page(self, organization_id: Any, day: datetime.date, first: int | None,
                   after: str | None):
        by_name = self.staff_by_name
        page_size(first)  # a bad page of one parent must not fail its siblings' batch
        if after is not None:
            decode_cursor(cadre.STAFF_ORDER if by_name else cadre.STAFF_ORDER_BY_ID, after)
        loader = self.staff_pages if by_name else self.staff_pages_by_id
        return loader.load((_uuid(organization_id), day, first, after))


def _or_none(build: Callable[[dict], Any]) -> Callable[[dict | None], Any]:
    return lambda row: build(row) if row else None


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
