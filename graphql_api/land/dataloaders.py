from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.core.asof import happened_by, in_force
from graphql_api.core.batching import many_per_key, one_per_key
from graphql_api.core.database import Session
from graphql_api.land.types import (
    LAND_PARCEL_COLUMNS,
    LAND_PARCEL_SOURCE,
    LAND_RIGHT_COLUMNS,
    LAND_RIGHT_SOURCE,
    LAND_TRANSFER_COLUMNS,
    LAND_TRANSFER_SOURCE,
)

RIGHTS_ORDER = "valid_from nulls first, land_right_id"
TRANSFERS_ORDER = "transferred_on nulls first, land_transfer_id"
# Both sides of a transfer, so that one key finds a person on either.
TRANSFER_SIDES = f"""(
    select from_person_id as person_id, * from {LAND_TRANSFER_SOURCE}
    union all
    select to_person_id as person_id, * from {LAND_TRANSFER_SOURCE}
) as transfer_sides"""


def land_parcel_by_id(session: Session) -> DataLoader:
    return one_per_key(session, LAND_PARCEL_SOURCE, LAND_PARCEL_COLUMNS, "land_parcel_id")


def land_rights_by_parcel(session: Session) -> DataLoader:
    return many_per_key(session, LAND_RIGHT_SOURCE, LAND_RIGHT_COLUMNS, "land_parcel_id",
                        RIGHTS_ORDER, in_force(end_is_inclusive=False))


def land_rights_by_person(session: Session) -> DataLoader:
    return many_per_key(session, LAND_RIGHT_SOURCE, LAND_RIGHT_COLUMNS, "person_id",
                        RIGHTS_ORDER, in_force(end_is_inclusive=False))


def land_rights_by_organization(session: Session) -> DataLoader:
    return many_per_key(session, LAND_RIGHT_SOURCE, LAND_RIGHT_COLUMNS, "organization_id",
                        RIGHTS_ORDER, in_force(end_is_inclusive=False))


def land_transfers_by_parcel(session: Session) -> DataLoader:
    return many_per_key(session, LAND_TRANSFER_SOURCE, LAND_TRANSFER_COLUMNS, "land_parcel_id",
                        TRANSFERS_ORDER, happened_by("transferred_on"))


def land_transfers_by_person(session: Session) -> DataLoader:
    return many_per_key(session, TRANSFER_SIDES, LAND_TRANSFER_COLUMNS, "person_id",
                        TRANSFERS_ORDER, happened_by("transferred_on"))
