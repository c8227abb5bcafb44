"""``asOf``: parcels, organizations, legal representatives and the relations of persons
as they were on past dates. The deployment was advanced and materialized twice, so the
snapshots hold more than one version of some records.
"""

from __future__ import annotations

import datetime
import uuid

import pytest

from tests.api.helpers import (
    ASSIGNMENT_IN_FORCE,
    PERSON_RELATIONS,
    RIGHT_IN_FORCE,
    TODAY,
    batches,
    by_id,
    column,
    ids,
    node_ids,
    ok,
    person_relation_rows,
    persons_with,
    post,
    ref_id,
    rows,
    value,
)


def inside(valid_from: datetime.datetime, valid_to: datetime.datetime) -> datetime.date:
    """A date whose end falls inside a version's interval (as of a date = at its end)."""
    day = (valid_to - datetime.timedelta(days=1)).date()
    end_of_day = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    assert valid_from < end_of_day <= valid_to
    return day


def area(value):
    """An area as the API answers it: null where the register's was set aside."""
    return None if value is None else pytest.approx(float(value))


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
            area(first[2]), first[3], first[4], first[5])
        today = ok(api, query, {"id": str(parcel), "d": TODAY.isoformat()})["landParcel"]
        assert (today["areaM2"], today["landUseCode"]) == (area(current[2]), current[3])
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
