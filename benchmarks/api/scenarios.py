"""The three reads, each as the GraphQL query a client sends and as one hand-written SQL query
for the same data, with the parameters they cycle through and what a right answer holds.

The first answers of both sides are compared (IDs and counts): a baseline that read less,
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

LAND_AREA_BY_COMMUNE_SQL = """
select current_commune_code, land_use_code, count(*), sum(area_m2)
from marts.dim_land_parcel
where current_commune_code in (
    select admin_unit_code from marts.dim_admin_unit
    where generation = 'current' and level = 'commune' and province_code = %s)
group by 1, 2"""

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
    # What must agree between the two sides' first answers.
    api_summary: Callable[[dict], object]
    sql_summary: Callable[[list[tuple]], object]


def _ids(items: list[dict]) -> list[str]:
    return sorted(str(item["id"]) for item in items)


def _parcels(total: int, nodes: list[dict]) -> tuple:
    return total, [(str(n["id"]), len(n["holders"])) for n in nodes]


def scenarios(url: str, sample: int) -> tuple[list[Scenario], dict[str, str]]:
    """The scenarios on the warehouse at ``url``, and what they read (for the conditions)."""
    with db.connect(url) as conn:
        persons = [r[0] for r in conn.execute(PERSONS_WITH_BOTH, (sample,))]
        kind = "persons with land rights and enterprise roles"
        if len(persons) < MIN_PERSONS:
            persons = [r[0] for r in conn.execute(PERSONS_WITH_LAND, (sample,))]
            kind = "persons with land rights (too few with enterprise roles too)"
        commune, parcels = conn.execute(
            "select current_commune_code, count(*) from marts.dim_land_parcel "
            "group by 1 order by 2 desc, 1 limit 1").fetchone()
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
    }
    return [
        Scenario(
            "a", "(a) person with land rights and enterprise roles", PERSON_WITH_HOLDINGS,
            [{"id": str(p)} for p in persons], PERSON_WITH_HOLDINGS_SQL,
            [(p,) for p in persons],
            api_has_data=lambda d: d["person"] is not None and bool(d["person"]["landRights"]),
            sql_has_data=lambda rows: bool(rows) and bool(rows[0][4]),
            api_summary=lambda d: (_ids(d["person"]["landRights"]),
                                   _ids(d["person"]["enterpriseRoles"])),
            sql_summary=lambda rows: (_ids(rows[0][4]), _ids(rows[0][5]))),
        Scenario(
            "b", "(b) 100 parcels of a commune with holders", COMMUNE_PARCELS,
            [{"code": commune}], COMMUNE_PARCELS_SQL, [{"code": commune}],
            api_has_data=lambda d: bool(d["landParcels"]["nodes"]),
            sql_has_data=lambda rows: bool(rows[0][1]),
            api_summary=lambda d: _parcels(d["landParcels"]["totalCount"],
                                           d["landParcels"]["nodes"]),
            sql_summary=lambda rows: _parcels(rows[0][0], rows[0][1])),
        Scenario(
            "c", "(c) land area by use for every commune", LAND_AREA_BY_COMMUNE,
            [{"code": province}], LAND_AREA_BY_COMMUNE_SQL, [(province,)],
            api_has_data=lambda d: bool(d["landAreaByUse"]),
            sql_has_data=bool,
            api_summary=lambda d: {(r["communeCode"], r["landUseCode"], r["parcelCount"])
                                   for r in d["landAreaByUse"]},
            sql_summary=lambda rows: {row[:3] for row in rows}),
    ], read
