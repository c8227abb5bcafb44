"""What the graph's tests share: requests as a client holding every grant (what other
callers see: test_access.py), the expected answers read from the marts with SQL, the admin
units around the parcels, the relations of Person, and walking a connection page by page.
"""

from __future__ import annotations

import base64
import datetime
import json
import time
import unicodedata
import uuid

import httpx
import psycopg

from tests.api.conftest import FULL_ACCESS

TODAY = datetime.date.today()


def post(api: str, query: str, variables: dict | None = None) -> dict:
    """POST a GraphQL request as a client holding every grant, with a purpose; the response
    body as JSON. (What other callers see: test_access.py.)"""
    response = httpx.post(f"{api}/graphql", json={"query": query, "variables": variables or {}},
                          headers=FULL_ACCESS, timeout=300)
    assert response.status_code == 200, response.text
    return response.json()


def ok(api: str, query: str, variables: dict | None = None) -> dict:
    """The data of a request that must succeed."""
    body = post(api, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def codes(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def rows(wh, query: str, params=()) -> list[tuple]:
    return wh.execute(query, params).fetchall()


def column(wh, query: str, params=()) -> list:
    return [row[0] for row in rows(wh, query, params)]


def value(wh, query: str, params=()):
    row = wh.execute(query, params).fetchone()
    assert row is not None, query
    return row[0]


def ids(values) -> list[str]:
    return [str(v) for v in values]


def text(v) -> str | None:
    """A SQL value as the API writes it: IDs as strings, dates in ISO format."""
    if v is None:
        return None
    if isinstance(v, datetime.date | datetime.datetime):
        return v.isoformat()
    return str(v)


def fold(name: str) -> str:
    """A name without diacritics, lower case, single-spaced (đ -> d)."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower()
                    .split())


def has_words(name: str, search: str) -> bool:
    """What a name search finds: every word of the search is in the name, in any order."""
    return all(word in fold(name) for word in fold(search).split())


# In force on the date %(d)s: a land right from valid_from until the day before valid_to, an
# assignment (employment) until valid_to itself.
RIGHT_IN_FORCE = "(valid_from <= %(d)s and (valid_to is null or valid_to > %(d)s))"
ASSIGNMENT_IN_FORCE = "(valid_from <= %(d)s and (valid_to is null or valid_to >= %(d)s))"


def cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


UNDER = """
    with recursive under as (
        select admin_unit_id, level, admin_unit_code, 0 as depth from marts.dim_admin_unit
        where admin_unit_id = %s
        union all
        select child.admin_unit_id, child.level, child.admin_unit_code, under.depth + 1
        from marts.dim_admin_unit as child
        inner join under on child.parent_admin_unit_id = under.admin_unit_id
    )
"""


def communes_under(wh, admin_unit_id: str) -> list[str]:
    """Codes of the communes at any depth under an admin unit (or the commune itself),
    following parent links."""
    return column(wh, UNDER + "select admin_unit_code from under where level = 'commune'",
                  (admin_unit_id,))


def units_under(wh, admin_unit_id: str) -> list[str]:
    """IDs of the admin units at any depth under one, following parent links."""
    return column(wh, UNDER + "select admin_unit_id from under where depth > 0",
                  (admin_unit_id,))


def walk(api: str, field: str, first: int, expected_total: int, *, args: str = "",
         defs: str = "", variables: dict | None = None, node: str = "id") -> list[dict]:
    """Every node of a connection, page by page through endCursor, checking each page's
    pageInfo and totalCount on the way."""
    query = (f"query($first: Int, $after: String{defs}) {{ {field}(first: $first, "
             f"after: $after{args}) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage "
             f"startCursor endCursor }} edges {{ cursor node {{ {node} }} }} "
             f"nodes {{ {node} }} }} }}")
    nodes: list[dict] = []
    after = None
    while True:
        page = ok(api, query, {**(variables or {}), "first": first, "after": after})[field]
        edges, info = page["edges"], page["pageInfo"]
        assert page["totalCount"] == expected_total
        assert page["nodes"] == [edge["node"] for edge in edges]
        assert info["hasPreviousPage"] is (after is not None)
        if edges:
            assert (info["startCursor"], info["endCursor"]) == (edges[0]["cursor"],
                                                                 edges[-1]["cursor"])
        else:
            assert info["startCursor"] is None and info["endCursor"] is None
        nodes.extend(edge["node"] for edge in edges)
        assert len(nodes) <= expected_total
        if not info["hasNextPage"]:
            return nodes
        assert len(edges) == first
        after = info["endCursor"]


def node_ids(nodes: list[dict]) -> list[str]:
    return [n["id"] for n in nodes]


def batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def parcel_units(wh) -> dict[str, str]:
    """Admin-unit IDs of every kind around the parcels: the province, a legacy district,
    communes of both generations (the ones with the most parcels)."""
    current_commune, current_province = rows(wh, """
        select c.admin_unit_id, c.parent_admin_unit_id from marts.dim_land_parcel as p
        inner join marts.dim_admin_unit as c
            on c.admin_unit_id = 'current:commune:' || p.current_commune_code
        group by 1, 2 order by count(*) desc, 1 limit 1""")[0]
    legacy_commune, legacy_district = rows(wh, """
        select c.admin_unit_id, c.parent_admin_unit_id from marts.dim_land_parcel as p
        inner join marts.dim_admin_unit as c
            on c.admin_unit_id = 'legacy:commune:' || p.legacy_commune_code
        group by 1, 2 order by count(*) desc, 1 limit 1""")[0]
    legacy_province = value(wh, "select parent_admin_unit_id from marts.dim_admin_unit "
                                "where admin_unit_id = %s", (legacy_district,))
    return {"current_commune": current_commune, "current_province": current_province,
            "legacy_commune": legacy_commune, "legacy_district": legacy_district,
            "legacy_province": legacy_province}


def ref(admin_unit_id: str) -> dict:
    generation, _, code = admin_unit_id.split(":")
    return {"code": code, "generation": generation.upper()}



def by_id(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda item: item["id"])


def unit(prefix: str, code: str | None) -> dict | None:
    return {"id": f"{prefix}{code}"} if code else None


def ref_id(value) -> dict | None:
    return {"id": str(value)} if value is not None else None


# Per relation of Person: the selection, the table, the persons a row belongs to (an array),
# the columns of the expected rows and the row as the API answers it.
PERSON_RELATIONS = {
    "landRights": (
        "id holderType holderName validFrom validTo isCurrent person { id } "
        "landParcel { id }",
        "marts.fct_land_right", "array[person_id]",
        "land_right_id, holder_type, holder_name, valid_from, valid_to, is_current, person_id, "
        "land_parcel_id",
        lambda r: {"id": str(r[0]), "holderType": r[1], "holderName": r[2],
                   "validFrom": text(r[3]), "validTo": text(r[4]), "isCurrent": r[5],
                   "person": ref_id(r[6]), "landParcel": ref_id(r[7])}),
    "landTransfers": (
        "id kind transferredOn fromHolderName toHolderName fromPerson { id } "
        "toPerson { id } fromOrganization { id } toOrganization { id } landParcel { id }",
        "marts.fct_land_transfer", "array[from_person_id, to_person_id]",
        "land_transfer_id, transfer_kind, transferred_on, from_holder_name, to_holder_name, "
        "from_person_id, to_person_id, from_organization_id, to_organization_id, land_parcel_id",
        lambda r: {"id": str(r[0]), "kind": r[1], "transferredOn": text(r[2]),
                   "fromHolderName": r[3], "toHolderName": r[4], "fromPerson": ref_id(r[5]),
                   "toPerson": ref_id(r[6]), "fromOrganization": ref_id(r[7]),
                   "toOrganization": ref_id(r[8]), "landParcel": ref_id(r[9])}),
    "enterpriseRoles": (
        "id role fullName registeredOn organization { id } person { id }",
        "marts.fct_enterprise_role", "array[person_id]",
        "enterprise_role_id, role, full_name, registered_on, organization_id, person_id",
        lambda r: {"id": str(r[0]), "role": r[1], "fullName": r[2], "registeredOn": text(r[3]),
                   "organization": ref_id(r[4]), "person": ref_id(r[5])}),
    "employment": (
        "id civilServantCode agencyCode gradeCode positionTitle validFrom validTo isCurrent "
        "organization { id } person { id }",
        "marts.fct_employment", "array[person_id]",
        "employment_id, civil_servant_code, agency_code, grade_code, position_title, valid_from, "
        "valid_to, is_current, organization_id, person_id",
        lambda r: {"id": str(r[0]), "civilServantCode": r[1], "agencyCode": r[2],
                   "gradeCode": r[3], "positionTitle": r[4], "validFrom": text(r[5]),
                   "validTo": text(r[6]), "isCurrent": r[7], "organization": ref_id(r[8]),
                   "person": ref_id(r[9])}),
    "civilEvents": (
        "id eventType role fullName registrationNumber eventDate commune { id } person { id }",
        "marts.fct_civil_event", "array[person_id]",
        "civil_event_id, event_type, role, full_name, registration_number, event_date, "
        "current_commune_code, person_id",
        lambda r: {"id": str(r[0]), "eventType": r[1], "role": r[2], "fullName": r[3],
                   "registrationNumber": r[4], "eventDate": text(r[5]),
                   "commune": unit("current:commune:", r[6]), "person": ref_id(r[7])}),
}


def person_relation_rows(wh, relation: str, person, condition: str = "true",
                         params: dict | None = None) -> list[dict]:
    """The rows of a relation of Person from the marts, as the API answers them."""
    _, table, persons, columns, as_api = PERSON_RELATIONS[relation]
    return by_id([as_api(r) for r in rows(
        wh, f"select {columns} from {table} where %(p)s = any({persons}) and {condition}",
        {"p": uuid.UUID(str(person)), **(params or {})})])


def persons_with(wh, relation: str, n: int = 4) -> list[str]:
    """The persons with the most rows in a relation of Person."""
    _, table, persons, _, _ = PERSON_RELATIONS[relation]
    return ids(column(wh, f"""
        select p from {table}, unnest({persons}) as p where p is not null
        group by p order by count(*) desc, p limit %s""", (n,)))


def logged(wh, purpose_sent: str, count: int = 1) -> list[dict]:
    """The access-log entries of the requests sent with a purpose, once there are
    ``count`` of them (the server writes each just after its answer)."""
    cursor = wh.cursor(row_factory=psycopg.rows.dict_row)
    for _ in range(200):
        rows = cursor.execute("select * from api.access_log where purpose = %s "
                              "order by entry_id", (purpose_sent,)).fetchall()
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"no access-log entry with purpose {purpose_sent!r}")
