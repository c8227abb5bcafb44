from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.core.asof import happened_by
from graphql_api.core.batching import many_per_key, one_per_key
from graphql_api.core.common import day_after
from graphql_api.core.database import Session
from graphql_api.core.master_ids import id_status
from graphql_api.organizations.types import (
    ENTERPRISE_ROLE_COLUMNS,
    ENTERPRISE_ROLE_SOURCE,
    ORGANIZATION_COLUMNS,
    ORGANIZATION_SOURCE,
)

# The representative a version of the register named: kho keeps the history of the
# representative, not of the role rows, so a past one is read from the versions.
REPRESENTATIVE_AS_OF = """(
    select
        md5(h.organization_version_id)::uuid as enterprise_role_id,
        h.organization_id,
        case when h.organization_type = 'household_business' then 'owner'
            else 'legal_representative' end as role,
        h.representative_person_id as person_id,
        h.representative_name as full_name,
        null::date as registered_on,
        h.status as organization_status,
        h.valid_from,
        h.valid_to
    from marts.dim_organization_history as h
    where h.representative_name is not null
) as representatives"""


def organization_by_id(session: Session) -> DataLoader:
    return one_per_key(session, ORGANIZATION_SOURCE, ORGANIZATION_COLUMNS, "organization_id")


def organization_by_enterprise_code(session: Session) -> DataLoader:
    return one_per_key(session, ORGANIZATION_SOURCE, ORGANIZATION_COLUMNS, "enterprise_code")


def organization_id_status(session: Session) -> DataLoader:
    return id_status(session, "organization")


def organizations_by_parent(session: Session) -> DataLoader:
    return many_per_key(session, ORGANIZATION_SOURCE, ORGANIZATION_COLUMNS,
                        "parent_organization_id", "organization_name, organization_id")


def enterprise_roles_by_person(session: Session) -> DataLoader:
    return many_per_key(session, ENTERPRISE_ROLE_SOURCE, ENTERPRISE_ROLE_COLUMNS, "person_id",
                        "registered_on, enterprise_role_id", happened_by("registered_on"))


def enterprise_roles_by_organization(session: Session) -> DataLoader:
    return many_per_key(session, ENTERPRISE_ROLE_SOURCE, ENTERPRISE_ROLE_COLUMNS,
                        "organization_id", "registered_on, enterprise_role_id")


def representatives_as_of(session: Session) -> DataLoader:
    def at_end_of(day):
        moment = day_after(day)
        return "valid_from < %s and (valid_to is null or valid_to >= %s)", [moment, moment]

    return many_per_key(session, REPRESENTATIVE_AS_OF, ENTERPRISE_ROLE_COLUMNS,
                        "organization_id", "enterprise_role_id", at_end_of)
