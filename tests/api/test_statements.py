"""SQL statements per page: a page of 100 with its relations runs as many statements as a
page of 10: one, compiled (the compiled executor), or one per relation (DataLoaders, no N+1).
"""

from __future__ import annotations

from tests.api.helpers import RIGHT_IN_FORCE, TODAY, communes_under, parcel_units, post, ref, rows

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


def statements(api: str, query: str, variables: dict) -> tuple[int, int, str]:
    """Rows on the page, statements run, and the executor that answered."""
    body = post(api, query, variables)
    assert "errors" not in body, body
    extensions = body["extensions"]
    return (len(next(iter(body["data"].values()))["nodes"]), extensions["sqlStatements"],
            extensions.get("executor", {}).get("name", "resolvers"))


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
    assert large[1] == small[1]
    assert large[1] == 1 if large[2] == "compiled" else large[1] > 1
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
