"""Every relation of persons, organizations, land parcels and admin units (a split
legacy commune, its successors and predecessors across the 2025 reform), against the marts.
"""

from __future__ import annotations

import uuid

import pytest

from tests.api.helpers import (
    ASSIGNMENT_IN_FORCE,
    PERSON_RELATIONS,
    RIGHT_IN_FORCE,
    TODAY,
    by_id,
    column,
    ids,
    node_ids,
    ok,
    parcel_units,
    person_relation_rows,
    persons_with,
    ref,
    ref_id,
    rows,
    text,
    unit,
    value,
)


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
