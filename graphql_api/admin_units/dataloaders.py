from __future__ import annotations

from strawberry.dataloader import DataLoader

from graphql_api.admin_units.types import (
    ADMIN_UNIT_COLUMNS,
    ADMIN_UNIT_SOURCE,
    AdminUnitSuccession,
)
from graphql_api.core.batching import many_per_key, one_per_key
from graphql_api.core.database import Session

# Communes are linked one by one (the crosswalk); a legacy district or province is linked to
# the current units its communes went to.
SUCCESSIONS = """
with pairs as (
    select
        b.legacy_admin_unit_id as legacy_id,
        b.current_admin_unit_id as current_id,
        b.is_default,
        b.effective_date,
        legacy.parent_admin_unit_id as legacy_district_id,
        'legacy:province:' || legacy.province_code as legacy_province_id,
        'current:province:' || current_unit.province_code as current_province_id
    from marts.bridge_admin_unit_succession as b
    inner join marts.dim_admin_unit as legacy on b.legacy_admin_unit_id = legacy.admin_unit_id
    inner join marts.dim_admin_unit as current_unit
        on b.current_admin_unit_id = current_unit.admin_unit_id
)
select legacy_id, current_id, is_default, effective_date from pairs
where legacy_id = any(%(ids)s) or current_id = any(%(ids)s)
union
select legacy_district_id, current_id, null::boolean, effective_date from pairs
where legacy_district_id = any(%(ids)s)
union
select legacy_province_id, current_province_id, null::boolean, effective_date from pairs
where legacy_province_id = any(%(ids)s) or current_province_id = any(%(ids)s)
order by legacy_id, current_id
"""


def admin_unit_by_id(session: Session) -> DataLoader:
    return one_per_key(session, ADMIN_UNIT_SOURCE, ADMIN_UNIT_COLUMNS, "admin_unit_id")


def admin_units_by_parent(session: Session) -> DataLoader:
    return many_per_key(session, ADMIN_UNIT_SOURCE, ADMIN_UNIT_COLUMNS, "parent_admin_unit_id",
                        "admin_unit_code")


def admin_unit_successions(session: Session) -> DataLoader:
    async def load(ids: list[str]) -> list[list[AdminUnitSuccession]]:
        rows = await session.fetch_all(SUCCESSIONS, {"ids": list(ids)})
        found: dict[str, list[AdminUnitSuccession]] = {i: [] for i in ids}
        for row in rows:
            succession = AdminUnitSuccession(**row)
            for key in {row["legacy_id"], row["current_id"]}:
                if key in found:
                    found[key].append(succession)
        return [found[i] for i in ids]

    return DataLoader(load_fn=load)
