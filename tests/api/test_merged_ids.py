"""Merged and retired master IDs: a merged ID answers MERGED with its survivor, a retired
one RETIRED, by ID and through ``node``.
"""

from __future__ import annotations

import uuid

import pytest

from tests.api.helpers import ok, rows


@pytest.mark.parametrize("entity", ["person", "organization"])
def test_merged_and_retired_ids(api, wh, entity):
    table = f"master_data.{entity}_ids"
    mart, id_column, name_column, name_field = {
        "person": ("marts.dim_person", "person_id", "full_name", "fullName"),
        "organization": ("marts.dim_organization", "organization_id", "organization_name",
                         "name")}[entity]
    survivor, name = rows(wh, f"""
        select m.{id_column}, m.{name_column} from {mart} as m
        inner join {table} as r on r.id = m.{id_column} and r.status = 'active'
        order by m.{id_column} limit 1""")[0]
    merged, retired = uuid.uuid4(), uuid.uuid4()
    wh.execute(f"insert into {table} (id, anchor_key, status, merged_into) values "
               f"(%s, %s, 'merged', %s), (%s, %s, 'retired', null)",
               (merged, f"test:{merged}", survivor, retired, f"test:{retired}"))
    try:
        check_merged_and_retired(api, entity, name_field, survivor, name, merged, retired)
    finally:
        wh.execute(f"delete from {table} where id = any(%s)", ([merged, retired],))


def check_merged_and_retired(api, entity: str, name_field: str, survivor, name: str,
                             merged: uuid.UUID, retired: uuid.UUID) -> None:
    type_name = entity.capitalize()
    query = f"""query($id: ID!) {{
        {entity}(id: $id) {{ id recordStatus {name_field} provenance {{ attribute }}
                             mergedInto {{ id {name_field} recordStatus }} }}
        node(id: $id) {{ __typename id ... on {type_name} {{ recordStatus
                                                            mergedInto {{ id }} }} }} }}"""
    data = ok(api, query, {"id": str(merged)})
    assert data[entity] == {"id": str(merged), "recordStatus": "MERGED", name_field: None,
                            "provenance": [], "mergedInto": {"id": str(survivor), name_field: name,
                                                             "recordStatus": "ACTIVE"}}
    assert data["node"] == {"__typename": type_name, "id": str(merged), "recordStatus": "MERGED",
                            "mergedInto": {"id": str(survivor)}}
    data = ok(api, query, {"id": str(retired)})
    assert data[entity] == {"id": str(retired), "recordStatus": "RETIRED", name_field: None,
                            "provenance": [], "mergedInto": None}
    assert data["node"] == {"__typename": type_name, "id": str(retired),
                            "recordStatus": "RETIRED", "mergedInto": None}
    # The survivor itself is active.
    assert ok(api, f"query($id: ID!) {{ {entity}(id: $id) {{ recordStatus }} }}",
              {"id": str(survivor)}) == {entity: {"recordStatus": "ACTIVE"}}
