"""Every root query over HTTP: persons, organizations, land parcels and admin units by
ID, number or code and as connections, and ``node``; unknown IDs answer null, malformed
ones BAD_USER_INPUT. Every expectation is read from the marts with SQL.
"""

from __future__ import annotations

import uuid

import pytest

from tests.api.helpers import (
    codes,
    column,
    ids,
    node_ids,
    ok,
    parcel_units,
    post,
    ref,
    rows,
    text,
    value,
)

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
