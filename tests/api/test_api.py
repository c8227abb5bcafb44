"""The GraphQL API over HTTP against a real warehouse: every root query and relation, cursor
pagination, every filter, asOf, merged IDs, the request limits and their error codes, and
the number of SQL statements a page costs.

One deployment on the embedded warehouse: seeded with noise, materialized, advanced 60 days
(plus one parcel and one enterprise changed in their sources, since the simulated days never
change a parcel's own attributes) and materialized again, so that the snapshots hold more
than one version of some records. Every expectation is read from the marts with SQL.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
import unicodedata
import uuid

import httpx
import psycopg
import pytest

from graphql_api.core.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_FIELDS, MAX_TOKENS
from graphql_api.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from tests.api.conftest import FULL_ACCESS
from tests.conftest import running_api

TODAY = datetime.date.today()


# --- helpers ----------------------------------------------------------------------------

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


# --- root queries -----------------------------------------------------------------------

PERSON_FIELDS = ("id recordStatus personalIdNumber idCardNumber fullName sex birthDate "
                 "birthDatePrecision isDeceased deathDate sourceSystems mentionCount")
PERSON_COLUMNS = ("person_id, personal_id_number, id_card_number, full_name, sex, birth_date, "
                  "birth_date_precision, is_deceased, death_date, source_systems, mention_count")


def person_as_api(row: tuple) -> dict:
    (person_id, pid, cmnd, name, sex, birth, precision, deceased, death, systems,
     mentions) = row
    return {"id": str(person_id), "recordStatus": "ACTIVE", "personalIdNumber": pid,
            "idCardNumber": cmnd, "fullName": name, "sex": sex, "birthDate": text(birth),
            "birthDatePrecision": precision, "isDeceased": deceased, "deathDate": text(death),
            "sourceSystems": systems, "mentionCount": mentions}


def test_person_by_id(api, wh):
    expected = [person_as_api(r) for r in rows(wh, f"""
        select {PERSON_COLUMNS} from marts.dim_person
        order by cardinality(source_systems) desc, is_deceased desc, person_id limit 3""")]
    for person in expected:
        data = ok(api, f"query($id: ID!) {{ person(id: $id) {{ {PERSON_FIELDS} }} }}",
                  {"id": person["id"]})
        assert data["person"] == person


@pytest.mark.parametrize("kind", ["personal ID", "CMND"])
def test_person_by_id_number(api, wh, kind):
    column_name = "personal_id_number" if kind == "personal ID" else "id_card_number"
    extra = "" if kind == "personal ID" else "and personal_id_number is null"
    row = rows(wh, f"""
        select {PERSON_COLUMNS} from marts.dim_person
        where {column_name} is not null {extra}
          and {column_name} in (select {column_name} from marts.dim_person
                                group by 1 having count(*) = 1)
        order by person_id limit 1""")[0]
    expected = person_as_api(row)
    number = expected["personalIdNumber"] if kind == "personal ID" else expected["idCardNumber"]
    assert len(number) == (12 if kind == "personal ID" else 9)
    data = ok(api, f"query($n: String!) {{ personByIdNumber(number: $n) {{ {PERSON_FIELDS} }} }}",
              {"n": number})
    assert data["personByIdNumber"] == expected


def test_person_by_unknown_and_malformed_id_numbers(api, wh):
    known = set(column(wh, "select personal_id_number from marts.dim_person "
                           "where personal_id_number is not null"))
    unknown = next(n for n in (f"0{i:011d}" for i in range(1, 1000)) if n not in known)
    assert ok(api, "query($n: String!) { personByIdNumber(number: $n) { id } }",
              {"n": unknown}) == {"personByIdNumber": None}
    for malformed in ("12345", "0801234567890", "08012345678X", "abc"):
        body = post(api, "query($n: String!) { personByIdNumber(number: $n) { id } }",
                    {"n": malformed})
        assert codes(body) == ["BAD_USER_INPUT"], malformed
        assert body["data"] == {"personByIdNumber": None}


def test_persons(api, wh):
    data = ok(api, "{ persons(first: 5) { totalCount nodes { id fullName } } }")
    assert data["persons"]["totalCount"] == value(wh, "select count(*) from marts.dim_person")
    expected = rows(wh, "select person_id, full_name from marts.dim_person "
                        "order by person_id limit 5")
    assert data["persons"]["nodes"] == [{"id": str(i), "fullName": n} for i, n in expected]


ORGANIZATION_FIELDS = ("id recordStatus organizationType name enterpriseCode industryCode "
                       "industryDivisionCode status legacyCommuneCode currentCommuneCode "
                       "addressLine registeredOn sourceSystem")
ORGANIZATION_COLUMNS = ("organization_id, organization_type, organization_name, enterprise_code, "
                        "industry_code, industry_division_code, status, legacy_commune_code, "
                        "current_commune_code, address_line, registered_on, source_system")


def organization_as_api(row: tuple) -> dict:
    (organization_id, kind, name, code, industry, division, status, legacy, current, address,
     registered, system) = row
    return {"id": str(organization_id), "recordStatus": "ACTIVE",
            "organizationType": kind.upper(), "name": name, "enterpriseCode": code,
            "industryCode": industry, "industryDivisionCode": division, "status": status,
            "legacyCommuneCode": legacy, "currentCommuneCode": current, "addressLine": address,
            "registeredOn": text(registered), "sourceSystem": system}


def test_organization_by_id_of_every_type(api, wh):
    expected = [organization_as_api(r) for r in rows(wh, f"""
        select distinct on (organization_type) {ORGANIZATION_COLUMNS}
        from marts.dim_organization order by organization_type, organization_id""")]
    assert {o["organizationType"] for o in expected} == {
        "ENTERPRISE", "BRANCH", "HOUSEHOLD_BUSINESS", "STATE_AGENCY"}
    for organization in expected:
        data = ok(api, f"query($id: ID!) {{ organization(id: $id) {{ {ORGANIZATION_FIELDS} }} }}",
                  {"id": organization["id"]})
        assert data["organization"] == organization


@pytest.mark.parametrize("kind", ["enterprise", "branch"])
def test_enterprise_by_code(api, wh, kind):
    row = rows(wh, f"select {ORGANIZATION_COLUMNS} from marts.dim_organization "
                   f"where organization_type = %s order by enterprise_code limit 1", (kind,))[0]
    expected = organization_as_api(row)
    data = ok(api, f"query($c: String!) {{ enterprise(code: $c) {{ {ORGANIZATION_FIELDS} }} }}",
              {"c": expected["enterpriseCode"]})
    assert data["enterprise"] == expected


def test_enterprise_by_unknown_and_malformed_code(api, wh):
    known = set(column(wh, "select enterprise_code from marts.dim_organization "
                           "where enterprise_code is not null"))
    unknown = next(c for c in (f"{i:010d}" for i in range(1, 1000)) if c not in known)
    assert ok(api, "query($c: String!) { enterprise(code: $c) { id } }",
              {"c": unknown}) == {"enterprise": None}
    for malformed in ("12", "12345678901", "1234567890-12", "abcdefghij"):
        body = post(api, "query($c: String!) { enterprise(code: $c) { id } }", {"c": malformed})
        assert codes(body) == ["BAD_USER_INPUT"], malformed


def test_organizations(api, wh):
    data = ok(api, "{ organizations(first: 5) { totalCount nodes { id name } } }")
    assert data["organizations"]["totalCount"] == value(
        wh, "select count(*) from marts.dim_organization")
    expected = rows(wh, "select organization_id, organization_name from marts.dim_organization "
                        "order by organization_id limit 5")
    assert data["organizations"]["nodes"] == [{"id": str(i), "name": n} for i, n in expected]


PARCEL_FIELDS = ("id legacyCommuneCode currentCommuneCode mapSheetNumber parcelNumber areaM2 "
                 "landUseCode landUseGroup landUseNameVi landUseNameEn planningZone boundaryWkt "
                 "certificateSerial certificateIssuedOn asOf")


def test_land_parcel_by_id(api, wh):
    for row in rows(wh, """
            select land_parcel_id, legacy_commune_code, current_commune_code, map_sheet_number,
                   parcel_number, area_m2, land_use_code, land_use_group, land_use_name_vi,
                   land_use_name_en, planning_zone, boundary_wkt, certificate_serial,
                   certificate_issued_on
            from marts.dim_land_parcel order by land_parcel_id limit 3"""):
        data = ok(api, f"query($id: ID!) {{ landParcel(id: $id) {{ {PARCEL_FIELDS} }} }}",
                  {"id": str(row[0])})
        parcel = data["landParcel"]
        assert parcel == {
            "id": str(row[0]), "legacyCommuneCode": row[1], "currentCommuneCode": row[2],
            "mapSheetNumber": row[3], "parcelNumber": row[4], "areaM2": parcel["areaM2"],
            "landUseCode": row[6], "landUseGroup": row[7], "landUseNameVi": row[8],
            "landUseNameEn": row[9], "planningZone": row[10], "boundaryWkt": row[11],
            "certificateSerial": row[12], "certificateIssuedOn": text(row[13]), "asOf": None}
        assert parcel["areaM2"] == pytest.approx(float(row[5]))


def test_land_parcels(api, wh):
    data = ok(api, "{ landParcels(first: 5) { totalCount nodes { id } } }")
    assert data["landParcels"]["totalCount"] == value(
        wh, "select count(*) from marts.dim_land_parcel")
    assert node_ids(data["landParcels"]["nodes"]) == ids(column(
        wh, "select land_parcel_id from marts.dim_land_parcel order by land_parcel_id limit 5"))


ADMIN_UNIT_FIELDS = ("id code name shortName unitType level generation provinceCode latitude "
                     "longitude areaKm2 parent { id }")


def admin_unit_as_api(wh, admin_unit_id: str) -> dict:
    (unit_id, code, name, short, unit_type, level, generation, province, lat, lon, area,
     parent) = rows(wh, """
        select admin_unit_id, admin_unit_code, admin_unit_name, short_name, unit_type, level,
               generation, province_code, latitude, longitude, area_km2, parent_admin_unit_id
        from marts.dim_admin_unit where admin_unit_id = %s""", (admin_unit_id,))[0]
    return {"id": unit_id, "code": code, "name": name, "shortName": short, "unitType": unit_type,
            "level": level.upper(), "generation": generation.upper(), "provinceCode": province,
            "latitude": lat, "longitude": lon, "areaKm2": area,
            "parent": {"id": parent} if parent else None}


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


@pytest.mark.parametrize("kind", ["current_commune", "current_province", "legacy_commune",
                                  "legacy_district", "legacy_province"])
def test_admin_unit_by_code(api, wh, kind):
    unit_id = parcel_units(wh)[kind]
    data = ok(api, f"query($code: String!, $g: AdminUnitGeneration!) {{ "
                   f"adminUnit(code: $code, generation: $g) {{ {ADMIN_UNIT_FIELDS} }} }}",
              {"code": ref(unit_id)["code"], "g": ref(unit_id)["generation"]})
    assert data["adminUnit"] == admin_unit_as_api(wh, unit_id)


def test_admin_unit_generation_defaults_to_current(api, wh):
    unit_id = parcel_units(wh)["current_commune"]
    data = ok(api, "query($code: String!) { adminUnit(code: $code) { id } }",
              {"code": ref(unit_id)["code"]})
    assert data["adminUnit"] == {"id": unit_id}


def test_admin_unit_unknown_and_malformed_codes(api, wh):
    known = set(column(wh, "select admin_unit_code from marts.dim_admin_unit "
                           "where generation = 'current' and level = 'commune'"))
    unknown = next(c for c in (f"{i:05d}" for i in range(1, 100_000)) if c not in known)
    assert ok(api, "query($c: String!) { adminUnit(code: $c) { id } }",
              {"c": unknown}) == {"adminUnit": None}
    district = ref(parcel_units(wh)["legacy_district"])["code"]
    for code, generation in (("1234", "CURRENT"), ("8", "LEGACY"), ("ab", "CURRENT"),
                             (district, "CURRENT")):  # no districts on the current map
        body = post(api, "query($c: String!, $g: AdminUnitGeneration!) { "
                         "adminUnit(code: $c, generation: $g) { id } }",
                    {"c": code, "g": generation})
        assert codes(body) == ["BAD_USER_INPUT"], (code, generation)


def test_admin_units(api, wh):
    data = ok(api, "{ adminUnits(first: 5) { totalCount nodes { id } } }")
    assert data["adminUnits"]["totalCount"] == value(
        wh, "select count(*) from marts.dim_admin_unit")
    assert node_ids(data["adminUnits"]["nodes"]) == column(
        wh, "select admin_unit_id from marts.dim_admin_unit "
            "order by generation, level, admin_unit_code, admin_unit_id limit 5")


NODE_CASES = {
    "person": ("select person_id::text, full_name from marts.dim_person "
               "order by person_id limit 1", "Person", "fullName"),
    "organization": ("select organization_id::text, organization_name "
                     "from marts.dim_organization order by organization_id limit 1",
                     "Organization", "name"),
    "land parcel": ("select land_parcel_id::text, land_use_code from marts.dim_land_parcel "
                    "order by land_parcel_id limit 1", "LandParcel", "landUseCode"),
    "current commune": ("select admin_unit_id, admin_unit_name from marts.dim_admin_unit "
                        "where generation = 'current' and level = 'commune' "
                        "order by admin_unit_code limit 1", "AdminUnit", "unitName"),
    "legacy district": ("select admin_unit_id, admin_unit_name from marts.dim_admin_unit "
                        "where generation = 'legacy' and level = 'district' "
                        "order by admin_unit_code limit 1", "AdminUnit", "unitName"),
}


@pytest.mark.parametrize("kind", NODE_CASES)
def test_node(api, wh, kind):
    sql, type_name, field = NODE_CASES[kind]
    node_id, expected = rows(wh, sql)[0]
    data = ok(api, """query($id: ID!) { node(id: $id) { __typename id
                         ... on Person { fullName } ... on Organization { name }
                         ... on LandParcel { landUseCode }
                         ... on AdminUnit { unitName: name } } }""", {"id": node_id})
    assert data["node"] == {"__typename": type_name, "id": node_id, field: expected}


def test_unknown_ids_answer_null(api, wh):
    unknown = str(uuid.uuid4())
    assert not column(wh, "select admin_unit_id from marts.dim_admin_unit "
                          "where admin_unit_id = 'current:commune:00000'")
    data = ok(api, """query($id: ID!) { person(id: $id) { id } organization(id: $id) { id }
                                       landParcel(id: $id) { id } node(id: $id) { id }
                                       commune: node(id: "current:commune:00000") { id } }""",
              {"id": unknown})
    assert data == {"person": None, "organization": None, "landParcel": None, "node": None,
                    "commune": None}


@pytest.mark.parametrize("field", ["person", "organization", "landParcel", "node"])
def test_malformed_ids_are_bad_user_input(api, field):
    body = post(api, f'{{ {field}(id: "not-an-id") {{ id }} }}')
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == [field]


# --- aggregates -------------------------------------------------------------------------

def test_land_area_by_use_by_default_groups_by_land_use(api, wh):
    data = ok(api, "{ landAreaByUse { landUseCode landUseNameVi communeCode parcelCount "
                   "totalAreaM2 } }")
    expected = {code: (name, n, float(area)) for code, name, n, area in rows(wh, """
        select land_use_code, land_use_name_vi, count(*), coalesce(sum(area_m2), 0)
        from marts.dim_land_parcel group by 1, 2""")}
    got = {r["landUseCode"]: (r["landUseNameVi"], r["parcelCount"], r["totalAreaM2"])
           for r in data["landAreaByUse"]}
    assert len(got) == len(data["landAreaByUse"]) == len(expected) > 1
    assert all(r["communeCode"] is None for r in data["landAreaByUse"])
    for code, (name, n, area) in expected.items():
        assert got[code][:2] == (name, n)
        assert got[code][2] == pytest.approx(area)


def test_land_area_by_commune_and_group_within_a_district(api, wh):
    district = parcel_units(wh)["legacy_district"]
    data = ok(api, """query($f: LandParcelFilter) {
        landAreaByUse(filter: $f, groupBy: [LEGACY_COMMUNE, LAND_USE_GROUP]) {
            legacyCommuneCode landUseGroup landUseCode parcelCount totalAreaM2 } }""",
              {"f": {"adminUnit": ref(district), "areaMinM2": 100}})
    expected = {(c, g): (n, float(a)) for c, g, n, a in rows(wh, """
        select legacy_commune_code, land_use_group, count(*), sum(area_m2)
        from marts.dim_land_parcel where legacy_commune_code = any(%s) and area_m2 >= 100
        group by 1, 2""", (communes_under(wh, district),))}
    got = {(r["legacyCommuneCode"], r["landUseGroup"]): (r["parcelCount"], r["totalAreaM2"])
           for r in data["landAreaByUse"]}
    assert all(r["landUseCode"] is None for r in data["landAreaByUse"])
    assert got.keys() == expected.keys() and len(got) > 1
    for key, (n, area) in expected.items():
        assert got[key][0] == n
        assert got[key][1] == pytest.approx(area)


def test_enterprise_statistics_by_type_and_status(api, wh):
    data = ok(api, "{ enterpriseStatistics(groupBy: [ORGANIZATION_TYPE, STATUS]) { "
                   "organizationType status statusNameVi industryCode organizationCount "
                   "charterCapitalVnd } }")
    expected = {(t, s): (name, n, c) for t, s, name, n, c in rows(wh, """
        select organization_type, status, status_name_vi, count(*), sum(charter_capital_vnd)
        from marts.dim_organization
        where organization_type in ('enterprise', 'branch', 'household_business')
        group by 1, 2, 3""")}
    rows_ = data["enterpriseStatistics"]
    got = {(r["organizationType"], r["status"]): (r["statusNameVi"], r["organizationCount"],
                                                  r["charterCapitalVnd"]) for r in rows_}
    assert len(got) == len(rows_)
    assert got.keys() == expected.keys()
    assert all(r["industryCode"] is None for r in rows_)
    for key, (name, n, capital) in expected.items():
        assert got[key][:2] == (name, n)
        assert got[key][2] == (None if capital is None else pytest.approx(float(capital)))


def test_enterprise_statistics_by_industry_division_of_active_enterprises(api, wh):
    data = ok(api, """{ enterpriseStatistics(groupBy: [INDUSTRY_DIVISION, LEGAL_FORM],
                          filter: {organizationType: [ENTERPRISE], status: ["active"]}) {
                          industryDivisionCode legalFormCode legalFormNameEn
                          organizationCount } }""")
    expected = {(d, f, name): n for d, f, name, n in rows(wh, """
        select industry_division_code, legal_form_code, legal_form_name_en, count(*)
        from marts.dim_organization
        where organization_type = 'enterprise' and status = 'active' group by 1, 2, 3""")}
    got = {(r["industryDivisionCode"], r["legalFormCode"], r["legalFormNameEn"]):
           r["organizationCount"] for r in data["enterpriseStatistics"]}
    assert got == expected and len(got) > 1


def test_civil_servant_statistics_by_agency_today(api, wh):
    data = ok(api, "{ civilServantStatistics(groupBy: [AGENCY]) { agencyCode gradeCode "
                   "civilServantCount agency { id } } }")
    expected = {(str(o), code): n for o, code, n in rows(wh, f"""
        select organization_id, agency_code, count(distinct person_id)
        from marts.fct_employment where {ASSIGNMENT_IN_FORCE} group by 1, 2""", {"d": TODAY})}
    got = {(r["agency"]["id"], r["agencyCode"]): r["civilServantCount"]
           for r in data["civilServantStatistics"]}
    assert all(r["gradeCode"] is None for r in data["civilServantStatistics"])
    assert got == expected and len(got) > 1


def test_civil_servant_statistics_by_grade_as_of_a_past_date(api, wh):
    day = value(wh, "select max(valid_to) from marts.fct_employment")
    assert day is not None
    data = ok(api, """query($d: Date) { civilServantStatistics(groupBy: [GRADE],
                          filter: {asOf: $d}) { gradeCode gradeNameVi civilServantCount } }""",
              {"d": day.isoformat()})
    expected = {(g, name): n for g, name, n in rows(wh, f"""
        select grade_code, grade_name_vi, count(distinct person_id)
        from marts.fct_employment where {ASSIGNMENT_IN_FORCE} group by 1, 2""", {"d": day})}
    got = {(r["gradeCode"], r["gradeNameVi"]): r["civilServantCount"]
           for r in data["civilServantStatistics"]}
    assert got == expected and sum(got.values()) > 0


def test_civil_servant_statistics_of_one_agency_and_of_a_commune(api, wh):
    agency, commune = rows(wh, f"""
        select e.organization_id, o.current_commune_code from marts.fct_employment as e
        inner join marts.dim_organization as o using (organization_id)
        where {ASSIGNMENT_IN_FORCE}
        group by 1, 2 order by count(*) desc, 1 limit 1""", {"d": TODAY})[0]
    for flt, condition, params in (
            ({"agencyId": str(agency)}, "organization_id = %(o)s", {"o": agency}),
            ({"adminUnit": {"code": commune}},
             "organization_id in (select organization_id from marts.dim_organization "
             "where current_commune_code = %(o)s)", {"o": commune})):
        data = ok(api, """query($f: CivilServantFilter) { civilServantStatistics(
                              groupBy: [AGENCY, GRADE], filter: $f) {
                              agencyCode gradeCode civilServantCount } }""", {"f": flt})
        expected = {(a, g): n for a, g, n in rows(wh, f"""
            select agency_code, grade_code, count(distinct person_id) from marts.fct_employment
            where {ASSIGNMENT_IN_FORCE} and {condition} group by 1, 2""",
                                                   {"d": TODAY, **params})}
        got = {(r["agencyCode"], r["gradeCode"]): r["civilServantCount"]
               for r in data["civilServantStatistics"]}
        assert got == expected and got, flt


# --- relations --------------------------------------------------------------------------

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


@pytest.mark.parametrize("relation", PERSON_RELATIONS)
def test_person_relation(api, wh, relation):
    selection = PERSON_RELATIONS[relation][0]
    persons = persons_with(wh, relation)
    assert persons
    query = "{ " + " ".join(f'p{i}: person(id: "{p}") {{ {relation} {{ {selection} }} }}'
                            for i, p in enumerate(persons)) + " }"
    data = ok(api, query)
    for i, person in enumerate(persons):
        expected = person_relation_rows(wh, relation, person)
        assert expected
        assert by_id(data[f"p{i}"][relation]) == expected, person


def test_person_birth_communes_and_provenance(api, wh):
    for person, current, legacy, name_system, birth_system in rows(wh, """
            select person_id, birth_current_commune_code, birth_legacy_commune_code,
                   full_name_source_system, birth_date_source_system
            from marts.dim_person
            order by birth_current_commune_code is null, full_name_source_system desc,
                     person_id limit 3"""):
        data = ok(api, """query($id: ID!) { person(id: $id) {
                              birthCommune { id code generation level }
                              birthLegacyCommune { id code generation }
                              provenance { attribute sourceSystem } } }""",
                  {"id": str(person)})["person"]
        assert data["birthCommune"] == ({"id": f"current:commune:{current}", "code": current,
                                         "generation": "CURRENT", "level": "COMMUNE"}
                                        if current else None)
        assert data["birthLegacyCommune"] == ({"id": f"legacy:commune:{legacy}", "code": legacy,
                                               "generation": "LEGACY"} if legacy else None)
        provenance = {p["attribute"]: p["sourceSystem"] for p in data["provenance"]}
        assert provenance["fullName"] == name_system
        assert provenance["birthDate"] == birth_system


ORGANIZATION_RELATIONS = """
    legalRepresentatives { id role fullName registeredOn person { id } organization { id } }
    branches { id }
    landRights { id holderType holderName validFrom validTo organization { id } person { id }
                 landParcel { id } }
    landParcels { id }
    commune { id }
    enterprise { enterpriseCode legalFormCode legalFormNameVi charterCapitalVnd }
    branch { enterpriseCode parent { id } }
    householdBusiness { registrationNumber }
    stateAgency { agencyCode governmentLevel parent { id } }
    provenance { attribute sourceSystem }
"""


def organization_relations(wh, organization: uuid.UUID) -> dict:
    (kind, code, registration, agency, legal_form, legal_form_vi, capital, parent, level,
     commune, system) = rows(wh, """
        select organization_type, enterprise_code, registration_number, agency_code,
               legal_form_code, legal_form_name_vi, charter_capital_vnd, parent_organization_id,
               government_level, current_commune_code, source_system
        from marts.dim_organization where organization_id = %s""", (organization,))[0]
    return {
        "legalRepresentatives": by_id([
            {"id": str(r[0]), "role": r[1], "fullName": r[2], "registeredOn": text(r[3]),
             "person": ref_id(r[4]), "organization": ref_id(organization)}
            for r in rows(wh, "select enterprise_role_id, role, full_name, registered_on, "
                              "person_id from marts.fct_enterprise_role "
                              "where organization_id = %s", (organization,))]),
        "branches": by_id([{"id": i} for i in ids(column(
            wh, "select organization_id from marts.dim_organization "
                "where parent_organization_id = %s", (organization,)))]),
        "landRights": by_id([
            {"id": str(r[0]), "holderType": r[1], "holderName": r[2], "validFrom": text(r[3]),
             "validTo": text(r[4]), "organization": ref_id(organization), "person": None,
             "landParcel": ref_id(r[5])}
            for r in rows(wh, "select land_right_id, holder_type, holder_name, valid_from, "
                              "valid_to, land_parcel_id from marts.fct_land_right "
                              "where organization_id = %s", (organization,))]),
        "landParcels": by_id([{"id": i} for i in ids(column(
            wh, f"select distinct land_parcel_id from marts.fct_land_right "
                f"where organization_id = %(o)s and {RIGHT_IN_FORCE}",
            {"o": organization, "d": TODAY}))]),
        "commune": unit("current:commune:", commune),
        "enterprise": {"enterpriseCode": code, "legalFormCode": legal_form,
                       "legalFormNameVi": legal_form_vi,
                       "charterCapitalVnd": None if capital is None else float(capital)}
        if kind == "enterprise" else None,
        "branch": {"enterpriseCode": code, "parent": ref_id(parent)} if kind == "branch"
        else None,
        "householdBusiness": {"registrationNumber": registration}
        if kind == "household_business" else None,
        "stateAgency": {"agencyCode": agency, "governmentLevel": level,
                        "parent": ref_id(parent)} if kind == "state_agency" else None,
        "source_system": system,
    }


@pytest.mark.parametrize("kind", ["enterprise", "branch", "household_business", "state_agency"])
def test_organization_relations(api, wh, kind):
    # Of this type: the first organization with branches, with land rights, with a
    # representative or owner, with a parent, and the first of all.
    organizations = list(dict.fromkeys(
        organization for condition in (
            "exists (select from marts.dim_organization as c "
            "where c.parent_organization_id = o.organization_id)",
            "exists (select from marts.fct_land_right as r "
            "where r.organization_id = o.organization_id)",
            "exists (select from marts.fct_enterprise_role as r "
            "where r.organization_id = o.organization_id)",
            "o.parent_organization_id is not null",
            "true")
        for organization in column(wh, f"select o.organization_id from marts.dim_organization "
                                       f"as o where o.organization_type = %s and {condition} "
                                       f"order by o.organization_id limit 1", (kind,))))
    covered = set()
    for organization in organizations:
        data = ok(api, f"query($id: ID!) {{ organization(id: $id) {{ "
                       f"{ORGANIZATION_RELATIONS} }} }}", {"id": str(organization)})[
            "organization"]
        expected = organization_relations(wh, organization)
        system = expected.pop("source_system")
        provenance = data.pop("provenance")
        assert {p["sourceSystem"] for p in provenance} == {system}
        assert {p["attribute"] for p in provenance} >= {"name", "status", "addressLine"}
        for listed in ("legalRepresentatives", "branches", "landRights", "landParcels"):
            data[listed] = by_id(data[listed])
        assert data == expected, organization
        covered |= {k for k, v in expected.items() if v}
    expected_relations = {"enterprise": {"legalRepresentatives", "branches", "landRights",
                                         "landParcels", "enterprise"},
                          "branch": {"branch", "legalRepresentatives"},
                          "household_business": {"householdBusiness", "legalRepresentatives",
                                                 "landRights"},
                          "state_agency": {"stateAgency", "branches", "commune"}}[kind]
    assert covered >= expected_relations


def test_organization_staff_page_by_page(api, wh):
    agency, staffed = rows(wh, f"""
        select organization_id, count(*) from marts.fct_employment where {ASSIGNMENT_IN_FORCE}
        group by 1 order by 2 desc, 1 limit 1""", {"d": TODAY})[0]
    assert staffed >= 2
    expected = rows(wh, f"""
        select employment_id, person_id, full_name from marts.fct_employment
        where organization_id = %(o)s and {ASSIGNMENT_IN_FORCE}
        order by coalesce(full_name, ''), employment_id""", {"o": agency, "d": TODAY})
    query = """query($id: ID!, $first: Int, $after: String) { organization(id: $id) {
                   staff(first: $first, after: $after) { totalCount
                       pageInfo { hasNextPage hasPreviousPage endCursor }
                       nodes { id fullName person { id } organization { id } } } } }"""
    seen, after = [], None
    while True:
        staff = ok(api, query, {"id": str(agency), "first": 1, "after": after})[
            "organization"]["staff"]
        assert staff["totalCount"] == len(expected)
        assert staff["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert len(staff["nodes"]) == 1
        seen.extend(staff["nodes"])
        assert len(seen) <= len(expected)
        if not staff["pageInfo"]["hasNextPage"]:
            break
        after = staff["pageInfo"]["endCursor"]
    assert seen == [{"id": str(e), "fullName": n, "person": ref_id(p),
                     "organization": ref_id(agency)} for e, p, n in expected]
    # The default page holds them all.
    staff = ok(api, "query($id: ID!) { organization(id: $id) { staff { nodes { id } } } }",
               {"id": str(agency)})["organization"]["staff"]
    assert node_ids(staff["nodes"]) == [str(e) for e, _, _ in expected]


def test_land_parcel_relations(api, wh):
    # Parcels with transfers (past and current rights), with an organization holder, and
    # with a commune split between several current communes.
    parcels = list(dict.fromkeys(column(wh, """
        (select land_parcel_id from marts.fct_land_transfer group by 1
         order by count(*) desc, 1 limit 3)
        union all
        (select land_parcel_id from marts.fct_land_right where organization_id is not null
         order by 1 limit 2)
        union all
        (select land_parcel_id from marts.dim_land_parcel where legacy_commune_code in (
             select legacy_commune_code from marts.bridge_admin_unit_succession
             group by 1 having count(*) > 1)
         order by 1 limit 1)""")))
    query = """query($id: ID!) { landParcel(id: $id) {
        rights { id isCurrent validFrom validTo person { id } organization { id }
                 landParcel { id } }
        holders { id }
        transfers { id transferredOn fromPerson { id } toPerson { id } fromOrganization { id }
                    toOrganization { id } landParcel { id } }
        commune { id code generation level }
        legacyCommune { id code generation level }
        provenance { attribute sourceSystem } } }"""
    for parcel in parcels:
        data = ok(api, query, {"id": str(parcel)})["landParcel"]
        rights = rows(wh, """select land_right_id, is_current, valid_from, valid_to, person_id,
                                    organization_id from marts.fct_land_right
                             where land_parcel_id = %s""", (parcel,))
        assert by_id(data["rights"]) == by_id([
            {"id": str(r[0]), "isCurrent": r[1], "validFrom": text(r[2]), "validTo": text(r[3]),
             "person": ref_id(r[4]), "organization": ref_id(r[5]), "landParcel": ref_id(parcel)}
            for r in rights])
        assert sorted(node_ids(data["holders"])) == sorted(str(r[0]) for r in rights if r[1])
        transfers = rows(wh, """select land_transfer_id, transferred_on, from_person_id,
                                       to_person_id, from_organization_id, to_organization_id
                                from marts.fct_land_transfer where land_parcel_id = %s""",
                         (parcel,))
        assert by_id(data["transfers"]) == by_id([
            {"id": str(t[0]), "transferredOn": text(t[1]), "fromPerson": ref_id(t[2]),
             "toPerson": ref_id(t[3]), "fromOrganization": ref_id(t[4]),
             "toOrganization": ref_id(t[5]), "landParcel": ref_id(parcel)} for t in transfers])
        dates = [t["transferredOn"] for t in data["transfers"]]
        assert dates == sorted(dates)  # oldest first
        current, legacy = rows(wh, "select current_commune_code, legacy_commune_code "
                                   "from marts.dim_land_parcel where land_parcel_id = %s",
                               (parcel,))[0]
        assert data["commune"] == {"id": f"current:commune:{current}", "code": current,
                                   "generation": "CURRENT", "level": "COMMUNE"}
        assert data["legacyCommune"] == {"id": f"legacy:commune:{legacy}", "code": legacy,
                                         "generation": "LEGACY", "level": "COMMUNE"}
        assert {p["sourceSystem"] for p in data["provenance"]} == {"land"}
    covered = rows(wh, """select count(*) filter (where valid_to is not null),
                                 count(organization_id) from marts.fct_land_right
                          where land_parcel_id = any(%s)""", (parcels,))[0]
    assert all(covered)  # past rights and organization holders were among them


def successions(wh, condition: str, params=()) -> list[dict]:
    return sorted(({"legacy": {"id": legacy}, "current": {"id": current}, "isDefault": default,
                    "effectiveDate": text(effective)}
                   for legacy, current, default, effective in rows(wh, f"""
        select legacy_admin_unit_id, current_admin_unit_id, is_default, effective_date
        from marts.bridge_admin_unit_succession where {condition}""", params)),
                  key=lambda s: (s["legacy"]["id"], s["current"]["id"]))


ADMIN_UNIT_RELATIONS = """query($code: String!, $g: AdminUnitGeneration!) {
    adminUnit(code: $code, generation: $g) { id parent { id } children { id }
        successors { legacy { id } current { id } isDefault effectiveDate }
        predecessors { legacy { id } current { id } isDefault effectiveDate } } }"""


def admin_unit_relations(api, admin_unit_id: str) -> dict:
    r = ref(admin_unit_id)
    unit_ = ok(api, ADMIN_UNIT_RELATIONS, {"code": r["code"], "g": r["generation"]})["adminUnit"]
    for listed in ("successors", "predecessors"):
        unit_[listed] = sorted(unit_[listed], key=lambda s: (s["legacy"]["id"], s["current"]["id"]))
    return unit_


def children(wh, admin_unit_id: str) -> list[dict]:
    return [{"id": i} for i in column(wh, "select admin_unit_id from marts.dim_admin_unit "
                                          "where parent_admin_unit_id = %s "
                                          "order by admin_unit_code", (admin_unit_id,))]


def test_a_split_legacy_commune_and_its_successors(api, wh):
    legacy = value(wh, """select legacy_admin_unit_id from marts.bridge_admin_unit_succession
                          where legacy_commune_code in (select legacy_commune_code
                                                        from marts.dim_land_parcel)
                          group by 1 having count(*) > 1 order by 1 limit 1""")
    got = admin_unit_relations(api, legacy)
    expected = successions(wh, "legacy_admin_unit_id = %s", (legacy,))
    assert len(expected) > 1 and sum(bool(s["isDefault"]) for s in expected) == 1
    assert got["successors"] == expected
    assert got["predecessors"] == []  # a legacy unit has successors only
    assert got["children"] == []
    assert got["parent"] == {"id": value(wh, "select parent_admin_unit_id from "
                                             "marts.dim_admin_unit where admin_unit_id = %s",
                                         (legacy,))}


def test_a_current_commune_and_its_predecessors(api, wh):
    current = parcel_units(wh)["current_commune"]
    got = admin_unit_relations(api, current)
    expected = successions(wh, "current_admin_unit_id = %s", (current,))
    assert expected
    assert got["predecessors"] == expected
    assert got["successors"] == []
    assert got["parent"] == {"id": parcel_units(wh)["current_province"]}


def test_a_current_province_its_communes_and_the_legacy_provinces_before_it(api, wh):
    province = parcel_units(wh)["current_province"]
    got = admin_unit_relations(api, province)
    assert got["parent"] is None
    assert got["children"] == children(wh, province) and got["children"]
    # The legacy provinces whose communes went (in part) to communes of this province.
    legacy_provinces = column(wh, """
        select distinct district.parent_admin_unit_id
        from marts.bridge_admin_unit_succession as b
        inner join marts.dim_admin_unit as legacy on legacy.admin_unit_id = b.legacy_admin_unit_id
        inner join marts.dim_admin_unit as district
            on district.admin_unit_id = legacy.parent_admin_unit_id
        inner join marts.dim_admin_unit as current_unit
            on current_unit.admin_unit_id = b.current_admin_unit_id
        where current_unit.parent_admin_unit_id = %s""", (province,))
    assert parcel_units(wh)["legacy_province"] in legacy_provinces and len(legacy_provinces) > 1
    assert {s["legacy"]["id"] for s in got["predecessors"]} == set(legacy_provinces)
    assert {s["current"]["id"] for s in got["predecessors"]} == {province}


def test_a_legacy_district_and_a_legacy_province(api, wh):
    units = parcel_units(wh)
    district, province = units["legacy_district"], units["legacy_province"]
    got = admin_unit_relations(api, district)
    assert got["parent"] == {"id": province}
    assert got["children"] == children(wh, district) and got["children"]
    # A district went to the current communes its communes went to.
    assert {s["current"]["id"] for s in got["successors"]} == set(column(wh, """
        select b.current_admin_unit_id from marts.bridge_admin_unit_succession as b
        inner join marts.dim_admin_unit as legacy on legacy.admin_unit_id = b.legacy_admin_unit_id
        where legacy.parent_admin_unit_id = %s""", (district,)))
    assert {s["legacy"]["id"] for s in got["successors"]} == {district}
    got = admin_unit_relations(api, province)
    assert got["parent"] is None
    assert got["children"] == children(wh, province)
    assert {s["current"]["id"] for s in got["successors"]} == set(column(wh, """
        select distinct current_unit.parent_admin_unit_id
        from marts.bridge_admin_unit_succession as b
        inner join marts.dim_admin_unit as legacy on legacy.admin_unit_id = b.legacy_admin_unit_id
        inner join marts.dim_admin_unit as district
            on district.admin_unit_id = legacy.parent_admin_unit_id
        inner join marts.dim_admin_unit as current_unit
            on current_unit.admin_unit_id = b.current_admin_unit_id
        where district.parent_admin_unit_id = %s""", (province,)))


# --- pagination -------------------------------------------------------------------------

def test_walking_parcels_of_a_commune_by_id_has_no_gaps_or_repeats(api, wh):
    commune = parcel_units(wh)["current_commune"]
    expected = ids(column(wh, "select land_parcel_id from marts.dim_land_parcel "
                              "where current_commune_code = %s order by land_parcel_id",
                          (ref(commune)["code"],)))
    assert len(expected) > 2 * 7
    nodes = walk(api, "landParcels", 7, len(expected), args=", filter: $f",
                 defs=", $f: LandParcelFilter", variables={"f": {"adminUnit": ref(commune)}})
    assert node_ids(nodes) == expected


# Per connection and order: (wh, admin units) -> the connection, its page size, arguments,
# variable definitions and values, and the IDs in that order by SQL.
def _parcels_of_a_district(order_by: str, sql_order: str):
    def case(wh, units):
        district = units["legacy_district"]
        return ("landParcels", 9, f", orderBy: {order_by}, filter: $f", ", $f: LandParcelFilter",
                {"f": {"adminUnit": ref(district)}},
                column(wh, f"select land_parcel_id::text from marts.dim_land_parcel "
                           f"where legacy_commune_code = any(%s) order by {sql_order}",
                       (communes_under(wh, district),)))
    return case


ORDERS = {
    "parcels by area, descending": _parcels_of_a_district(
        "AREA_DESC", "coalesce(area_m2, -1) desc, land_parcel_id desc"),
    "parcels by area": _parcels_of_a_district("AREA_ASC", "coalesce(area_m2, -1), land_parcel_id"),
    "parcels by number": _parcels_of_a_district(
        "PARCEL_NUMBER", "legacy_commune_code, coalesce(map_sheet_number, -1), "
                         "coalesce(parcel_number, -1), land_parcel_id"),
    "organizations by name": lambda wh, units: (
        "organizations", 25, ", orderBy: NAME", "", {},
        column(wh, "select organization_id::text from marts.dim_organization "
                   "order by coalesce(organization_name_key, ''), organization_id")),
    "businesses by registration date": lambda wh, units: (
        "organizations", 25,
        ", orderBy: REGISTERED_ON, filter: {organizationType: [ENTERPRISE, HOUSEHOLD_BUSINESS]}",
        "", {},
        column(wh, "select organization_id::text from marts.dim_organization "
                   "where organization_type in ('enterprise', 'household_business') "
                   "order by coalesce(registered_on, '-infinity'::date), organization_id")),
    "persons by name": lambda wh, units: (
        "persons", 30, ', orderBy: FULL_NAME, filter: {sourceSystem: "land"}', "", {},
        column(wh, "select person_id::text from marts.dim_person "
                   "where 'land' = any(source_systems) "
                   "order by coalesce(full_name_key, ''), person_id")),
    "persons by birth date": lambda wh, units: (
        "persons", 20, ", orderBy: BIRTH_DATE, filter: {birthAdminUnit: $f}",
        ", $f: AdminUnitRef", {"f": ref(units["legacy_district"])},
        column(wh, "select person_id::text from marts.dim_person "
                   "where birth_legacy_commune_code = any(%s) "
                   "order by coalesce(birth_date, '-infinity'::date), person_id",
               (communes_under(wh, units["legacy_district"]),))),
    "admin units within a legacy province": lambda wh, units: (
        "adminUnits", 50, ", filter: {within: $f}", ", $f: AdminUnitRef",
        {"f": ref(units["legacy_province"])},
        column(wh, "select admin_unit_id from marts.dim_admin_unit where admin_unit_id = any(%s) "
                   "order by generation, level, admin_unit_code, admin_unit_id",
               (units_under(wh, units["legacy_province"]),))),
}


@pytest.mark.parametrize("order", ORDERS)
def test_walking_an_order_has_no_gaps_or_repeats(api, wh, order):
    field, first, args, defs, variables, expected = ORDERS[order](wh, parcel_units(wh))
    assert len(expected) > 2 * first
    nodes = walk(api, field, first, len(expected), args=args, defs=defs, variables=variables)
    assert node_ids(nodes) == expected


def test_default_and_largest_page_sizes(api, wh):
    data = ok(api, f"""{{ default: landParcels {{ pageInfo {{ hasNextPage }} nodes {{ id }} }}
                         largest: landParcels(first: {MAX_PAGE_SIZE}) {{ nodes {{ id }} }}
                         persons {{ nodes {{ id }} }} organizations {{ nodes {{ id }} }}
                         adminUnits {{ nodes {{ id }} }} }}""")
    expected = ids(column(wh, "select land_parcel_id from marts.dim_land_parcel "
                              "order by land_parcel_id limit %s", (MAX_PAGE_SIZE,)))
    assert len(expected) == MAX_PAGE_SIZE > DEFAULT_PAGE_SIZE
    assert node_ids(data["default"]["nodes"]) == expected[:DEFAULT_PAGE_SIZE]
    assert data["default"]["pageInfo"]["hasNextPage"] is True
    assert node_ids(data["largest"]["nodes"]) == expected
    for field in ("persons", "organizations", "adminUnits"):
        assert len(data[field]["nodes"]) == DEFAULT_PAGE_SIZE


@pytest.mark.parametrize("first", [0, -1, MAX_PAGE_SIZE + 1])
@pytest.mark.parametrize("field", ["landParcels", "persons", "organizations", "adminUnits"])
def test_page_size_out_of_range_is_bad_user_input(api, field, first):
    body = post(api, f"{{ {field}(first: {first}) {{ nodes {{ id }} }} }}")
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == [field]


def test_staff_page_size_out_of_range_is_bad_user_input(api, wh):
    agency = value(wh, "select organization_id::text from marts.fct_employment limit 1")
    body = post(api, f"""query($id: ID!) {{ organization(id: $id) {{
                           staff(first: {MAX_PAGE_SIZE + 1}) {{ nodes {{ id }} }} }} }}""",
                {"id": agency})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == ["organization", "staff"]


GARBAGE_CURSORS = {
    "not base64": "garbage!",
    "not JSON": base64.urlsafe_b64encode(b"not json").decode(),
    "not a list": cursor({"land_parcel_id": str(uuid.uuid4())}),
    "no values": cursor(["land_parcel_id"]),
    "too many values": cursor(["land_parcel_id", str(uuid.uuid4()), 1]),
    "not a UUID": cursor(["land_parcel_id", "not-a-uuid"]),
    "a number for the UUID": cursor(["land_parcel_id", 5]),
    "a list for the UUID": cursor(["land_parcel_id", [1]]),
    "an object for the UUID": cursor(["land_parcel_id", {"id": str(uuid.uuid4())}]),
    "null for the UUID": cursor(["land_parcel_id", None]),
    "text for the area": cursor(["land_parcel_area", "big", str(uuid.uuid4())]),
}


@pytest.mark.parametrize("garbage", GARBAGE_CURSORS)
def test_a_garbage_cursor_is_bad_user_input(api, garbage):
    body = post(api, "query($after: String) { landParcels(first: 5, after: $after) { "
                     "nodes { id } } }", {"after": GARBAGE_CURSORS[garbage]})
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["path"] == ["landParcels"]


def test_a_garbage_staff_cursor_is_bad_user_input(api, wh):
    agency = value(wh, "select organization_id::text from marts.fct_employment limit 1")
    for after in ("garbage!", cursor(["staff_by_name", "x", "not-a-uuid"])):
        body = post(api, """query($id: ID!, $after: String) { organization(id: $id) {
                                staff(after: $after) { nodes { id } } } }""",
                    {"id": agency, "after": after})
        assert codes(body) == ["BAD_USER_INPUT"], after


def test_a_cursor_of_another_order_is_bad_user_input(api):
    query = """query($after: String) {{ {field}(first: 2{order}, after: $after) {{
                   pageInfo {{ endCursor }} }} }}"""
    by_area = ok(api, query.format(field="landParcels", order=", orderBy: AREA_DESC"),
                 {"after": None})["landParcels"]["pageInfo"]["endCursor"]
    by_name = ok(api, query.format(field="persons", order=", orderBy: FULL_NAME"),
                 {"after": None})["persons"]["pageInfo"]["endCursor"]
    for field, order, after in (("landParcels", "", by_area),
                                ("landParcels", ", orderBy: AREA_ASC", by_area),
                                ("landParcels", ", orderBy: PARCEL_NUMBER", by_area),
                                ("persons", ", orderBy: ID", by_name),
                                ("persons", ", orderBy: BIRTH_DATE", by_name),
                                ("organizations", ", orderBy: NAME", by_name)):
        body = post(api, query.format(field=field, order=order), {"after": after})
        assert codes(body) == ["BAD_USER_INPUT"], (field, order)
    # ... while each cursor goes on in its own order.
    assert ok(api, query.format(field="landParcels", order=", orderBy: AREA_DESC"),
              {"after": by_area})["landParcels"]["pageInfo"]["endCursor"]


# --- filters ----------------------------------------------------------------------------

def parcel_filter_case(name: str, wh, units) -> tuple[dict, str, dict]:
    """A LandParcelFilter and the same condition in SQL over marts.dim_land_parcel."""
    if name == "another province":
        unit_id = value(wh, "select min(admin_unit_id) from marts.dim_admin_unit "
                            "where generation = 'legacy' and level = 'province' "
                            "and admin_unit_id <> %s",
                        (units["legacy_province"],))
        return ({"adminUnit": ref(unit_id)}, "legacy_commune_code = any(%(communes)s)",
                {"communes": communes_under(wh, unit_id)})
    if name in ("current commune", "current province", "legacy commune", "legacy district",
                "legacy province"):
        unit_id = units[name.replace(" ", "_")]
        column_name = ("current_commune_code" if unit_id.startswith("current")
                       else "legacy_commune_code")
        return ({"adminUnit": ref(unit_id)}, f"{column_name} = any(%(communes)s)",
                {"communes": communes_under(wh, unit_id)})
    if name == "land-use codes":
        uses = column(wh, "select land_use_code from marts.dim_land_parcel group by 1 "
                          "order by count(*) desc, 1 limit 2")
        return {"landUseCode": uses}, "land_use_code = any(%(uses)s)", {"uses": uses}
    if name == "land-use group":
        group = value(wh, "select land_use_group from marts.dim_land_parcel group by 1 "
                          "order by count(*) desc, 1 limit 1")
        return {"landUseGroup": group}, "land_use_group = %(group)s", {"group": group}
    areas = sorted(float(a) for a in column(wh, "select area_m2 from marts.dim_land_parcel"))
    low, high = areas[len(areas) // 4], areas[3 * len(areas) // 4]
    if name == "area range":
        return ({"areaMinM2": low, "areaMaxM2": high}, "area_m2 between %(low)s and %(high)s",
                {"low": low, "high": high})
    if name == "area at least":
        return {"areaMinM2": high}, "area_m2 >= %(high)s", {"high": high}
    if name == "area at most":
        return {"areaMaxM2": low}, "area_m2 <= %(low)s", {"low": low}
    if name == "planning zones":
        zones = column(wh, "select planning_zone from marts.dim_land_parcel group by 1 "
                           "order by count(*), 1 limit 2")
        return {"planningZone": zones}, "planning_zone = any(%(zones)s)", {"zones": zones}
    issued = sorted(column(wh, "select certificate_issued_on from marts.dim_land_parcel "
                               "where certificate_issued_on is not null"))
    first, last = issued[len(issued) // 3], issued[2 * len(issued) // 3]
    if name == "certificate issued":
        return ({"certificateIssuedFrom": first.isoformat(),
                 "certificateIssuedTo": last.isoformat()},
                "certificate_issued_on between %(first)s and %(last)s",
                {"first": first, "last": last})
    if name == "certificate issued from":
        return ({"certificateIssuedFrom": last.isoformat()},
                "certificate_issued_on >= %(last)s", {"last": last})
    assert name == "combined"
    district = units["legacy_district"]
    return ({"adminUnit": ref(district), "landUseGroup": "agricultural", "areaMinM2": low,
             "certificateIssuedTo": last.isoformat()},
            "legacy_commune_code = any(%(communes)s) and land_use_group = 'agricultural' "
            "and area_m2 >= %(low)s and certificate_issued_on <= %(last)s",
            {"communes": communes_under(wh, district), "low": low, "last": last})


PARCEL_FILTERS = ["current commune", "current province", "legacy commune", "legacy district",
                  "legacy province", "another province", "land-use codes", "land-use group",
                  "area range", "area at least", "area at most", "planning zones",
                  "certificate issued", "certificate issued from", "combined"]


@pytest.mark.parametrize("name", PARCEL_FILTERS)
def test_land_parcel_filter(api, wh, name):
    flt, condition, params = parcel_filter_case(name, wh, parcel_units(wh))
    expected = ids(column(wh, f"select land_parcel_id from marts.dim_land_parcel "
                              f"where {condition} order by land_parcel_id", params))
    total = value(wh, "select count(*) from marts.dim_land_parcel")
    if name == "another province":
        assert expected == []
    elif "province" in name:  # every parcel is in the province
        assert len(expected) == total
    else:
        assert 0 < len(expected) < total
    nodes = walk(api, "landParcels", MAX_PAGE_SIZE, len(expected), args=", filter: $f",
                 defs=", $f: LandParcelFilter", variables={"f": flt})
    assert node_ids(nodes) == expected


def test_a_legacy_commune_and_its_default_successor(api, wh):
    # A legacy commune split between current communes, with parcels.
    legacy, default = rows(wh, """
        select legacy_commune_code, current_commune_code
        from marts.bridge_admin_unit_succession
        where is_default and legacy_commune_code in (
            select legacy_commune_code from marts.bridge_admin_unit_succession
            group by 1 having count(*) > 1)
          and legacy_commune_code in (select legacy_commune_code from marts.dim_land_parcel)
        order by 1 limit 1""")[0]
    query = """query($f: LandParcelFilter) { landParcels(first: 100, filter: $f) {
                   totalCount nodes { id legacyCommuneCode currentCommuneCode } } }"""
    by_legacy = ok(api, query, {"f": {"adminUnit": {"code": legacy, "generation": "LEGACY"}}})
    assert sorted(node_ids(by_legacy["landParcels"]["nodes"])) == sorted(ids(column(
        wh, "select land_parcel_id from marts.dim_land_parcel where legacy_commune_code = %s",
        (legacy,))))
    assert {n["legacyCommuneCode"] for n in by_legacy["landParcels"]["nodes"]} == {legacy}
    by_current = ok(api, query, {"f": {"adminUnit": {"code": default}}})
    assert sorted(node_ids(by_current["landParcels"]["nodes"])) == sorted(ids(column(
        wh, "select land_parcel_id from marts.dim_land_parcel where current_commune_code = %s",
        (default,))))
    assert by_current["landParcels"]["totalCount"] == value(
        wh, "select count(*) from marts.dim_land_parcel where current_commune_code = %s",
        (default,))


@pytest.mark.parametrize("flt", [
    {"adminUnit": {"code": "99999"}},  # no such commune
    {"adminUnit": {"code": "99999", "generation": "LEGACY"}},
    {"adminUnit": {"code": "999", "generation": "LEGACY"}},  # no such district
])
def test_parcel_filters_on_an_admin_unit_that_does_not_exist_are_not_found(api, flt):
    for field in ("landParcels(filter: $f) { totalCount }",
                  "landAreaByUse(filter: $f) { parcelCount }"):
        body = post(api, f"query($f: LandParcelFilter) {{ {field} }}", {"f": flt})
        assert codes(body) == ["NOT_FOUND"], (field, body)
        assert body["data"] is None


@pytest.mark.parametrize("flt", [
    {"adminUnit": {"code": "1234"}},  # no admin unit has 4 digits
    {"adminUnit": {"code": "8a"}},
    {"adminUnit": {"code": "806"}},  # districts are legacy only
    {"areaMinM2": 500.0, "areaMaxM2": 100.0},
    {"certificateIssuedFrom": "2020-01-02", "certificateIssuedTo": "2020-01-01"},
], ids=lambda f: json.dumps(f))
def test_bad_parcel_filters_are_bad_user_input(api, flt):
    for field in ("landParcels(filter: $f) { totalCount }",
                  "landAreaByUse(filter: $f) { parcelCount }"):
        body = post(api, f"query($f: LandParcelFilter) {{ {field} }}", {"f": flt})
        assert codes(body) == ["BAD_USER_INPUT"], (field, body)
        assert body["data"] is None


@pytest.mark.parametrize("field, flt", [
    ("organizations(filter: $f) { totalCount }", {"adminUnit": {"code": "99999"}}),
    ("enterpriseStatistics(groupBy: [STATUS], filter: $f) { organizationCount }",
     {"adminUnit": {"code": "999", "generation": "LEGACY"}}),
    ("persons(filter: $f) { totalCount }", {"birthAdminUnit": {"code": "99999"}}),
    ("civilServantStatistics(groupBy: [AGENCY], filter: $f) { civilServantCount }",
     {"adminUnit": {"code": "99999"}}),
    ("civilServantStatistics(groupBy: [AGENCY], filter: $f) { civilServantCount }",
     {"agencyId": "00000000-0000-0000-0000-000000000000"}),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else v.split("(")[0])
def test_filters_on_something_that_does_not_exist_are_not_found(api, field, flt):
    body = post(api, f"query($f: {FILTER_TYPES[field.split('(')[0]]}) {{ {field} }}",
                {"f": flt})
    assert codes(body) == ["NOT_FOUND"], body


def test_civil_servant_statistics_refuse_an_organization_that_is_no_agency(api, wh):
    enterprise = value(wh, "select organization_id from marts.dim_organization "
                           "where organization_type = 'enterprise' limit 1")
    body = post(api, "query($f: CivilServantFilter) { civilServantStatistics(groupBy: [GRADE], "
                     "filter: $f) { civilServantCount } }", {"f": {"agencyId": str(enterprise)}})
    assert codes(body) == ["NOT_FOUND"], body


FILTER_TYPES = {"organizations": "OrganizationFilter", "enterpriseStatistics":
                "OrganizationFilter", "persons": "PersonFilter", "adminUnits": "AdminUnitFilter",
                "civilServantStatistics": "CivilServantFilter"}


@pytest.mark.parametrize("field, flt", [
    ("organizations(filter: $f) { totalCount }", {"adminUnit": {"code": "1234"}}),
    ("organizations(filter: $f) { totalCount }", {"industryCode": "4x"}),
    ("organizations(filter: $f) { totalCount }", {"name": "a"}),
    ("organizations(filter: $f) { totalCount }",
     {"registeredFrom": "2020-01-02", "registeredTo": "2020-01-01"}),
    ("persons(filter: $f) { totalCount }", {"sex": "unknown"}),
    ("persons(filter: $f) { totalCount }",
     {"birthDateFrom": "2000-01-02", "birthDateTo": "2000-01-01"}),
    ("adminUnits(filter: $f) { totalCount }", {"within": {"code": "1234"}}),
    ("civilServantStatistics(groupBy: [AGENCY], filter: $f) { civilServantCount }",
     {"agencyId": "not-a-uuid"}),
], ids=lambda v: json.dumps(v) if isinstance(v, dict) else v.split("(")[0])
def test_bad_filters_are_bad_user_input(api, field, flt):
    body = post(api, f"query($f: {FILTER_TYPES[field.split('(')[0]]}) {{ {field} }}",
                {"f": flt})
    assert codes(body) == ["BAD_USER_INPUT"], body


def check_filtered(api, field: str, filter_type: str, flt: dict, expected: list[str]) -> None:
    """The connection filtered: all of it page by page where it is small, else its count
    and first page."""
    if len(expected) <= 5 * MAX_PAGE_SIZE:
        nodes = walk(api, field, MAX_PAGE_SIZE, len(expected), args=", filter: $f",
                     defs=f", $f: {filter_type}", variables={"f": flt})
        assert node_ids(nodes) == expected
        return
    page = ok(api, f"query($f: {filter_type}) {{ {field}(first: {MAX_PAGE_SIZE}, filter: $f) "
                   f"{{ totalCount nodes {{ id }} }} }}", {"f": flt})[field]
    assert page["totalCount"] == len(expected)
    assert node_ids(page["nodes"]) == expected[:MAX_PAGE_SIZE]


def name_part(names: list[str]) -> tuple[str, str]:
    """A two-word part of names, with diacritics and without: the most frequent one that
    not every name has."""
    counts: dict[str, int] = {}
    spelled: dict[str, str] = {}
    for name in names:
        words, folded = name.split(), fold(name).split()
        assert len(words) == len(folded)
        for i in range(len(words) - 1):
            key = " ".join(folded[i:i + 2])
            spelled.setdefault(key, " ".join(words[i:i + 2]))
        for key in {" ".join(folded[i:i + 2]) for i in range(len(folded) - 1)}:
            counts[key] = counts.get(key, 0) + 1
    key = max((k for k, n in counts.items() if 1 < n < len(names) / 3
               and spelled[k] != k), key=lambda k: (counts[k], k))
    return key, spelled[key]


def organization_filter_case(name: str, wh, units) -> tuple[dict, list[str]]:
    """An OrganizationFilter and the IDs it selects, by SQL (or Python for names)."""
    def where(condition: str, params=()) -> list[str]:
        return ids(column(wh, f"select organization_id from marts.dim_organization "
                              f"where {condition} order by organization_id", params))

    if name == "types":
        return ({"organizationType": ["HOUSEHOLD_BUSINESS", "BRANCH"]},
                where("organization_type in ('household_business', 'branch')"))
    if name.startswith("name"):
        everything = rows(wh, "select organization_id::text, organization_name "
                              "from marts.dim_organization order by organization_id")
        part, with_diacritics = name_part([n for _, n in everything])
        search = {"name without diacritics": part, "name with diacritics": with_diacritics,
                  "name in capitals": part.upper()}[name]
        return {"name": search}, [i for i, n in everything if has_words(n, part)]
    if name in ("current commune", "legacy district", "current province"):
        if name == "current commune":
            unit_id = "current:commune:" + value(
                wh, "select current_commune_code from marts.dim_organization "
                    "where current_commune_code is not null group by 1 "
                    "order by count(*) desc, 1 limit 1")
        else:
            unit_id = units[name.replace(" ", "_")]
        column_name = ("current_commune_code" if unit_id.startswith("current")
                       else "legacy_commune_code")
        return ({"adminUnit": ref(unit_id)},
                where(f"{column_name} = any(%s)", (communes_under(wh, unit_id),)))
    if name.startswith("industry"):
        code = value(wh, "select industry_code from marts.dim_organization "
                         "where industry_code is not null group by 1 "
                         "order by count(*) desc, 1 limit 1")
        prefix = code[:2] if name == "industry division" else code
        return ({"industryCode": prefix},
                [i for i, c in rows(wh, "select organization_id::text, industry_code "
                                        "from marts.dim_organization order by organization_id")
                 if c is not None and c.startswith(prefix)])
    if name == "legal forms":
        forms = column(wh, "select legal_form_code from marts.dim_organization "
                           "where legal_form_code is not null group by 1 "
                           "order by count(*) desc, 1 limit 2")
        return {"legalFormCode": forms}, where("legal_form_code = any(%s)", (forms,))
    if name == "statuses":
        statuses = column(wh, "select status from marts.dim_organization "
                              "where status <> 'active' group by 1 order by count(*) desc, 1 "
                              "limit 2")
        return {"status": statuses}, where("status = any(%s)", (statuses,))
    dates = sorted(column(wh, "select registered_on from marts.dim_organization "
                              "where registered_on is not null"))
    first, last = dates[len(dates) // 3], dates[2 * len(dates) // 3]
    if name == "registered between":
        return ({"registeredFrom": first.isoformat(), "registeredTo": last.isoformat()},
                where("registered_on between %s and %s", (first, last)))
    assert name == "combined"
    return ({"organizationType": ["ENTERPRISE"], "registeredFrom": first.isoformat(),
             "status": ["active"], "adminUnit": ref(units["current_province"])},
            where("organization_type = 'enterprise' and registered_on >= %s "
                  "and status = 'active' and current_commune_code = any(%s)",
                  (first, communes_under(wh, units["current_province"]))))


ORGANIZATION_FILTERS = ["types", "name without diacritics", "name with diacritics",
                        "name in capitals", "current commune", "legacy district",
                        "current province", "industry division", "industry code",
                        "legal forms", "statuses", "registered between", "combined"]


@pytest.mark.parametrize("name", ORGANIZATION_FILTERS)
def test_organization_filter(api, wh, name):
    flt, expected = organization_filter_case(name, wh, parcel_units(wh))
    assert 0 < len(expected) < value(wh, "select count(*) from marts.dim_organization")
    check_filtered(api, "organizations", "OrganizationFilter", flt, expected)
    if name.startswith("name"):
        found = ok(api, "query($f: OrganizationFilter) { organizations(first: 100, filter: $f) "
                        "{ nodes { name } } }", {"f": flt})["organizations"]["nodes"]
        assert all(has_words(n["name"], flt["name"]) for n in found)


def person_filter_case(name: str, wh, units) -> tuple[dict, list[str]]:
    """A PersonFilter and the IDs it selects, by SQL (or Python for names)."""
    def where(condition: str, params=()) -> list[str]:
        return ids(column(wh, f"select person_id from marts.dim_person "
                              f"where {condition} order by person_id", params))

    if name.startswith("name"):
        everything = rows(wh, "select person_id::text, full_name from marts.dim_person "
                              "where full_name is not null order by person_id")
        part, with_diacritics = name_part([n for _, n in everything])
        search = part if name == "name without diacritics" else with_diacritics
        return {"name": search}, [i for i, n in everything if has_words(n, part)]
    if name == "sex":
        return {"sex": "female"}, where("sex = 'female'")
    births = sorted(column(wh, "select birth_date from marts.dim_person "
                               "where birth_date is not null"))
    first, last = births[len(births) // 3], births[2 * len(births) // 3]
    if name == "born between":
        return ({"birthDateFrom": first.isoformat(), "birthDateTo": last.isoformat()},
                where("birth_date between %s and %s", (first, last)))
    if name == "born until":
        return {"birthDateTo": first.isoformat()}, where("birth_date <= %s", (first,))
    if name in ("deceased", "alive"):
        return ({"isDeceased": name == "deceased"},
                where("is_deceased = %s", (name == "deceased",)))
    if name in ("born in a current commune", "born in a legacy district",
                "born in the province"):
        unit_id = {"born in a current commune": "current_commune",
                   "born in a legacy district": "legacy_district",
                   "born in the province": "current_province"}[name]
        unit_id = units[unit_id]
        column_name = ("birth_current_commune_code" if unit_id.startswith("current")
                       else "birth_legacy_commune_code")
        return ({"birthAdminUnit": ref(unit_id)},
                where(f"{column_name} = any(%s)", (communes_under(wh, unit_id),)))
    if name == "source system":
        return {"sourceSystem": "cadre"}, where("'cadre' = any(source_systems)")
    assert name == "combined"
    return ({"sex": "male", "birthDateFrom": first.isoformat(), "isDeceased": False,
             "sourceSystem": "land"},
            where("sex = 'male' and birth_date >= %s and not is_deceased "
                  "and 'land' = any(source_systems)", (first,)))


PERSON_FILTERS = ["name without diacritics", "name with diacritics", "sex", "born between",
                  "born until", "deceased", "alive", "born in a current commune",
                  "born in a legacy district", "born in the province", "source system",
                  "combined"]


@pytest.mark.parametrize("name", PERSON_FILTERS)
def test_person_filter(api, wh, name):
    flt, expected = person_filter_case(name, wh, parcel_units(wh))
    assert 0 < len(expected) < value(wh, "select count(*) from marts.dim_person")
    check_filtered(api, "persons", "PersonFilter", flt, expected)
    if name.startswith("name"):
        found = ok(api, "query($f: PersonFilter) { persons(first: 100, filter: $f) "
                        "{ nodes { fullName } } }", {"f": flt})["persons"]["nodes"]
        assert all(has_words(n["fullName"], flt["name"]) for n in found)


def admin_unit_filter_case(name: str, wh, units) -> tuple[dict, list[str]]:
    def where(condition: str, params=()) -> list[str]:
        return column(wh, f"select admin_unit_id from marts.dim_admin_unit where {condition} "
                          f"order by generation, level, admin_unit_code, admin_unit_id", params)

    if name == "generation":
        return {"generation": "CURRENT"}, where("generation = 'current'")
    if name == "level":
        return {"level": "DISTRICT"}, where("level = 'district'")
    if name == "generation and level":
        return ({"generation": "LEGACY", "level": "PROVINCE"},
                where("generation = 'legacy' and level = 'province'"))
    if name.startswith("within"):
        unit_id = units[name.removeprefix("within ").replace(" ", "_")]
        return {"within": ref(unit_id)}, where("admin_unit_id = any(%s)",
                                               (units_under(wh, unit_id),))
    everything = rows(wh, "select admin_unit_id, admin_unit_name from marts.dim_admin_unit "
                          "order by generation, level, admin_unit_code, admin_unit_id")
    short = value(wh, "select short_name from marts.dim_admin_unit where admin_unit_id = %s",
                  (units["legacy_district"],))
    part = fold(short)
    search = {"name without diacritics": part, "name with diacritics": short}[name]
    flt = {"name": search}
    if name == "name with diacritics":
        flt["generation"] = "LEGACY"
        everything = [(i, n) for i, n in everything if i.startswith("legacy:")]
    return flt, [i for i, n in everything if has_words(n, part)]


ADMIN_UNIT_FILTERS = ["generation", "level", "generation and level", "within current province",
                      "within legacy province", "within legacy district",
                      "within legacy commune", "name without diacritics",
                      "name with diacritics"]


@pytest.mark.parametrize("name", ADMIN_UNIT_FILTERS)
def test_admin_unit_filter(api, wh, name):
    flt, expected = admin_unit_filter_case(name, wh, parcel_units(wh))
    if name == "within legacy commune":
        assert expected == []  # nothing is under a commune
    else:
        assert 0 < len(expected) < value(wh, "select count(*) from marts.dim_admin_unit")
    check_filtered(api, "adminUnits", "AdminUnitFilter", flt, expected)


# --- asOf -------------------------------------------------------------------------------

def inside(valid_from: datetime.datetime, valid_to: datetime.datetime) -> datetime.date:
    """A date whose end falls inside a version's interval (as of a date = at its end)."""
    day = (valid_to - datetime.timedelta(days=1)).date()
    end_of_day = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    assert valid_from < end_of_day <= valid_to
    return day


def test_land_parcel_as_of(api, wh):
    changed = column(wh, "select land_parcel_id from marts.dim_land_parcel_history "
                         "group by 1 having count(*) > 1 order by 1")
    assert changed
    query = """query($id: ID!, $d: Date) { landParcel(id: $id, asOf: $d) {
                   id asOf areaM2 landUseCode landUseGroup planningZone } }"""
    for parcel in changed:
        versions = rows(wh, """select valid_from, valid_to, area_m2, land_use_code,
                                      land_use_group, planning_zone
                               from marts.dim_land_parcel_history where land_parcel_id = %s
                               order by valid_from""", (parcel,))
        first, current = versions[0], versions[-1]
        assert (first[2], first[3]) != (current[2], current[3])
        day = inside(first[0], first[1])
        got = ok(api, query, {"id": str(parcel), "d": day.isoformat()})["landParcel"]
        assert got["asOf"] == day.isoformat()
        assert (got["areaM2"], got["landUseCode"], got["landUseGroup"], got["planningZone"]) == (
            pytest.approx(float(first[2])), first[3], first[4], first[5])
        today = ok(api, query, {"id": str(parcel), "d": TODAY.isoformat()})["landParcel"]
        assert (today["areaM2"], today["landUseCode"]) == (pytest.approx(float(current[2])),
                                                           current[3])
        now = ok(api, query, {"id": str(parcel), "d": None})["landParcel"]
        assert now["asOf"] is None
        assert (now["areaM2"], now["landUseCode"]) == (today["areaM2"], today["landUseCode"])
        before = (first[0] - datetime.timedelta(days=1)).date()
        assert ok(api, query, {"id": str(parcel), "d": before.isoformat()}) == {
            "landParcel": None}


def test_land_parcel_as_of_relations_default_to_its_date(api, wh):
    # A parcel that changed hands: its holders and transfers as of a date before the latest
    # transfer, by default the parcel's own date.
    parcel, transferred = rows(wh, """
        select t.land_parcel_id, max(t.transferred_on) from marts.fct_land_transfer as t
        inner join marts.dim_land_parcel_history as h using (land_parcel_id)
        group by 1 having max(t.transferred_on) > min(h.valid_from)::date + 1
        order by 1 limit 1""")[0]
    day = transferred - datetime.timedelta(days=1)
    data = ok(api, """query($id: ID!, $d: Date, $today: Date) { landParcel(id: $id, asOf: $d) {
                          holders { id } rights { id } transfers { id }
                          byDefault: holders(asOf: null) { id }
                          today: holders(asOf: $today) { id } } }""",
              {"id": str(parcel), "d": day.isoformat(), "today": TODAY.isoformat()})[
        "landParcel"]
    holders = ids(column(wh, f"select land_right_id from marts.fct_land_right "
                             f"where land_parcel_id = %(p)s and {RIGHT_IN_FORCE}",
                         {"p": parcel, "d": day}))
    current = ids(column(wh, "select land_right_id from marts.fct_land_right "
                             "where land_parcel_id = %s and is_current", (parcel,)))
    assert holders and sorted(holders) != sorted(current)
    assert sorted(node_ids(data["holders"])) == sorted(holders)
    assert sorted(node_ids(data["byDefault"])) == sorted(holders)
    assert sorted(node_ids(data["today"])) == sorted(current)
    assert sorted(node_ids(data["transfers"])) == sorted(ids(column(
        wh, "select land_transfer_id from marts.fct_land_transfer "
            "where land_parcel_id = %s and transferred_on <= %s", (parcel, day))))
    # rights: every right, past and present, unless asked with asOf
    assert sorted(node_ids(data["rights"])) == sorted(ids(column(
        wh, "select land_right_id from marts.fct_land_right where land_parcel_id = %s",
        (parcel,))))


def test_land_parcel_holders_and_rights_as_of_dates(api, wh):
    parcels = column(wh, "select land_parcel_id from marts.fct_land_right "
                         "where valid_to is not null group by 1 order by count(*) desc, 1 "
                         "limit 3")
    for parcel in parcels:
        bounds = column(wh, "select d from marts.fct_land_right, unnest(array[valid_from, "
                            "valid_to]) as d where land_parcel_id = %s and d is not null",
                        (parcel,))
        days = sorted({b + datetime.timedelta(days=k) for b in bounds for k in (-1, 0, 1)})
        data = ok(api, "query($id: ID!) { landParcel(id: $id) { holders { id } } }",
                  {"id": str(parcel)})["landParcel"]
        assert sorted(node_ids(data["holders"])) == sorted(ids(column(
            wh, "select land_right_id from marts.fct_land_right "
                "where land_parcel_id = %s and is_current", (parcel,))))
        for some_days in batches(days, 8):
            aliases = " ".join(f'h{i}: holders(asOf: "{d}") {{ id }} '
                               f'r{i}: rights(asOf: "{d}") {{ id }}'
                               for i, d in enumerate(some_days))
            data = ok(api, f"query($id: ID!) {{ landParcel(id: $id) {{ {aliases} }} }}",
                      {"id": str(parcel)})["landParcel"]
            for i, day in enumerate(some_days):
                expected = sorted(ids(column(
                    wh, f"select land_right_id from marts.fct_land_right "
                        f"where land_parcel_id = %(p)s and {RIGHT_IN_FORCE}",
                    {"p": parcel, "d": day})))
                assert sorted(node_ids(data[f"h{i}"])) == expected, day
                assert sorted(node_ids(data[f"r{i}"])) == expected, day


def organization_versions(wh) -> list[uuid.UUID]:
    return column(wh, "select organization_id from marts.dim_organization_history "
                      "group by 1 having count(*) > 1 order by 1")


def test_organization_as_of(api, wh):
    changed = organization_versions(wh)
    assert changed
    query = """query($id: ID!, $d: Date) { organization(id: $id, asOf: $d) {
                   id asOf name status legacyCommuneCode addressLine } }"""
    attributes = set()
    for organization in changed:
        versions = rows(wh, """select valid_from, valid_to, organization_name, status,
                                      legacy_commune_code, address_line
                               from marts.dim_organization_history where organization_id = %s
                               order by valid_from""", (organization,))
        first, current = versions[0], versions[-1]
        attributes |= {name for name, a, b in zip(("name", "status"), first[2:4], current[2:4],
                                                  strict=True) if a != b}
        day = inside(first[0], first[1])
        got = ok(api, query, {"id": str(organization), "d": day.isoformat()})["organization"]
        assert got == {"id": str(organization), "asOf": day.isoformat(), "name": first[2],
                       "status": first[3], "legacyCommuneCode": first[4],
                       "addressLine": first[5]}
        got = ok(api, query, {"id": str(organization), "d": TODAY.isoformat()})["organization"]
        assert (got["name"], got["status"]) == (current[2], current[3])
        before = (first[0] - datetime.timedelta(days=1)).date()
        assert ok(api, query, {"id": str(organization), "d": before.isoformat()}) == {
            "organization": None}
        code = value(wh, "select enterprise_code from marts.dim_organization "
                         "where organization_id = %s", (organization,))
        if code is not None:  # the same by enterprise code
            got = ok(api, """query($code: String!, $d: Date) { enterprise(code: $code, asOf: $d) {
                                 id asOf name status } }""", {"code": code, "d": day.isoformat()})
            assert got["enterprise"] == {"id": str(organization), "asOf": day.isoformat(),
                                         "name": first[2], "status": first[3]}
    assert "name" in attributes  # the change of name made in the source


def test_organization_legal_representative_as_of(api, wh):
    changed = [o for o in organization_versions(wh) if len(set(column(
        wh, "select representative_person_id from marts.dim_organization_history "
            "where organization_id = %s", (o,)))) > 1]
    assert changed
    query = """query($id: ID!, $d: Date) { organization(id: $id, asOf: $d) {
                   legalRepresentatives { fullName role person { id } } } }"""
    for organization in changed:
        role = ("owner" if value(wh, "select organization_type from marts.dim_organization "
                                     "where organization_id = %s", (organization,))
                == "household_business" else "legal_representative")
        versions = rows(wh, """select valid_from, valid_to, representative_name,
                                      representative_person_id
                               from marts.dim_organization_history where organization_id = %s
                               order by valid_from""", (organization,))
        for (_, _, name, person), day in (
                (versions[0], inside(versions[0][0], versions[0][1])),
                (versions[-1], TODAY)):
            got = post(api, query, {"id": str(organization), "d": day.isoformat()})
            assert "errors" not in got, got["errors"]
            assert got["data"]["organization"]["legalRepresentatives"] == [
                {"fullName": name, "role": role, "person": ref_id(person)}]
        # without a date, the representative registered now
        got = ok(api, query, {"id": str(organization), "d": None})["organization"]
        assert [r["person"] for r in got["legalRepresentatives"]] == [
            ref_id(p) for p in column(wh, "select person_id from marts.fct_enterprise_role "
                                          "where organization_id = %s", (organization,))]


@pytest.mark.parametrize("relation, condition", [
    ("landRights", RIGHT_IN_FORCE),
    ("landTransfers", "transferred_on <= %(d)s"),
    ("enterpriseRoles", "registered_on <= %(d)s"),
    ("employment", ASSIGNMENT_IN_FORCE),
    ("civilEvents", "event_date <= %(d)s"),
])
def test_person_relations_as_of_dates(api, wh, relation, condition):
    date_columns = {"landRights": ("valid_from", "valid_to"),
                    "landTransfers": ("transferred_on",),
                    "enterpriseRoles": ("registered_on",),
                    "employment": ("valid_from", "valid_to"),
                    "civilEvents": ("event_date",)}[relation]
    _, table, persons_array, _, _ = PERSON_RELATIONS[relation]
    selection = PERSON_RELATIONS[relation][0]
    checked = 0
    for person in persons_with(wh, relation, 3):
        bounds = column(wh, f"select d from {table}, unnest(array[{', '.join(date_columns)}]) "
                            f"as d where %s = any({persons_array}) and d is not null",
                        (uuid.UUID(person),))
        days = sorted({b + datetime.timedelta(days=k) for b in bounds for k in (-1, 0, 1)})
        for some_days in batches(days, 8):
            aliases = " ".join(f'd{i}: {relation}(asOf: "{d}") {{ {selection} }}'
                               for i, d in enumerate(some_days))
            data = ok(api, f'query($id: ID!) {{ person(id: $id) {{ {aliases} }} }}',
                      {"id": person})["person"]
            for i, day in enumerate(some_days):
                expected = person_relation_rows(wh, relation, person, condition, {"d": day})
                assert by_id(data[f"d{i}"]) == expected, (person, day)
                checked += bool(expected)
    assert checked


# --- merged and retired IDs -------------------------------------------------------------

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


# --- limits and error codes -------------------------------------------------------------

def nested_parents(levels: int) -> str:
    """adminUnit { parent { parent ... { name } } }: levels + 2 fields deep."""
    return "{ adminUnit(code: \"00001\") { " + "parent { " * levels + "name" + " }" * levels + \
        " } }"


def test_depth_limit(api):
    body = post(api, nested_parents(MAX_DEPTH - 2))
    assert "errors" not in body, body  # exactly MAX_DEPTH deep
    body = post(api, nested_parents(MAX_DEPTH - 1))
    assert codes(body) == ["DEPTH_LIMIT"]
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["limit"] == MAX_DEPTH
    assert body["errors"][0]["extensions"]["depth"] == MAX_DEPTH + 1


def aliased(count: int) -> str:
    return "{ " + " ".join(f'a{i}: adminUnit(code: "80") {{ code }}' for i in range(count)) + \
        " }"


def test_alias_limit(api):
    body = post(api, aliased(MAX_ALIASES))
    assert "errors" not in body, body
    assert len(body["data"]) == MAX_ALIASES
    body = post(api, aliased(MAX_ALIASES + 1))
    assert codes(body) == ["ALIAS_LIMIT"]
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["limit"] == MAX_ALIASES


def listed_codes(count: int) -> str:
    """A query of about count tokens: a list of count land-use codes."""
    listed = " ".join(f'"X{i}"' for i in range(count))
    return f"{{ landParcels(filter: {{landUseCode: [{listed}]}}) {{ totalCount }} }}"


def test_token_limit(api):
    body = post(api, listed_codes(MAX_TOKENS - 20))
    assert "errors" not in body, body
    assert body["data"] == {"landParcels": {"totalCount": 0}}
    body = post(api, listed_codes(MAX_TOKENS))
    assert codes(body) == ["TOKEN_LIMIT"]
    assert body["data"] is None


def test_cost_limit(api):
    expensive = """{ landParcels(first: 100) { nodes { holders { person {
                       landRights { landParcel { rights { id } } } } } } } }"""
    body = post(api, expensive)
    assert codes(body) == ["COST_LIMIT"]
    assert body["data"] is None
    error = body["errors"][0]["extensions"]
    assert error["budget"] == MAX_COST < error["cost"]
    assert body["extensions"]["cost"] == {"estimated": error["cost"], "budget": MAX_COST}
    assert body["extensions"]["sqlStatements"] == 0  # refused before anything is read
    # The same with a smaller page, or fewer relations, fits.
    for cheaper in ("""{ landParcels(first: 2) { nodes { holders { person {
                           landRights { landParcel { rights { id } } } } } } } }""",
                    "{ landParcels(first: 100) { nodes { holders { person { id } } } } }"):
        body = post(api, cheaper)
        assert "errors" not in body, body
        assert 0 < body["extensions"]["cost"]["estimated"] <= MAX_COST
    # The page size in a variable counts too.
    body = post(api, """query($n: Int) { landParcels(first: $n) { nodes { holders { person {
                           landRights { landParcel { rights { id } } } } } } } }""", {"n": 100})
    assert codes(body) == ["COST_LIMIT"]


@pytest.mark.parametrize("query, code", [
    ('{ adminUnit(code: "80" { code } }', "GRAPHQL_PARSE_FAILED"),
    ("{ adminUnit(code: ", "GRAPHQL_PARSE_FAILED"),
    ('{ adminUnit(code: "80") { nope } }', "GRAPHQL_VALIDATION_FAILED"),
    ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ('{ adminUnit(code: 80) { code } }', "GRAPHQL_VALIDATION_FAILED"),
    ("{ adminUnit { code } }", "GRAPHQL_VALIDATION_FAILED"),
    ('{ landParcels(orderBy: NAME) { totalCount } }', "GRAPHQL_VALIDATION_FAILED"),
], ids=["syntax", "unterminated", "unknown field", "unknown root", "argument type",
        "missing argument", "unknown enum value"])
def test_parse_and_validation_errors(api, query, code):
    body = post(api, query)
    assert codes(body) == [code]
    assert body["data"] is None


@pytest.mark.parametrize("query, variables", [
    ("query($n: Int) { landParcels(first: $n) { totalCount } }", {"n": "ten"}),
    ("query($n: Int) { landParcels(first: $n) { totalCount } }", {"n": 1.5}),
    ("query($d: Date) { landParcel(id: \"00000000-0000-0000-0000-000000000000\", asOf: $d) "
     "{ id } }", {"d": "not a date"}),
    ("query($f: LandParcelFilter) { landParcels(filter: $f) { totalCount } }",
     {"f": {"areaMinM2": "big"}}),
    ("query($f: LandParcelFilter) { landParcels(filter: $f) { totalCount } }",
     {"f": {"adminUnit": {"code": "80", "generation": "NEW"}}}),
    ("query($id: ID!) { person(id: $id) { id } }", {}),
    ("query($id: ID!) { person(id: $id) { id } }", {"id": None}),
], ids=["string for Int", "float for Int", "bad Date", "string for Float in an input",
        "unknown enum value", "missing", "null for non-null"])
def test_a_variable_of_the_wrong_type_is_bad_user_input(api, query, variables):
    body = post(api, query, variables)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["data"] is None


def test_every_successful_response_reports_its_cost_and_statements(api, wh):
    parcel = value(wh, "select land_parcel_id::text from marts.dim_land_parcel limit 1")
    for query in ("{ adminUnits(first: 1) { totalCount } }",
                  "{ landParcels(first: 3) { nodes { id holders { person { id } } } } }",
                  f'{{ landParcel(id: "{parcel}") {{ id commune {{ name }} }} }}',
                  "{ enterpriseStatistics(groupBy: [STATUS]) { organizationCount } }"):
        body = post(api, query)
        assert "errors" not in body, body
        extensions = body["extensions"]
        assert extensions["cost"]["budget"] == MAX_COST
        assert isinstance(extensions["cost"]["estimated"], int)
        assert 0 < extensions["cost"]["estimated"] <= MAX_COST
        assert isinstance(extensions["sqlStatements"], int) and extensions["sqlStatements"] > 0
    # A larger page of the same shape is estimated to cost more.
    small, large = (post(api, f"{{ landParcels(first: {n}) {{ nodes {{ id holders {{ id }} }} }} }}"
                         )["extensions"]["cost"]["estimated"] for n in (5, 50))
    assert large > small


# --- SQL statements per page ------------------------------------------------------------

PARCEL_PAGE = """query($first: Int, $f: LandParcelFilter) {
    landParcels(first: $first, filter: $f) { nodes { id
        holders { holderName person { id fullName } organization { id name } }
        commune { name } legacyCommune { name } } } }"""
PERSON_PAGE = """query($first: Int, $f: PersonFilter) {
    persons(first: $first, filter: $f) { nodes { id fullName
        landRights { id landParcel { id areaM2 } }
        enterpriseRoles { id organization { id name } }
        employment { id agencyCode }
        civilEvents { id eventType commune { name } } } } }"""


def statements(api: str, query: str, variables: dict) -> tuple[int, int]:
    body = post(api, query, variables)
    assert "errors" not in body, body
    return len(next(iter(body["data"].values()))["nodes"]), body["extensions"]["sqlStatements"]


def test_a_page_of_100_parcels_runs_as_many_statements_as_a_page_of_10(api, wh):
    province = parcel_units(wh)["current_province"]
    flt = {"adminUnit": ref(province)}
    communes = communes_under(wh, province)
    # The page of 10 already has person and organization holders: every relation is read.
    holders = rows(wh, f"""
        select count(r.person_id), count(r.organization_id) from (
            select land_parcel_id from marts.dim_land_parcel
            where current_commune_code = any(%(c)s) order by land_parcel_id limit 10) as p
        inner join marts.fct_land_right as r using (land_parcel_id)
        where {RIGHT_IN_FORCE}""", {"c": communes, "d": TODAY})[0]
    assert all(holders), holders
    small = statements(api, PARCEL_PAGE, {"first": 10, "f": flt})
    large = statements(api, PARCEL_PAGE, {"first": 100, "f": flt})
    assert (small[0], large[0]) == (10, 100)
    assert large[1] == small[1] > 1
    assert statements(api, PARCEL_PAGE, {"first": 100, "f": flt}) == large  # and it is steady


def test_a_page_of_100_persons_with_relations_runs_as_many_statements_as_a_page_of_10(api, wh):
    flt = {"sourceSystem": "enterprise"}
    # The page of 10 already has land rights, business roles and civil events.
    present = rows(wh, """
        with page as (select person_id from marts.dim_person
                      where 'enterprise' = any(source_systems) order by person_id limit 10)
        select (select count(*) from marts.fct_land_right join page using (person_id)),
               (select count(*) from marts.fct_enterprise_role join page using (person_id)),
               (select count(*) from marts.fct_civil_event join page using (person_id))""")[0]
    assert all(present), present
    small = statements(api, PERSON_PAGE, {"first": 10, "f": flt})
    large = statements(api, PERSON_PAGE, {"first": 100, "f": flt})
    assert (small[0], large[0]) == (10, 100)
    assert large[1] == small[1] > 1
    assert statements(api, PERSON_PAGE, {"first": 100, "f": flt}) == large


def test_a_statement_past_the_timeout_answers_timeout_and_the_server_recovers(deployment):
    """KHO_API_STATEMENT_TIMEOUT_MS bounds every SQL statement of a request. A lock the test
    holds on the parcels keeps the API's read waiting past it; once released, the same
    server answers again."""
    impatient = dataclasses.replace(
        deployment, env={**deployment.env, "KHO_API_STATEMENT_TIMEOUT_MS": "300"})
    query = "{ landParcels(first: 3) { nodes { id } } }"
    with running_api(impatient) as base, psycopg.connect(deployment.warehouse_url) as holder:
        holder.execute("lock table marts.dim_land_parcel in access exclusive mode")
        body = post(base, query)
        holder.rollback()
        assert codes(body) == ["TIMEOUT"]
        assert "300 ms" in body["errors"][0]["message"]
        assert len(ok(base, query)["landParcels"]["nodes"]) == 3


def test_fragments_spread_twice_per_level_are_refused_fast(api):
    """Each fragment spreads the next one twice: 2^40 field selections once spread, in a
    document of a few hundred tokens. It is refused by count, without being spread."""
    levels = 40
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}"
                         for i in range(levels))
    query = f"{{ ...F0 }} {fragments} fragment F{levels} on Query {{ adminUnit(code: \"80\") " \
            "{ code } }"
    body = post(api, query)
    assert codes(body) == ["COST_LIMIT"], body
    assert body["errors"][0]["extensions"]["fields"] > MAX_FIELDS


def test_a_page_size_given_as_a_whole_float_counts_in_the_cost(api):
    query = "query($n: Int) { landParcels(first: $n) { nodes { holders { id } } } }"
    as_int = post(api, query, {"n": 100})["extensions"]["cost"]["estimated"]
    as_float = post(api, query, {"n": 100.0})["extensions"]["cost"]["estimated"]
    assert as_float == as_int > post(api, query, {"n": 20})["extensions"]["cost"]["estimated"]


@pytest.mark.parametrize("field, order, column", [
    ("organizations", "REGISTERED_ON", "registered_on"),
    ("persons", "BIRTH_DATE", "birth_date"),
])
def test_orders_by_a_date_that_is_sometimes_missing_work(api, wh, field, order, column):
    table = {"organizations": "dim_organization", "persons": "dim_person"}[field]
    assert value(wh, f"select count(*) from marts.{table} where {column} is null") > 0
    body = ok(api, f"{{ {field}(first: 100, orderBy: {order}) {{ totalCount nodes {{ id }} }} }}")
    assert len(body[field]["nodes"]) == 100


@pytest.mark.parametrize("name", ["％％", "＿＿", "ab＼"])
def test_like_characters_in_a_name_search_match_themselves(api, name):
    body = ok(api, "query($n: String) { organizations(filter: {name: $n}) { totalCount } "
                   "enterpriseStatistics(groupBy: [STATUS], filter: {name: $n}) "
                   "{ organizationCount } }", {"n": name})
    assert body["organizations"]["totalCount"] == 0
    assert body["enterpriseStatistics"] == []


def test_a_bad_staff_page_fails_only_its_own_field(api, wh):
    """The two pages are read by one DataLoader; the bad one must not fail the good one."""
    agency = value(wh, "select organization_id from marts.fct_employment where is_current "
                       "group by 1 order by count(*) desc limit 1")
    body = post(api, "query($id: ID!) { good: organization(id: $id) { staff(first: 2) "
                     "{ totalCount } } bad: organization(id: $id) { staff(first: 500) "
                     "{ totalCount } } }", {"id": str(agency)})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["data"]["good"]["staff"]["totalCount"] > 0
    assert body["data"]["bad"] == {"staff": None}


def test_a_name_search_finds_its_words_in_any_order(api, wh):
    name = value(wh, "select organization_name from marts.dim_organization where "
                     "organization_name ~ '^\\S+ \\S+ \\S+ \\S+' order by organization_id limit 1")
    words = fold(name).split()
    backwards = " ".join(reversed([words[0], words[-1]]))
    query = ("query($n: String) { organizations(first: 100, filter: {name: $n}) "
             "{ totalCount nodes { name } } }")
    found = ok(api, query, {"n": backwards})["organizations"]
    assert name in [n["name"] for n in found["nodes"]]
    assert found["totalCount"] == sum(
        has_words(n, backwards) for (n,) in wh.execute(
            "select organization_name from marts.dim_organization").fetchall())
    nothing = ok(api, query, {"n": f"{backwards} zzqx"})["organizations"]
    assert nothing["totalCount"] == 0
