"""The five reads, each as the GraphQL query a client sends to kho, as the query a client of
PostGraphile sends for the same data (postgraphile.py: the marts' own names, relations from
smart comments, (c) a SQL function), and as one hand-written SQL query, with the parameters
they cycle through and what a right answer holds.

The first answers of every side are compared (IDs and counts): a baseline that read less,
or an API that answered something else, would make the ratio meaningless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kho import db

PERSON_WITH_HOLDINGS = """
query PersonWithHoldings($id: ID!) {
  person(id: $id) {
    id fullName birthDate personalIdNumber
    landRights {
      id ownershipShare validFrom landParcel { id landUseCode areaM2 currentCommuneCode }
    }
    enterpriseRoles { id role organization { id name enterpriseCode status } }
  }
}"""

PERSON_WITH_HOLDINGS_SQL = """
select p.person_id, p.full_name, p.birth_date, p.personal_id_number,
    (select coalesce(json_agg(json_build_object(
                'id', r.land_right_id, 'ownershipShare', r.ownership_share,
                'validFrom', r.valid_from,
                'landParcel', json_build_object(
                    'id', lp.land_parcel_id, 'landUseCode', lp.land_use_code,
                    'areaM2', lp.area_m2, 'currentCommuneCode', lp.current_commune_code))
            order by r.valid_from, r.land_right_id), '[]')
     from marts.fct_land_right as r
     left join marts.dim_land_parcel as lp on lp.land_parcel_id = r.land_parcel_id
     where r.person_id = p.person_id) as land_rights,
    (select coalesce(json_agg(json_build_object(
                'id', e.enterprise_role_id, 'role', e.role,
                'organization', json_build_object(
                    'id', o.organization_id, 'name', o.organization_name,
                    'enterpriseCode', o.enterprise_code, 'status', o.status))
            order by e.enterprise_role_id), '[]')
     from marts.fct_enterprise_role as e
     left join marts.dim_organization as o on o.organization_id = e.organization_id
     where e.person_id = p.person_id) as enterprise_roles
from marts.dim_person as p
where p.person_id = %s"""

PERSON_WITH_HOLDINGS_POSTGRAPHILE = """
query PersonWithHoldings($id: UUID!) {
  dimPersonByPersonId(personId: $id) {
    personId fullName birthDate personalIdNumber
    fctLandRightsByPersonId(orderBy: [VALID_FROM_ASC, LAND_RIGHT_ID_ASC]) { nodes {
      landRightId ownershipShare validFrom
      dimLandParcelByLandParcelId { landParcelId landUseCode areaM2 currentCommuneCode }
    } }
    fctEnterpriseRolesByPersonId(orderBy: ENTERPRISE_ROLE_ID_ASC) { nodes {
      enterpriseRoleId role
      dimOrganizationByOrganizationId { organizationId organizationName enterpriseCode status }
    } }
  }
}"""

COMMUNE_PARCELS = """
query CommuneParcels($code: String!) {
  landParcels(first: 100, filter: {adminUnit: {code: $code, generation: CURRENT}}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id mapSheetNumber parcelNumber areaM2 landUseCode
      holders {
        holderType holderName ownershipShare person { id fullName } organization { id name }
      }
    }
  }
}"""

COMMUNE_PARCELS_POSTGRAPHILE = """
query CommuneParcels($code: String!) {
  allDimLandParcels(first: 100, condition: {currentCommuneCode: $code},
                    orderBy: LAND_PARCEL_ID_ASC) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { landParcelId mapSheetNumber parcelNumber areaM2 landUseCode
      fctLandRightsByLandParcelId(condition: {isCurrent: true},
                                  orderBy: LAND_RIGHT_ID_ASC) { nodes {
        holderType holderName ownershipShare
        dimPersonByPersonId { personId fullName }
        dimOrganizationByOrganizationId { organizationId organizationName }
      } }
    }
  }
}"""

COMMUNE_PARCELS_SQL = """
with page as (
    select land_parcel_id, map_sheet_number, parcel_number, area_m2, land_use_code
    from marts.dim_land_parcel
    where current_commune_code = %(code)s
    order by land_parcel_id
    limit 100
)
select
    (select count(*) from marts.dim_land_parcel where current_commune_code = %(code)s),
    coalesce(json_agg(json_build_object(
        'id', page.land_parcel_id, 'mapSheetNumber', page.map_sheet_number,
        'parcelNumber', page.parcel_number, 'areaM2', page.area_m2,
        'landUseCode', page.land_use_code,
        'holders', (
            select coalesce(json_agg(json_build_object(
                    'holderType', r.holder_type, 'holderName', r.holder_name,
                    'ownershipShare', r.ownership_share,
                    'person', case when p.person_id is not null then json_build_object(
                        'id', p.person_id, 'fullName', p.full_name) end,
                    'organization', case when o.organization_id is not null then
                        json_build_object('id', o.organization_id,
                                          'name', o.organization_name) end)
                order by r.land_right_id), '[]')
            from marts.fct_land_right as r
            left join marts.dim_person as p on p.person_id = r.person_id
            left join marts.dim_organization as o on o.organization_id = r.organization_id
            where r.land_parcel_id = page.land_parcel_id and r.is_current))
        order by page.land_parcel_id), '[]')
from page"""

LAND_AREA_BY_COMMUNE = """
query LandAreaByCommune($code: String!) {
  landAreaByUse(filter: {adminUnit: {code: $code, generation: CURRENT}},
                groupBy: [COMMUNE, LAND_USE]) {
    communeCode landUseCode parcelCount totalAreaM2
  }
}"""

LAND_AREA_BY_COMMUNE_POSTGRAPHILE = """
query LandAreaByCommune($code: String!) {
  landAreaByUse(province: $code) {
    nodes { communeCode landUseCode parcelCount totalAreaM2 }
  }
}"""

LAND_AREA_BY_COMMUNE_SQL = """
select current_commune_code, land_use_code, count(*), sum(area_m2)
from marts.dim_land_parcel
where current_commune_code in (
    select admin_unit_code from marts.dim_admin_unit
    where generation = 'current' and level = 'commune' and province_code = %s)
group by 1, 2"""

PERSON_BY_ID = """
query PersonById($id: ID!) {
  person(id: $id) { id fullName birthDate sex personalIdNumber }
}"""
PERSON_BY_ID_POSTGRAPHILE = """
query PersonById($id: UUID!) {
  dimPersonByPersonId(personId: $id) { personId fullName birthDate sex personalIdNumber }
}"""
PERSON_BY_ID_SQL = """
select person_id, full_name, birth_date, sex, personal_id_number
from marts.dim_person where person_id = %s"""

OPEN_PARCELS = """
query OpenParcels($code: String!) {
  landParcels(first: 100, filter: {adminUnit: {code: $code, generation: CURRENT}}) {
    nodes { id mapSheetNumber parcelNumber areaM2 landUseCode landUseGroup }
  }
}"""
OPEN_PARCELS_POSTGRAPHILE = """
query OpenParcels($code: String!) {
  allDimLandParcels(first: 100, condition: {currentCommuneCode: $code},
                    orderBy: LAND_PARCEL_ID_ASC) {
    nodes { landParcelId mapSheetNumber parcelNumber areaM2 landUseCode landUseGroup }
  }
}"""
OPEN_PARCELS_SQL = """
select land_parcel_id, map_sheet_number, parcel_number, area_m2, land_use_code, land_use_group
from marts.dim_land_parcel where current_commune_code = %s
order by land_parcel_id limit 100"""
# The communes the open-data list cycles through: those with most parcels.
COMMUNES = 50

# Persons with land rights and enterprise roles, in ID order: IDs are hashes of natural
# keys, so this is a spread over the table, and the same one on every run.
PERSONS_WITH_BOTH = """
select person_id from marts.fct_land_right where person_id is not null
intersect
select person_id from marts.fct_enterprise_role where person_id is not null
order by 1 limit %s"""
PERSONS_WITH_LAND = """
select distinct person_id from marts.fct_land_right where person_id is not null
order by 1 limit %s"""
# Fewer persons with both than this, and (a) cycles through persons with land rights.
MIN_PERSONS = 100


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    graphql: str
    variables: list[dict]
    sql: str
    sql_params: list  # one per request, cycled through like ``variables``
    # Whether one answer holds what it must: the API's ``data``, the SQL query's rows.
    api_has_data: Callable[[dict], bool]
    sql_has_data: Callable[[list[tuple]], bool]
    # What must agree between the sides' first answers.
    api_summary: Callable[[dict], object]
    sql_summary: Callable[[list[tuple]], object]
    # PostGraphile's query for the same read, its variables (one per request, as
    # ``variables``), and the same two checks of its ``data``.
    postgraphile: str = ""
    postgraphile_variables: list[dict] = ()
    postgraphile_has_data: Callable[[dict], bool] = bool
    postgraphile_summary: Callable[[dict], object] = repr


def _ids(items: list[dict]) -> list[str]:
    return sorted(str(item["id"]) for item in items)


def _parcels(total: int, nodes: list[dict]) -> tuple:
    return total, [(str(n["id"]), len(n["holders"])) for n in nodes]


def _postgraphile_parcels(connection: dict) -> tuple:
    return connection["totalCount"], [
        (n["landParcelId"], len(n["fctLandRightsByLandParcelId"]["nodes"]))
        for n in connection["nodes"]]


def _areas(rows) -> set:
    return {(r[0], r[1], r[2]) for r in rows}


def scenarios(url: str, sample: int) -> tuple[list[Scenario], dict[str, str]]:
    """The scenarios on the warehouse at ``url``, and what they read (for the conditions)."""
    with db.connect(url) as conn:
        persons = [r[0] for r in conn.execute(PERSONS_WITH_BOTH, (sample,))]
        kind = "persons with land rights and enterprise roles"
        if len(persons) < MIN_PERSONS:
            persons = [r[0] for r in conn.execute(PERSONS_WITH_LAND, (sample,))]
            kind = "persons with land rights (too few with enterprise roles too)"
        communes_by_size = conn.execute(
            "select current_commune_code, count(*) from marts.dim_land_parcel "
            "where current_commune_code is not null "
            "group by 1 order by 2 desc, 1 limit %s", (COMMUNES,)).fetchall()
        commune, parcels = communes_by_size[0]
        province = conn.execute(
            "select province_code from marts.dim_admin_unit where generation = 'current' "
            "and level = 'commune' and admin_unit_code = %s", (commune,)).fetchone()[0]
        communes = conn.execute(
            "select count(distinct current_commune_code) from marts.dim_land_parcel "
            "where current_commune_code in (select admin_unit_code from marts.dim_admin_unit "
            "where generation = 'current' and level = 'commune' and province_code = %s)",
            (province,)).fetchone()[0]
    read = {
        "a": f"{len(persons):,} {kind}, cycled through",
        "b": f"commune {commune} (the most parcels): {parcels:,} parcels",
        "c": f"province {province}: {communes:,} communes with parcels",
        "id": f"the same {len(persons):,} persons, cycled through",
        "open": f"the {len(communes_by_size)} communes with most parcels, cycled through",
    }
    person_ids = [{"id": str(p)} for p in persons]
    codes = [{"code": c} for c, _ in communes_by_size]
    return [
        Scenario(
            "a", "(a) person with land rights and enterprise roles", PERSON_WITH_HOLDINGS,
            [{"id": str(p)} for p in persons], PERSON_WITH_HOLDINGS_SQL,
            [(p,) for p in persons],
            api_has_data=lambda d: d["person"] is not None and bool(d["person"]["landRights"]),
            sql_has_data=lambda rows: bool(rows) and bool(rows[0][4]),
            api_summary=lambda d: (_ids(d["person"]["landRights"]),
                                   _ids(d["person"]["enterpriseRoles"])),
            sql_summary=lambda rows: (_ids(rows[0][4]), _ids(rows[0][5])),
            postgraphile=PERSON_WITH_HOLDINGS_POSTGRAPHILE, postgraphile_variables=person_ids,
            postgraphile_has_data=lambda d: bool(
                d["dimPersonByPersonId"]["fctLandRightsByPersonId"]["nodes"]),
            postgraphile_summary=lambda d: (
                sorted(n["landRightId"] for n in
                       d["dimPersonByPersonId"]["fctLandRightsByPersonId"]["nodes"]),
                sorted(n["enterpriseRoleId"] for n in
                       d["dimPersonByPersonId"]["fctEnterpriseRolesByPersonId"]["nodes"]))),
        Scenario(
            "b", "(b) 100 parcels of a commune with holders", COMMUNE_PARCELS,
            [{"code": commune}], COMMUNE_PARCELS_SQL, [{"code": commune}],
            api_has_data=lambda d: bool(d["landParcels"]["nodes"]),
            sql_has_data=lambda rows: bool(rows[0][1]),
            api_summary=lambda d: _parcels(d["landParcels"]["totalCount"],
                                           d["landParcels"]["nodes"]),
            sql_summary=lambda rows: _parcels(rows[0][0], rows[0][1]),
            postgraphile=COMMUNE_PARCELS_POSTGRAPHILE, postgraphile_variables=[{"code": commune}],
            postgraphile_has_data=lambda d: bool(d["allDimLandParcels"]["nodes"]),
            postgraphile_summary=lambda d: _postgraphile_parcels(d["allDimLandParcels"])),
        Scenario(
            "id", "one person by ID, 5 fields", PERSON_BY_ID, person_ids, PERSON_BY_ID_SQL,
            [(p,) for p in persons],
            api_has_data=lambda d: d["person"] is not None,
            sql_has_data=bool,
            api_summary=lambda d: (d["person"]["id"], d["person"]["birthDate"]),
            sql_summary=lambda rows: (str(rows[0][0]), rows[0][2] and rows[0][2].isoformat()),
            postgraphile=PERSON_BY_ID_POSTGRAPHILE, postgraphile_variables=person_ids,
            postgraphile_has_data=lambda d: d["dimPersonByPersonId"] is not None,
            postgraphile_summary=lambda d: (d["dimPersonByPersonId"]["personId"],
                                            d["dimPersonByPersonId"]["birthDate"])),
        Scenario(
            "open", "100 parcels, open data, no holders", OPEN_PARCELS, codes,
            OPEN_PARCELS_SQL, [(c["code"],) for c in codes],
            api_has_data=lambda d: bool(d["landParcels"]["nodes"]),
            sql_has_data=bool,
            api_summary=lambda d: [n["id"] for n in d["landParcels"]["nodes"]],
            sql_summary=lambda rows: [str(r[0]) for r in rows],
            postgraphile=OPEN_PARCELS_POSTGRAPHILE, postgraphile_variables=codes,
            postgraphile_has_data=lambda d: bool(d["allDimLandParcels"]["nodes"]),
            postgraphile_summary=lambda d: [n["landParcelId"]
                                            for n in d["allDimLandParcels"]["nodes"]]),
        Scenario(
            "c", "(c) land area by use for every commune", LAND_AREA_BY_COMMUNE,
            [{"code": province}], LAND_AREA_BY_COMMUNE_SQL, [(province,)],
            api_has_data=lambda d: bool(d["landAreaByUse"]),
            sql_has_data=bool,
            api_summary=lambda d: {(r["communeCode"], r["landUseCode"], r["parcelCount"])
                                   for r in d["landAreaByUse"]},
            sql_summary=_areas,
            postgraphile=LAND_AREA_BY_COMMUNE_POSTGRAPHILE,
            postgraphile_variables=[{"code": province}],
            postgraphile_has_data=lambda d: bool(d["landAreaByUse"]["nodes"]),
            postgraphile_summary=lambda d: {(r["communeCode"], r["landUseCode"],
                                             int(r["parcelCount"]))
                                            for r in d["landAreaByUse"]["nodes"]}),
    ], read
