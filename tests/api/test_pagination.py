"""Cursor pagination: walking every order page by page has no gaps or repeats; page
sizes, garbage cursors and cursors of another order are BAD_USER_INPUT; orders by a date
that is sometimes missing work; a bad staff page fails only its own field.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from graphql_api.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from tests.api.helpers import (
    codes,
    column,
    communes_under,
    cursor,
    ids,
    node_ids,
    ok,
    parcel_units,
    post,
    ref,
    units_under,
    value,
    walk,
)


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


@pytest.mark.parametrize("field, order, column", [
    ("organizations", "REGISTERED_ON", "registered_on"),
    ("persons", "BIRTH_DATE", "birth_date"),
])
def test_orders_by_a_date_that_is_sometimes_missing_work(api, wh, field, order, column):
    table = {"organizations": "dim_organization", "persons": "dim_person"}[field]
    assert value(wh, f"select count(*) from marts.{table} where {column} is null") > 0
    body = ok(api, f"{{ {field}(first: 100, orderBy: {order}) {{ totalCount nodes {{ id }} }} }}")
    assert len(body[field]["nodes"]) == 100


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
