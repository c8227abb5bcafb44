"""Who sees what, over HTTP: anonymous callers, agency clients with shared or personal
grants (with and without a declared purpose), revoked and expired keys; attempts to learn a
withheld value through filters, orders, cursors, aggregates, aliases and fragments; the
access log (append-only for the API's role, hash-chained, checked by ``kho audit verify``,
listed per person); rate limits; the open-data catalogue and downloads.
"""

from __future__ import annotations

import base64
import csv
import datetime
import io
import json
import re
import subprocess
import sys
import time
import uuid
from decimal import Decimal

import httpx
import psycopg
import psycopg.types.json
import pytest
import redis
import shapely
import shapely.geometry

from graphql_api.access.log_writer import LINGER_SECONDS
from graphql_api.cadre.queries import SMALL_COUNT
from graphql_api.core.aggregates import ROUNDING_BASE
from graphql_api.opendata.catalogue import BY_NAME
from kho import db
from tests.api.conftest import CONTESTING_CMNDS
from tests.conftest import bearer, create_client, running_api

PURPOSE = "xác minh hồ sơ đất đai số 123/2026"
MASKED = re.compile(r"^\d{3}\*+\d{2}$")


@pytest.fixture(scope="module")
def keys(deployment) -> dict[str, str]:
    """One API key per kind of client."""
    shared = ("land:shared", "enterprise:shared", "civil_registry:shared", "cadre:shared")
    personal = ("land:personal", "enterprise:personal", "civil_registry:personal",
                "cadre:personal")
    made = {
        "shared": create_client(deployment, "access-shared", *shared),
        "personal": create_client(deployment, "access-personal", *personal),
        "land": create_client(deployment, "access-land", "land:personal"),
        "land_enterprise": create_client(deployment, "access-land-enterprise",
                                         "land:personal", "enterprise:shared"),
        "dpo": create_client(deployment, "access-dpo", "audit", agency="Data protection"),
        "steward": create_client(deployment, "access-steward", "steward",
                                 agency="Master data stewards"),
        "revoked": create_client(deployment, "access-revoked", *personal),
        "expired": create_client(deployment, "access-expired", *personal),
    }
    deployment.kho("clients", "revoke", "access-revoked")
    with psycopg.connect(deployment.warehouse_url) as conn:
        conn.execute("update api.api_keys set expires_at = now() - interval '1 minute' "
                     "where client_id = (select client_id from api.clients "
                     "where name = 'access-expired')")
    return made


def post(api: str, query: str, variables: dict | None = None,
         headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{api}/graphql", json={"query": query, "variables": variables or {}},
                      headers=headers, timeout=60)


def body_of(api: str, query: str, variables: dict | None = None,
            headers: dict | None = None) -> dict:
    response = post(api, query, variables, headers)
    assert response.status_code == 200, response.text
    return response.json()


def forbidden_paths(body: dict) -> set[tuple]:
    return {tuple(e["path"]) for e in body.get("errors", [])
            if e["extensions"]["code"] == "FORBIDDEN"}


def held_person(wh) -> tuple[str, str, str, str]:
    """A person holding a land right today, with a 12-digit number: (id, number, name,
    parcel id)."""
    row = wh.execute("""
        select p.person_id, p.personal_id_number, p.full_name, r.land_parcel_id
        from marts.dim_person p join marts.fct_land_right r using (person_id)
        where r.is_current and p.personal_id_number is not null and p.full_name is not null
        order by p.person_id limit 1""").fetchone()
    return str(row[0]), row[1], row[2], str(row[3])


PERSON = """query($id: ID!) { person(id: $id) { id personalIdNumber fullName birthDate
  landRights { id holderName } civilEvents { eventType } } }"""


# --- what each caller sees -------------------------------------------------------------

def test_anonymous_callers_see_open_data_and_nothing_of_holders(api, wh):
    person_id, number, _, parcel_id = held_person(wh)
    body = body_of(api, """query($p: ID!) { landParcel(id: $p) { id areaM2 landUseCode
        holders { holderName } rights { id } transfers { id } } }""", {"p": parcel_id})
    parcel = body["data"]["landParcel"]
    assert parcel["id"] == parcel_id and parcel["areaM2"] is not None
    assert (parcel["holders"], parcel["rights"], parcel["transfers"]) == (None, None, None)
    assert forbidden_paths(body) == {("landParcel", "holders"), ("landParcel", "rights"),
                                     ("landParcel", "transfers")}
    assert all(e["extensions"]["required"] == "land:shared" for e in body["errors"])
    assert all(e["extensions"]["missing"] == "grant" for e in body["errors"])

    body = body_of(api, PERSON, {"id": person_id})
    assert body["data"] == {"person": None}
    assert forbidden_paths(body) == {("person",)}
    for query in ('{ persons { totalCount } }',
                  f'{{ personByIdNumber(number: "{number}") {{ id }} }}',
                  f'{{ node(id: "{person_id}") {{ id }} }}'):
        body = body_of(api, query)
        assert body["data"] == {next(iter(body["data"])): None}, query
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], query


def test_anonymous_callers_see_public_registration_facts_only(api, wh):
    code, name = wh.execute("select enterprise_code, organization_name from "
                            "marts.dim_organization where organization_type = 'enterprise' "
                            "order by enterprise_code limit 1").fetchone()
    body = body_of(api, """query($c: String!) { enterprise(code: $c) { enterpriseCode name
        status legalRepresentatives { fullName } landParcels { id } } }""", {"c": code})
    enterprise = body["data"]["enterprise"]
    assert (enterprise["enterpriseCode"], enterprise["name"]) == (code, name)
    assert forbidden_paths(body) == {("enterprise", "legalRepresentatives"),
                                     ("enterprise", "landParcels")}
    agency = wh.execute("select organization_id from marts.dim_organization where "
                        "organization_type = 'state_agency' order by 1 limit 1").fetchone()[0]
    body = body_of(api, "query($id: ID!) { organization(id: $id) { name staff { totalCount } } }",
                   {"id": str(agency)})
    assert body["data"]["organization"]["name"]
    assert forbidden_paths(body) == {("organization", "staff")}


def test_a_shared_client_sees_masked_numbers_and_no_names(api, wh, keys):
    person_id, number, _, _ = held_person(wh)
    body = body_of(api, PERSON, {"id": person_id}, bearer(keys["shared"]))
    person = body["data"]["person"]
    assert person["id"] == person_id
    assert person["personalIdNumber"] == number[:3] + "*" * 7 + number[-2:]
    assert MASKED.match(person["personalIdNumber"])
    assert person["fullName"] is None and person["birthDate"] is None
    assert person["landRights"] and all(r["holderName"] is None for r in person["landRights"])
    assert person["civilEvents"] is None
    assert forbidden_paths(body) == {
        ("person", "fullName"), ("person", "birthDate"), ("person", "civilEvents"),
        *{("person", "landRights", i, "holderName") for i in range(len(person["landRights"]))}}
    # A shared client may not find a person by a number it only sees masked.
    body = body_of(api, f'{{ personByIdNumber(number: "{number}") {{ id }} }}',
                   headers=bearer(keys["shared"]))
    assert body["data"] == {"personByIdNumber": None}
    assert forbidden_paths(body) == {("personByIdNumber",)}


def test_personal_data_needs_a_purpose(api, wh, keys):
    person_id, number, name, _ = held_person(wh)
    body = body_of(api, PERSON, {"id": person_id}, bearer(keys["personal"]))
    assert body["data"]["person"]["fullName"] is None
    messages = {e["message"] for e in body["errors"]}
    assert messages and all("X-Purpose" in m for m in messages)
    assert {e["extensions"]["missing"] for e in body["errors"]} == {"purpose"}
    # Masked, as for shared clients, until a purpose is declared.
    assert MASKED.match(body["data"]["person"]["personalIdNumber"])

    body = body_of(api, PERSON, {"id": person_id}, bearer(keys["personal"], PURPOSE))
    assert "errors" not in body, body["errors"]
    person = body["data"]["person"]
    assert (person["personalIdNumber"], person["fullName"]) == (number, name)
    assert all(r["holderName"] for r in person["landRights"])
    assert isinstance(person["civilEvents"], list)


def test_grants_are_per_dataset(api, wh, keys):
    """A land:personal client sees holders, not civil events nor staff."""
    person_id, _, name, _ = held_person(wh)
    body = body_of(api, PERSON, {"id": person_id}, bearer(keys["land"], PURPOSE))
    person = body["data"]["person"]
    assert person["fullName"] == name and all(r["holderName"] for r in person["landRights"])
    assert forbidden_paths(body) == {("person", "civilEvents")}
    assert body["errors"][0]["extensions"]["required"] == "civil_registry:personal"


def test_a_personal_grant_shows_only_the_persons_reached_through_its_dataset(api, wh, keys):
    """land:personal with enterprise:shared: a legal representative reads as for a shared
    client, through the register or at the root, and is not released to the log; a name or
    a number only another dataset knows finds nobody; a listing names the land register's
    persons only."""
    code, person_id, number, name = wh.execute("""
        select o.enterprise_code, p.person_id, p.personal_id_number, p.full_name
        from marts.fct_enterprise_role r
        join marts.dim_organization o using (organization_id)
        join marts.dim_person p using (person_id)
        where o.organization_type = 'enterprise' and not 'land' = any(p.source_systems)
          and p.personal_id_number is not null and p.full_name is not null
        order by 1, 2 limit 1""").fetchone()
    person_id = str(person_id)
    headers = bearer(keys["land_enterprise"], PURPOSE)
    before = wh.execute("select coalesce(max(entry_id), 0) from api.access_log").fetchone()[0]
    body = body_of(api, """query Representatives($c: String!) { enterprise(code: $c) {
        legalRepresentatives { person { id fullName birthDate personalIdNumber } } } }""",
                   {"c": code}, headers)
    persons = [r["person"] for r in body["data"]["enterprise"]["legalRepresentatives"]
               if r["person"]]
    assert person_id in {p["id"] for p in persons}
    for person in persons:
        assert (person["fullName"], person["birthDate"]) == (None, None)
        assert MASKED.match(person["personalIdNumber"])
    assert {e["extensions"]["required"] for e in body["errors"]} == {"enterprise:personal"}
    [entry] = entries(wh, "entry_id > %s and operation_name = 'Representatives'", (before,))
    assert entry["person_ids"] == []

    body = body_of(api, PERSON, {"id": person_id}, headers)
    assert body["data"]["person"]["fullName"] is None
    assert MASKED.match(body["data"]["person"]["personalIdNumber"])
    body = body_of(api, f'{{ personByIdNumber(number: "{number}") {{ id }} }}',
                   headers=headers)
    assert body["data"] == {"personByIdNumber": None} and "errors" not in body, body
    body = body_of(api, f'{{ persons(filter: {{name: "{name}"}}) {{ nodes {{ id }} }} }}',
                   headers=headers)
    assert person_id not in {n["id"] for n in body["data"]["persons"]["nodes"]}

    # The land register's persons show, at the root and through the register.
    held_id, held_number, held_name, parcel_id = held_person(wh)
    body = body_of(api, f'{{ personByIdNumber(number: "{held_number}") {{ id fullName }} }}',
                   headers=headers)
    assert body["data"]["personByIdNumber"] == {"id": held_id, "fullName": held_name}
    body = body_of(api, """query Holders($p: ID!) { landParcel(id: $p) {
        holders { person { id fullName } } } }""", {"p": parcel_id}, headers)
    holders = [h["person"] for h in body["data"]["landParcel"]["holders"] if h["person"]]
    assert {"id": held_id, "fullName": held_name} in holders
    [entry] = entries(wh, "entry_id > %s and operation_name = 'Holders'", (before,))
    assert held_id in {str(p) for p in entry["person_ids"]}
    listed = body_of(api, "{ persons(first: 100) { nodes { sourceSystems fullName } } }",
                     headers=headers)["data"]["persons"]["nodes"]
    assert all(p["fullName"] is None for p in listed if "land" not in p["sourceSystems"])
    assert any(p["fullName"] for p in listed if "land" in p["sourceSystems"])
    assert any("land" not in p["sourceSystems"] for p in listed)


def test_aliases_and_fragments_reach_the_same_guard(api, wh, keys):
    person_id, *_ = held_person(wh)
    query = """query($id: ID!) {
      a: person(id: $id) { n1: fullName n2: fullName ...Who ... on Person { d: birthDate } }
      b: node(id: $id) { ... on Person { ...Who } }
    }
    fragment Who on Person { fullName personalIdNumber }"""
    body = body_of(api, query, {"id": person_id}, bearer(keys["shared"]))
    assert body["data"]["a"] == {"n1": None, "n2": None, "fullName": None, "d": None,
                                 "personalIdNumber": body["data"]["a"]["personalIdNumber"]}
    assert MASKED.match(body["data"]["a"]["personalIdNumber"])
    assert body["data"]["b"]["fullName"] is None
    assert forbidden_paths(body) == {("a", "n1"), ("a", "n2"), ("a", "fullName"), ("a", "d"),
                                     ("b", "fullName")}


def test_filters_and_orders_cannot_probe_withheld_values(api, wh, keys):
    _, _, name, _ = held_person(wh)
    shared = bearer(keys["shared"])
    for query in (
        f'{{ persons(filter: {{name: "{name}"}}) {{ totalCount }} }}',
        '{ persons(filter: {birthDateFrom: "1990-01-01"}) { totalCount } }',
        '{ persons(filter: {sex: "female"}) { nodes { id } } }',
        '{ persons(filter: {isDeceased: true}) { totalCount } }',
        '{ persons(filter: {birthAdminUnit: {code: "80"}}) { totalCount } }',
        '{ persons(orderBy: FULL_NAME) { nodes { id } } }',
        '{ persons(orderBy: BIRTH_DATE) { nodes { id } } }',
    ):
        body = body_of(api, query, headers=shared)
        assert body["data"] == {"persons": None}, query
        assert forbidden_paths(body) == {("persons",)}, query
    # Unfiltered, in ID order, a shared client may list persons.
    body = body_of(api, '{ persons(first: 3, filter: {sourceSystem: "land"}) { nodes { id } } }',
                   headers=shared)
    assert len(body["data"]["persons"]["nodes"]) == 3
    # With the grant and a purpose the same filter works.
    body = body_of(api, f'{{ persons(filter: {{name: "{name}"}}) {{ totalCount }} }}',
                   headers=bearer(keys["personal"], PURPOSE))
    assert body["data"]["persons"]["totalCount"] >= 1


def cursor_values(cursor: str) -> list:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def test_a_staff_cursor_carries_no_name_for_callers_who_may_not_see_names(api, wh, keys):
    agency = wh.execute("""select organization_id from marts.fct_employment
        where valid_from <= current_date and (valid_to is null or valid_to >= current_date)
        group by 1 order by count(*) desc, 1 limit 1""").fetchone()[0]
    query = """query($id: ID!) { organization(id: $id) {
        staff(first: 2) { nodes { id fullName } pageInfo { endCursor } } } }"""
    body = body_of(api, query, {"id": str(agency)}, bearer(keys["shared"]))
    staff = body["data"]["organization"]["staff"]
    order, *values = cursor_values(staff["pageInfo"]["endCursor"])
    assert order == "staff_by_id" and len(values) == 1 and uuid.UUID(values[0])
    names = {n for (n,) in wh.execute("select full_name from marts.fct_employment "
                                      "where organization_id = %s", (agency,))}
    assert not names & set(map(str, values))
    body = body_of(api, query, {"id": str(agency)}, bearer(keys["personal"], PURPOSE))
    staff = body["data"]["organization"]["staff"]
    assert cursor_values(staff["pageInfo"]["endCursor"])[0] == "staff_by_name"
    assert all(node["fullName"] for node in staff["nodes"])


def rounded(count: int) -> int:
    """The nearest multiple of the rounding base."""
    return (count + ROUNDING_BASE // 2) // ROUNDING_BASE * ROUNDING_BASE


def test_small_counts_of_civil_servants_are_suppressed_and_the_others_rounded(api, keys):
    def statistics(group_by: str, headers) -> dict[tuple, dict]:
        rows = body_of(api, f"{{ civilServantStatistics(groupBy: [{group_by}]) {{ agencyCode "
                            f"gradeCode civilServantCount suppressed }} }}",
                       headers=headers)["data"]["civilServantStatistics"]
        return {(group_by, r["agencyCode"], r["gradeCode"]): r for r in rows}

    groupings = ("GRADE", "AGENCY, GRADE")
    exact = {k: r["civilServantCount"] for g in groupings
             for k, r in statistics(g, bearer(keys["personal"], PURPOSE)).items()}
    small = {k for k, n in exact.items() if n < SMALL_COUNT}
    assert small and len(small) < len(exact)
    for headers in (None, bearer(keys["shared"]), bearer(keys["personal"])):
        seen = {k: r for g in groupings for k, r in statistics(g, headers).items()}
        assert seen.keys() == exact.keys()
        for key, row in seen.items():
            if key in small:
                assert (row["civilServantCount"], row["suppressed"]) == (None, True)
            else:
                assert (row["civilServantCount"], row["suppressed"]) == (rounded(exact[key]),
                                                                         False)
    assert any(rounded(n) != n for k, n in exact.items() if k not in small)


def civil_servant_counts(api, day: datetime.date, headers) -> dict[tuple, int | None]:
    """Civil servants in force on ``day``: the province's total, by grade and by agency."""
    data = body_of(api, """query($f: CivilServantFilter) {
        total: civilServantStatistics(groupBy: [], filter: $f) { civilServantCount }
        grades: civilServantStatistics(groupBy: [GRADE], filter: $f) {
            gradeCode civilServantCount }
        agencies: civilServantStatistics(groupBy: [AGENCY], filter: $f) {
            agencyCode civilServantCount } }""", {"f": {"asOf": day.isoformat()}},
                   headers)["data"]
    counts: dict[tuple, int | None] = {("total",): data["total"][0]["civilServantCount"]}
    counts.update({("grade", r["gradeCode"]): r["civilServantCount"] for r in data["grades"]})
    counts.update({("agency", r["agencyCode"]): r["civilServantCount"]
                   for r in data["agencies"]})
    return counts


def test_differences_of_civil_servant_counts_reveal_no_small_count(api, keys):
    """The two subtractions that undid suppression: the province's total minus the grades
    (or agencies) shown gives the suppressed ones; a count on two dates gives who joined
    or left. On every date of the last two years where either gives a small count from
    exact figures, the figures a shared client gets give no such count."""
    exact_headers, shared = bearer(keys["personal"], PURPOSE), bearer(keys["shared"])
    days = [datetime.date.today() - datetime.timedelta(days=10 * k) for k in range(73)]
    exact = {day: civil_servant_counts(api, day, exact_headers) for day in days}
    seen = {day: civil_servant_counts(api, day, shared) for day in days}
    remainders = changes = 0
    for day in days:
        assert seen[day].keys() == exact[day].keys()
        for breakdown in ("grade", "agency"):
            parts = [k for k in exact[day] if k[0] == breakdown]
            hidden = exact[day][("total",)] - sum(
                exact[day][k] for k in parts if seen[day][k] is not None)
            if exact[day][("total",)] < SMALL_COUNT or not 0 < hidden < SMALL_COUNT:
                continue
            remainders += 1
            recovered = seen[day][("total",)] - sum(
                seen[day][k] for k in parts if seen[day][k] is not None)
            assert recovered != hidden, (day, breakdown, hidden)
            assert recovered % ROUNDING_BASE == 0
    for earlier, later in zip(days[1:], days, strict=False):
        for key, count in exact[later].items():
            before = exact[earlier].get(key)
            if before is None or min(before, count) < SMALL_COUNT or \
                    not 0 < abs(count - before) < SMALL_COUNT:
                continue
            changes += 1
            difference = seen[later][key] - seen[earlier][key]
            assert difference != count - before, (earlier, later, key)
            assert difference % ROUNDING_BASE == 0
    assert remainders and changes, (remainders, changes)


def test_revoked_expired_and_unknown_keys_are_refused(api, keys):
    query = "{ adminUnits(first: 1) { totalCount } }"
    for headers, said in (
        (bearer(keys["revoked"]), "revoked"),
        (bearer(keys["expired"]), "expired"),
        (bearer(keys["personal"][:-4] + "AAAA"), "unknown API key"),
        ({"Authorization": "Bearer not-a-key"}, "Authorization: Bearer"),
        ({"Authorization": f"Basic {keys['personal']}"}, "Authorization: Bearer"),
    ):
        response = post(api, query, headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert said in error["message"]


def test_rotating_a_key_stops_the_old_one(deployment, api):
    old = create_client(deployment, "access-rotated", "land:shared")
    output = deployment.kho("clients", "rotate-key", "access-rotated").stdout
    new = re.search(r"^\s+(kho_\S+)$", output, re.MULTILINE).group(1)
    assert post(api, "{ adminUnits(first: 1) { totalCount } }",
                headers=bearer(old)).status_code == 401
    assert post(api, "{ adminUnits(first: 1) { totalCount } }",
                headers=bearer(new)).status_code == 200
    listing = deployment.kho("clients", "list").stdout
    assert re.search(r"access-rotated\s+active", listing)
    assert new.split("_")[1] in listing and old.split("_")[1] not in listing


def test_client_commands_refuse_bad_input(deployment):
    for args, said in (
        (("clients", "create", "x-bad", "--agency", "A", "--grant", "land:secret"),
         "is not a grant"),
        (("clients", "create", "Bad Name", "--agency", "A"), "is not a client name"),
        (("clients", "create", "access-shared", "--agency", "A"), "exists already"),
        (("clients", "revoke", "nobody"), "no client is named"),
        (("clients", "revoke", "access-shared", "--key", "zzzz"), "has no key"),
    ):
        with pytest.raises(AssertionError) as failure:
            deployment.kho(*args)
        assert said in str(failure.value), args


# --- the access log ---------------------------------------------------------------------

def log_rows(wh, condition: str, params=()) -> list[dict]:
    cursor = wh.cursor(row_factory=psycopg.rows.dict_row)
    return cursor.execute(f"select * from api.access_log where {condition} order by entry_id",
                          params).fetchall()


def entries(wh, condition: str, params=(), count: int = 1) -> list[dict]:
    """The entries that meet the condition, once there are ``count`` of them: the server
    writes each entry just after its answer."""
    for _ in range(100):
        rows = log_rows(wh, condition, params)
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} access log entries where {condition} {params}")


def latest_entry(wh, condition: str, params=()) -> dict:
    return entries(wh, condition, params)[-1]


def test_the_log_records_who_saw_whose_personal_data_and_why(api, wh, keys, deployment):
    person_id, number, _, _ = held_person(wh)
    before = wh.execute("select coalesce(max(entry_id), 0) from api.access_log").fetchone()[0]
    query = "query Lookup($n: String!) { personByIdNumber(number: $n) { id fullName } }"
    body = body_of(api, query, {"n": number}, bearer(keys["personal"], PURPOSE))
    assert body["data"]["personByIdNumber"]["id"] == person_id
    [entry] = entries(wh, "entry_id > %s and client_name = 'access-personal'", (before,))
    assert entry["purpose"] == PURPOSE
    assert entry["operation_name"] == "Lookup" and entry["operation_type"] == "query"
    assert entry["outcome"] == "ok" and entry["error_codes"] == []
    assert [str(p) for p in entry["person_ids"]] == [person_id]
    # The number searched for is logged as its HMAC, never as itself.
    assert entry["variables"]["n"].startswith("hmac-sha256:")
    assert number not in json.dumps(entry["variables"])
    assert entry["duration_ms"] > 0 and len(entry["query_hash"]) == 64
    # The same number asked again gives the same HMAC: repeated lookups show.
    body_of(api, query, {"n": number}, bearer(keys["personal"], PURPOSE))
    again = entries(wh, "entry_id > %s and client_name = 'access-personal'", (before,), 2)[-1]
    assert again["variables"]["n"] == entry["variables"]["n"]

    # Refused and anonymous requests are logged too, with their outcome.
    body_of(api, PERSON, {"id": person_id}, bearer(keys["shared"]))
    shared = latest_entry(wh, "entry_id > %s and client_name = 'access-shared'", (before,))
    assert shared["outcome"] == "partial" and "FORBIDDEN" in shared["error_codes"]
    assert shared["person_ids"] == []
    post(api, "{ adminUnits { totalCount } }", headers=bearer(keys["revoked"]))
    refused = latest_entry(wh, "entry_id > %s and outcome = 'unauthenticated'", (before,))
    assert refused["key_id"] == keys["revoked"].split("_")[1]

    # The data protection officer lists who saw the person, when and why.
    officer = bearer(keys["dpo"], "citizen's request under Decree 13, art. 9")
    body = body_of(api, "query($p: ID!) { accessLog(personId: $p) { entryId clientName agency "
                        "purpose outcome } }", {"p": person_id}, officer)
    listed = body["data"]["accessLog"]
    assert [e["entryId"] for e in listed][:2] == [again["entry_id"], entry["entry_id"]]
    assert listed[0]["clientName"] == "access-personal" and listed[0]["purpose"] == PURPOSE
    assert listed[0]["agency"] == "kho tests"
    # Nobody else may read the log, not even a client with every personal grant.
    body = body_of(api, "query($p: ID!) { accessLog(personId: $p) { entryId } }",
                   {"p": person_id}, bearer(keys["personal"], PURPOSE))
    assert body["data"] == {"accessLog": None}
    assert forbidden_paths(body) == {("accessLog",)}


def test_while_the_log_cannot_be_written_personal_data_is_withheld(api, wh, keys, deployment):
    """The API's role loses its right to append; personal answers are withheld from the
    first one on (each waits for its entry), open data still flows, and once the right is
    back the entries kept meanwhile are written and personal data flows again."""
    person_id, *_ = held_person(wh)
    personal = bearer(keys["personal"], PURPOSE)
    query = "query($id: ID!) { person(id: $id) { fullName } }"
    # Answered once first: the requests below come straight from its compiled plan.
    assert body_of(api, query, {"id": person_id}, personal)["data"]["person"]["fullName"]
    time.sleep(4 * LINGER_SECONDS)  # the entries of the tests before have landed
    before = wh.execute("select max(entry_id) from api.access_log").fetchone()[0]
    wh.execute("revoke insert on api.access_log from kho_api")
    try:
        for _ in range(2):  # the first waits for its entry in vain, the second is refused
            body = body_of(api, query, {"id": person_id}, personal)
            assert body["data"] is None
            assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
        assert body_of(api, "{ adminUnits(first: 1) { totalCount } }")["data"]["adminUnits"]
    finally:
        wh.execute("grant insert on api.access_log to kho_api")
    kept = entries(wh, "entry_id > %s and client_name = 'access-personal' and purpose = %s",
                   (before, PURPOSE), 2)
    for withheld in kept[:2]:
        assert withheld["outcome"] == "failed" and withheld["person_ids"] == []
        assert withheld["error_codes"] == ["SERVICE_UNAVAILABLE"]
    for _ in range(40):
        body = body_of(api, query, {"id": person_id}, personal)
        if "errors" not in body:
            break
        time.sleep(0.1)
    assert body["data"]["person"]["fullName"]
    code, said = verify(deployment)
    assert code == 0, said


def api_role_url(deployment) -> str:
    url = deployment.warehouse_url
    return db.parse(url).set(username="kho_api", password=None).render_as_string(
        hide_password=False)


def test_the_api_role_can_append_to_the_log_but_not_alter_it(deployment, api):
    with psycopg.connect(api_role_url(deployment), autocommit=True) as conn:
        assert conn.execute("select count(*) from api.access_log").fetchone()[0] > 0
        for statement in ("update api.access_log set purpose = 'nothing to see'",
                          "delete from api.access_log",
                          "truncate api.access_log",
                          "update api.access_log_head set entry_id = 0",
                          "alter table api.access_log disable trigger append_only",
                          "drop table api.access_log",
                          "select * from raw_land.thua_dat limit 1",
                          "select secret_sha256 from api.api_keys limit 1 for update"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        # What it may do: read the published marts.
        assert conn.execute("select count(*) from marts.dim_land_parcel").fetchone()[0] > 0


def verify(deployment, *options: str) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "kho.cli", "audit", "verify", *options],
        env=deployment.env, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def tamper(wh, statement: str, params=()) -> None:
    """What only the warehouse's owner can do, by first switching off the log's own guard."""
    wh.execute("alter table api.access_log disable trigger user")
    try:
        wh.execute(statement, params)
    finally:
        wh.execute("alter table api.access_log enable trigger user")


def test_audit_verify_names_the_first_edited_or_deleted_entry(deployment, api, wh):
    for _ in range(3):  # a middle entry and a last one, even when this test runs alone
        post(api, "{ adminUnits(first: 1) { totalCount } }")
    time.sleep(LINGER_SECONDS + 0.5)
    code, said = verify(deployment)
    assert code == 0 and "intact" in said, said
    middle, last = (wh.execute(q).fetchone()[0] for q in (
        "select (min(entry_id) + max(entry_id)) / 2 from api.access_log",
        "select max(entry_id) from api.access_log"))
    saved = {n: wh.execute("select * from api.access_log where entry_id = %s", (n,)).fetchone()
             for n in (middle, last)}
    columns = [c.name for c in wh.execute("select * from api.access_log limit 0").description]

    def restore(entry_id: int) -> None:
        tamper(wh, "delete from api.access_log where entry_id = %s", (entry_id,))
        row = [psycopg.types.json.Jsonb(v) if isinstance(v, dict) else v
               for v in saved[entry_id]]
        tamper(wh, f"insert into api.access_log ({', '.join(columns)}) values "
                   f"({', '.join(['%s'] * len(columns))})", row)

    tamper(wh, "update api.access_log set purpose = 'routine check' where entry_id = %s",
           (middle,))
    code, said = verify(deployment)
    assert code == 1 and f"broken at entry {middle}" in said and "altered" in said, said
    restore(middle)
    assert verify(deployment)[0] == 0

    tamper(wh, "delete from api.access_log where entry_id = %s", (middle,))
    code, said = verify(deployment)
    assert code == 1 and f"entry {middle} is missing" in said, said
    restore(middle)
    assert verify(deployment)[0] == 0

    tamper(wh, "delete from api.access_log where entry_id = %s", (last,))
    code, said = verify(deployment)
    assert code == 1 and "deleted from the end" in said, said
    restore(last)
    code, said = verify(deployment)
    assert code == 0, said


# The owner rewrites every hash from an entry onwards, as the trigger would have.
RECHAIN = """
do $$
declare
    entry api.access_log;
    previous text := (select entry_hash from api.access_log where entry_id = %(from)s - 1);
begin
    for entry in select * from api.access_log where entry_id >= %(from)s order by entry_id loop
        entry.previous_hash := previous;
        entry.entry_hash := api.access_log_digest(entry);
        update api.access_log set previous_hash = entry.previous_hash,
            entry_hash = entry.entry_hash where entry_id = entry.entry_id;
        previous := entry.entry_hash;
    end loop;
    update api.access_log_head set entry_hash = previous;
end
$$
"""


def test_heads_recorded_outside_the_warehouse_expose_a_rewritten_or_cut_log(
        deployment, api, wh, tmp_path):
    """What the chain alone cannot show: the owner rewriting the chain from an entry on, or
    deleting the tail and setting the head back. A head recorded elsewhere shows both."""
    for _ in range(3):
        post(api, "{ adminUnits(first: 1) { totalCount } }")
    time.sleep(LINGER_SECONDS + 0.5)  # the entries have landed; nothing else writes now
    anchors = tmp_path / "anchors"
    code, said = verify(deployment, "--anchors", str(anchors), "--record")
    assert code == 1 and "no anchors file" in said, said  # never taken for an empty record
    anchors.touch()
    code, said = verify(deployment, "--anchors", str(anchors), "--record")
    assert code == 0 and "recorded head entry" in said, said
    head_id, head_hash = anchors.read_text().split()[:2]
    head_id = int(head_id)
    assert (head_id, head_hash) == wh.execute(
        "select entry_id, entry_hash from api.access_log_head").fetchone()
    middle = head_id - 2
    wh.execute("drop table if exists pg_temp.saved_log")
    wh.execute("create temporary table saved_log as select * from api.access_log "
               "where entry_id >= %s", (middle,))

    # A purpose edited, and every later hash and the head rewritten to match.
    tamper(wh, "update api.access_log set purpose = 'routine check' where entry_id = %s",
           (middle,))
    tamper(wh, RECHAIN % {"from": middle})
    code, said = verify(deployment)
    assert code == 0, said  # a valid chain again: the database alone cannot tell
    code, said = verify(deployment, "--anchors", str(anchors))
    assert code == 1, said
    assert f"broken at entry {head_id}" in said and "recorded outside" in said, said

    def restore() -> None:
        tamper(wh, "delete from api.access_log where entry_id >= %s", (middle,))
        tamper(wh, "insert into api.access_log select * from saved_log")
        wh.execute("update api.access_log_head set entry_id = %s, entry_hash = %s",
                   (head_id, head_hash))

    restore()
    assert verify(deployment, "--anchors", str(anchors))[0] == 0

    # The last two entries deleted and the head set back to the one before them.
    tamper(wh, "delete from api.access_log where entry_id > %s", (middle,))
    wh.execute("update api.access_log_head set entry_id = entry_id - 2, entry_hash = "
               "(select entry_hash from api.access_log where entry_id = %s)", (middle,))
    assert verify(deployment)[0] == 0
    code, said = verify(deployment, "--anchors", str(anchors))
    assert code == 1 and f"entry {head_id} was recorded outside" in said, said
    restore()
    code, said = verify(deployment, "--anchors", str(anchors), "--record")
    assert code == 0 and "holds all 1 recorded head(s)" in said, said
    assert len(anchors.read_text().splitlines()) == 2

    for text, expected in (("12 not-a-hash\n", "line 1"),
                           (f"# a comment\n{head_id} {'ab' * 32}\n{head_id} {head_hash}\n",
                            "line 3: entry"),
                           (f"0 {'ab' * 32}\n", "not this log's")):
        anchors.write_text(text)
        code, said = verify(deployment, "--anchors", str(anchors))
        assert code == 1 and expected in said, (text, said)
    code, said = verify(deployment, "--record")
    assert code == 1 and "--record needs --anchors" in said, said


# --- rate limits ------------------------------------------------------------------------

def test_past_the_rate_limit_comes_429_with_retry_after(deployment, keys):
    with running_api(deployment, env={"KHO_RATE_LIMIT_ANONYMOUS": "5",
                                      "KHO_RATE_LIMIT_CLIENT": "8"}) as base:
        query = "{ adminUnits(first: 1) { totalCount } }"
        statuses = [post(base, query).status_code for _ in range(7)]
        assert statuses == [200] * 5 + [429] * 2
        refused = post(base, query)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 12
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # A client has its own bucket, at the client limit.
        client = [post(base, query, headers=bearer(keys["shared"])).status_code
                  for _ in range(9)]
        assert client == [200] * 8 + [429]


def redis_available() -> bool:
    try:
        return redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        return False


def test_with_redis_every_worker_shares_one_bucket(deployment):
    if not redis_available():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    database = 1 + uuid.uuid4().int % 15
    redis.Redis(host="127.0.0.1", port=6379, db=database).delete("kho:ratelimit:ip:127.0.0.1")
    with running_api(deployment, workers=2, env={
            "KHO_RATE_LIMIT_ANONYMOUS": "6",
            "KHO_REDIS_URL": f"redis://127.0.0.1:6379/{database}"}) as base:
        # A new connection each time, so that both workers answer some.
        statuses = [post(base, "{ adminUnits(first: 1) { totalCount } }").status_code
                    for _ in range(10)]
    assert statuses == [200] * 6 + [429] * 4


# --- open data --------------------------------------------------------------------------

def test_the_catalogue_lists_every_dataset_with_its_size_and_freshness(api, wh):
    body = body_of(api, "{ datasets { name classification grant licence rowCount "
                        "lastRefreshedAt downloadUrls owningAgency } }")
    datasets = {d["name"]: d for d in body["data"]["datasets"]}
    counts, published = wh.execute("select marts, published_at from kho_meta.publications "
                                    "order by publication_id desc limit 1").fetchone()
    parcels = datasets["land_parcels"]
    assert parcels["classification"] == "OPEN" and parcels["licence"] == "CC BY 4.0"
    assert parcels["rowCount"] == counts["dim_land_parcel"]
    assert parcels["lastRefreshedAt"] == published.isoformat()
    assert parcels["downloadUrls"] == ["/opendata/land_parcels.csv",
                                       "/opendata/land_parcels.geojson"]
    assert datasets["persons"]["classification"] == "PERSONAL"
    assert datasets["persons"]["downloadUrls"] == []
    assert datasets["civil_events"]["grant"] == "civil_registry:personal"
    assert all(d["owningAgency"] for d in datasets.values())


def test_open_datasets_download_as_csv_and_geojson(api, wh):
    with httpx.stream("GET", f"{api}/opendata/land_parcels.csv", timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        text = "".join(response.iter_text())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == wh.execute("select count(*) from marts.dim_land_parcel").fetchone()[0]
    first = wh.execute("select land_parcel_id, area_m2, land_use_code from "
                       "marts.dim_land_parcel order by land_parcel_id limit 1").fetchone()
    assert (rows[0]["land_parcel_id"], float(rows[0]["area_m2"]), rows[0]["land_use_code"]) \
        == (str(first[0]), float(first[1]), first[2])
    assert "holder" not in ",".join(rows[0])

    response = httpx.get(f"{api}/opendata/land_parcels.geojson", timeout=60)
    assert response.status_code == 200
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(rows)
    feature = collection["features"][0]
    assert feature["id"] == str(first[0]) and feature["geometry"]["type"] == "Polygon"
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 4
    # Every feature is its parcel as the warehouse holds it: the boundary's coordinates and
    # the catalogue's columns (PostgreSQL writes the features).
    columns = [c for c in BY_NAME["land_parcels"].columns if c != "boundary_wkt"]
    parcels = {str(row[0]): row for row in wh.execute(
        f"select {', '.join(columns)}, boundary_wkt from marts.dim_land_parcel")}
    for feature in collection["features"]:
        row = parcels[feature["id"]]
        boundary = shapely.from_wkt(row[-1]) if row[-1] else None
        assert feature["geometry"] == (
            json.loads(json.dumps(shapely.geometry.mapping(boundary))) if boundary else None)
        assert list(feature["properties"]) == columns
        for column, value in zip(columns, row, strict=False):
            expected = float(value) if isinstance(value, Decimal) else (
                str(value) if isinstance(value, uuid.UUID) else value)
            assert feature["properties"][column] == expected, column

    enterprises = httpx.get(f"{api}/opendata/enterprises.csv", timeout=60).text
    assert "state_agency" not in enterprises
    for path in ("persons.csv", "civil_events.csv", "enterprises.geojson", "nothing.csv"):
        response = httpx.get(f"{api}/opendata/{path}", timeout=60)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_downloads_and_the_pages_files_go_out_gzipped_to_clients_that_accept_it(api):
    def get(path: str, encoding: str) -> httpx.Response:
        response = httpx.get(f"{api}{path}", headers={"Accept-Encoding": encoding},
                             timeout=60)
        assert response.status_code == 200, (path, response.text[:200])
        return response

    for path in ("/opendata/land_parcels.geojson", "/opendata/land_parcels.csv",
                 "/static/app/map.js"):
        plain, gzipped = get(path, "identity"), get(path, "gzip")
        assert "content-encoding" not in plain.headers
        assert gzipped.headers["content-encoding"] == "gzip"
        assert "accept-encoding" in gzipped.headers["vary"].lower()
        # httpx has undone the gzip: the same bytes, sent in far fewer.
        assert gzipped.content == plain.content
        assert gzipped.num_bytes_downloaded < len(plain.content) / 2, path
    # GraphQL answers are not compressed: their CPU is the API's bottleneck.
    answer = httpx.post(f"{api}/graphql", json={"query": "{ adminUnits(first: 100) "
                        "{ nodes { code name } } }"}, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and len(answer.content) > 1024
    assert "content-encoding" not in answer.headers
    # Downloads are read, never posted to.
    assert httpx.post(f"{api}/opendata/land_parcels.csv").status_code == 405


def test_parcel_downloads_take_the_filter_the_api_takes(api, wh):
    """The planners' map draws from the GeoJSON of a filter and its table asks landParcels
    with the same one: both must name the same parcels."""
    legacy, current, land_use, group, zone = wh.execute(
        "select legacy_commune_code, current_commune_code, mode() within group "
        "(order by land_use_code), mode() within group (order by land_use_group), "
        "mode() within group (order by planning_zone) from marts.dim_land_parcel "
        "group by 1, 2 order by count(*) desc limit 1").fetchone()
    cases = [
        ({"admin_unit": legacy, "generation": "legacy"},
         {"adminUnit": {"code": legacy, "generation": "LEGACY"}}),
        ([("admin_unit", current), ("land_use_code", land_use), ("land_use_code", "XXX"),
          ("area_min_m2", "200"), ("area_max_m2", "5000")],
         {"adminUnit": {"code": current}, "landUseCode": [land_use, "XXX"],
          "areaMinM2": 200, "areaMaxM2": 5000}),
        ({"admin_unit": current, "land_use_group": group, "planning_zone": zone,
          "certificate_issued_from": "2000-01-01", "certificate_issued_to": "2030-12-31"},
         {"adminUnit": {"code": current}, "landUseGroup": group, "planningZone": [zone],
          "certificateIssuedFrom": "2000-01-01", "certificateIssuedTo": "2030-12-31"}),
    ]
    for params, parcel_filter in cases:
        answer = body_of(api, "query($f: LandParcelFilter) { landParcels(filter: $f, "
                              "first: 100) { totalCount nodes { id } } }", {"f": parcel_filter})
        expected = {node["id"] for node in answer["data"]["landParcels"]["nodes"]}
        assert 0 < len(expected) == answer["data"]["landParcels"]["totalCount"] < 100
        features = httpx.get(f"{api}/opendata/land_parcels.geojson", params=params,
                             timeout=60).json()["features"]
        assert {f["id"] for f in features} == expected
        rows = csv.DictReader(io.StringIO(httpx.get(f"{api}/opendata/land_parcels.csv",
                                                    params=params, timeout=60).text))
        assert {row["land_parcel_id"] for row in rows} == expected

    for path, params, status, code in [
        ("land_parcels.geojson", {"admin_unit": "99999"}, 404, "NOT_FOUND"),
        ("land_parcels.geojson", {"commune": legacy}, 400, "BAD_USER_INPUT"),
        ("land_parcels.csv", {"area_min_m2": "many"}, 400, "BAD_USER_INPUT"),
        ("land_parcels.csv", {"area_min_m2": "9", "area_max_m2": "1"}, 400, "BAD_USER_INPUT"),
        ("land_parcels.csv", {"generation": "legacy"}, 400, "BAD_USER_INPUT"),
        ("land_parcels.csv", {"area_max_m2": "nan"}, 400, "BAD_USER_INPUT"),
        ("land_parcels.csv", {"certificate_issued_from": "01/02/2003"}, 400, "BAD_USER_INPUT"),
        ("land_parcels.csv", [("admin_unit", current), ("admin_unit", legacy)], 400,
         "BAD_USER_INPUT"),
        ("enterprises.csv", {"admin_unit": current}, 400, "BAD_USER_INPUT"),
    ]:
        response = httpx.get(f"{api}/opendata/{path}", params=params, timeout=60)
        assert response.status_code == status, (path, params, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == code

    # Downloads are logged with what they asked for, refused ones too.
    time.sleep(LINGER_SECONDS + 0.5)
    logged = wh.execute(
        "select outcome, error_codes, variables from api.access_log where operation_type = "
        "'download land_parcels.csv' and variables @> %s order by entry_id",
        (psycopg.types.json.Jsonb({"area_max_m2": ["nan"]}),)).fetchall()
    assert logged and logged[-1][:2] == ("failed", ["BAD_USER_INPUT"])
    assert wh.execute(
        "select count(*) from api.access_log where operation_type = "
        "'download land_parcels.geojson' and outcome = 'ok' and variables @> %s",
        (psycopg.types.json.Jsonb({"planning_zone": [zone]}),)).fetchone()[0] > 0


def test_downloads_write_only_the_properties_asked_for(api, wh):
    """``properties`` narrows what a download writes of each row (the key always kept) and
    ``skip_geometry`` leaves GeoJSON's geometries out; the rows are those of the filter
    either way, and a name or value the download does not have is refused."""
    commune, land_use = wh.execute(
        "select current_commune_code, mode() within group (order by land_use_code) from "
        "marts.dim_land_parcel group by 1 order by count(*) desc limit 1").fetchone()
    expected = dict(wh.execute(
        "select land_parcel_id::text, parcel_number from marts.dim_land_parcel where "
        "current_commune_code = %s and land_use_code = %s", (commune, land_use)).fetchall())
    assert expected
    url = f"{api}/opendata/land_parcels"
    chosen = [("admin_unit", commune), ("land_use_code", land_use)]

    features = httpx.get(f"{url}.geojson", params=[*chosen, ("properties", ""),
                                                   ("skip_geometry", "true")],
                         timeout=60).json()["features"]
    assert {f["id"] for f in features} == set(expected)
    assert all(f["geometry"] is None and f["properties"] == {} for f in features)

    features = httpx.get(f"{url}.geojson", params=[
        *chosen, ("properties", "parcel_number,area_m2"), ("properties", "parcel_number")],
        timeout=60).json()["features"]
    assert {f["id"]: f["properties"]["parcel_number"] for f in features} == expected
    assert all(set(f["properties"]) == {"area_m2", "parcel_number"}
               and f["geometry"]["type"] == "Polygon" for f in features)

    rows = list(csv.reader(io.StringIO(httpx.get(
        f"{url}.csv", params=[*chosen, ("properties", "parcel_number")], timeout=60).text)))
    assert rows[0] == ["land_parcel_id", "parcel_number"]
    assert {row[0]: int(row[1]) for row in rows[1:]} == expected

    for path, params in [
        ("land_parcels.geojson", [*chosen, ("properties", "boundary_wkt")]),
        ("land_parcels.csv", [*chosen, ("properties", "owner_name")]),
        ("land_parcels.csv", [*chosen, ("skip_geometry", "true")]),
        ("land_parcels.geojson", [*chosen, ("skip_geometry", "yes")]),
        ("land_parcels.geojson", [*chosen, ("skip_geometry", "true"),
                                  ("skip_geometry", "false")]),
        ("enterprises.csv", [("properties", "land_parcel_id")]),
    ]:
        response = httpx.get(f"{api}/opendata/{path}", params=params, timeout=60)
        assert response.status_code == 400, (path, params, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    header = httpx.get(f"{api}/opendata/enterprises.csv",
                       params={"properties": "organization_name"},
                       timeout=60).text.splitlines()[0]
    assert header.split(",") == ["organization_id", "organization_name"]


REVIEWS = """{ personLinkReviews(first: 500) { reviewId identityKey reason matchProbability
               record { personId fullNames birthDates records }
               candidate { personId fullNames birthDates } } }"""


def test_stewards_read_the_review_queue_and_nobody_else(api, wh, keys):
    cases = {str(r[0]): r[1:] for r in wh.execute(
        "select review_id, identity_key, reason, record_person_id, candidate_person_id "
        "from marts.review_person_links").fetchall()}
    planted = {f"id_card:{cmnd}" for cmnd in CONTESTING_CMNDS}
    assert planted <= {identity for identity, *_ in cases.values()}
    before = wh.execute("select coalesce(max(entry_id), 0) from api.access_log").fetchone()[0]
    body = body_of(api, REVIEWS, headers=bearer(keys["steward"], "weekly review of links"))
    listed = body["data"]["personLinkReviews"]
    assert {case["reviewId"]: case["identityKey"] for case in listed} == {
        review_id: identity for review_id, (identity, *_) in cases.items()}
    for case in listed:
        if case["identityKey"] in planted:
            assert case["reason"] == "anchor_claimed_twice"
            # Both sides give the same name and birth date: a steward sees why.
            assert set(case["record"]["fullNames"]) <= set(case["candidate"]["fullNames"])
            assert set(case["record"]["birthDates"]) <= set(case["candidate"]["birthDates"])
    # The read is logged under the persons of both sides.
    entry = latest_entry(wh, "entry_id > %s and client_name = 'access-steward'", (before,))
    logged = {str(p) for p in entry["person_ids"]}
    assert logged == {str(p) for _, _, *persons in cases.values() for p in persons if p}
    # Personal grants on every dataset are not the steward's; nor is the officer's.
    for key in ("personal", "dpo"):
        body = body_of(api, REVIEWS, headers=bearer(keys[key], PURPOSE))
        assert body["data"] == {"personLinkReviews": None}
        assert forbidden_paths(body) == {("personLinkReviews",)}
    body = body_of(api, REVIEWS)
    assert body["data"] == {"personLinkReviews": None}

