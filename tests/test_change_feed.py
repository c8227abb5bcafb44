"""The change feed on a real deployment: seeded and published (a snapshot), then 300 days of
the province's changes advanced and published again; the events against the ground truth
and against the marts themselves, and what `changes` shows each caller over HTTP."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from kho import db
from tests.conftest import (
    bearer,
    create_client,
    graphql,
    make_deployment,
    running_api,
    teardown_deployment,
)

SCALE = "1500"
DAYS = "300"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = make_deployment("server", tmp_path_factory.mktemp("change-feed"))
    try:
        deployment.kho("sources", "seed", "--scale", SCALE, "--seed", "5")
        deployment.kho("materialize")
        deployment.first_publication = published(deployment)
        deployment.kho("sources", "advance", "--days", DAYS)
        deployment.kho("materialize")
        yield deployment
    finally:
        teardown_deployment(deployment)


def published(deployment) -> int:
    with psycopg.connect(deployment.warehouse_url) as conn:
        return conn.execute("select max(publication_id) from kho_meta.publications"
                            ).fetchone()[0]


def rows(deployment, query: str, params=()) -> list[tuple]:
    with psycopg.connect(deployment.warehouse_url) as conn:
        return conn.execute(query, params).fetchall()


def truth(deployment, query: str, params=()) -> list[tuple]:
    url = deployment.warehouse_url
    with db.connect(db.with_database(url, f"{db.database_name(url)}_ground_truth")) as conn:
        return conn.execute(query, params).fetchall()


def test_the_first_publication_is_a_snapshot_without_events(deployment):
    first = deployment.first_publication
    assert rows(deployment, "select snapshot, events, note like 'first publication%%' "
                "from changes.publications where publication_id = %s", (first,)) == \
        [(True, 0, True)]
    assert rows(deployment, "select count(*) from changes.events where publication_id = %s",
                (first,)) == [(0,)]


def test_the_second_publication_records_the_births_deaths_and_transfers(deployment):
    second = published(deployment)
    [(snapshot, events, first, last)] = rows(
        deployment, "select snapshot, events, first_cursor, last_cursor "
        "from changes.publications where publication_id = %s", (second,))
    assert not snapshot and events > 0 and last - first + 1 >= events
    world_date = truth(deployment, "select seeded_world_date from seed_info")[0][0]
    born = {r[0] for r in truth(deployment, "select personal_id from persons "
                                "where birth_date > %s", (world_date,))}
    died = {r[0] for r in truth(deployment, "select personal_id from persons "
                                "where death_date > %s", (world_date,))}
    assert born and died
    created = {r[0] for r in rows(deployment, """
        select payload ->> 'personalIdNumber' from changes.events
        where publication_id = %s and entity_type = 'person' and kind = 'created'""",
                                  (second,))}
    assert born <= created
    # A death: the person's isDeceased turns true (or they were born and died meanwhile).
    deceased = {r[0] for r in rows(deployment, """
        select p.personal_id_number from changes.events e
        join marts.dim_person p on p.person_id::text = e.master_id
        where e.publication_id = %s and e.entity_type = 'person'
            and (e.payload -> 'isDeceased')::boolean
            and (e.kind = 'created' or (e.kind = 'updated'
                 and 'isDeceased' = any(e.changed_attributes)
                 and not (e.previous -> 'isDeceased')::boolean))""", (second,))}
    assert died <= deceased
    transfers = truth(deployment, "select count(distinct record_key) from changes "
                      "where event = 'transfer' and table_name = 'bien_dong'")[0][0]
    land_right_events = rows(deployment, "select kind, count(*) from changes.events "
                             "where publication_id = %s and entity_type = 'land_right' "
                             "group by kind", (second,))
    assert transfers > 0 and dict(land_right_events).get("created", 0) > 0


def test_events_are_exactly_the_difference_between_the_two_publications(deployment):
    """Each person's events applied to the outgoing marts give the incoming ones."""
    second = published(deployment)
    old = {r[0]: r[1] for r in rows(deployment, """
        select person_id::text, jsonb_build_object('fullName', full_name, 'isDeceased',
               is_deceased, 'deathDate', death_date, 'mentionCount', mention_count)
        from marts_previous.dim_person""")}
    new = {r[0]: r[1] for r in rows(deployment, """
        select person_id::text, jsonb_build_object('fullName', full_name, 'isDeceased',
               is_deceased, 'deathDate', death_date, 'mentionCount', mention_count)
        from marts.dim_person""")}
    state = {k: dict(v) for k, v in old.items()}
    for master_id, kind, payload in rows(deployment, """
            select master_id, kind, payload from changes.events
            where publication_id = %s and entity_type = 'person' order by cursor""",
                                         (second,)):
        if kind == "created":
            assert master_id not in state
            state[master_id] = {k: payload[k] for k in new[master_id]}
        elif kind == "updated":
            state[master_id].update({k: v for k, v in payload.items()
                                     if k in state[master_id]})
        elif kind in ("retired", "merged_into"):
            del state[master_id]
    assert state == new


def test_merges_agree_with_the_master_id_registry(deployment):
    second = published(deployment)
    merges = rows(deployment, """
        select e.master_id, e.related_id, i.status, i.merged_into::text
        from changes.events e join master_data.person_ids i on i.id::text = e.master_id
        where e.publication_id = %s and e.kind = 'merged_into'""", (second,))
    for _, related, status, merged_into in merges:
        assert status == "merged"
        assert merged_into == related or rows(
            deployment, "select 1 from master_data.person_ids where id = %s "
            "and merged_into::text = %s", (related, merged_into))


# --- changes over HTTP ----------------------------------------------------------------------

FEED = """query Feed($after: String, $types: [ChangeEntityType!], $first: Int!) {
  changes(after: $after, types: $types, first: $first) {
    events { cursor publicationId entityType masterId kind relatedId changedAttributes
             attributes previous }
    endCursor hasNextPage latestCursor
  }
}"""
PURPOSE = "đối soát dữ liệu"


@pytest.fixture(scope="module")
def api(deployment):
    with running_api(deployment) as base:
        yield base


@pytest.fixture(scope="module")
def keys(deployment):
    return {
        "full": create_client(deployment, "feed-full", "land:personal", "enterprise:personal",
                              "civil_registry:personal", "cadre:personal"),
        "shared": create_client(deployment, "feed-shared", "land:shared",
                                "civil_registry:shared"),
    }


def read_feed(api, headers=None, types=None, first=100, after=None) -> list[dict]:
    """Every event the caller sees, page by page."""
    events, seen_ends = [], set()
    while True:
        answer = graphql(api, FEED, {"after": after, "types": types, "first": first},
                         headers)
        assert "errors" not in answer, answer
        page = answer["data"]["changes"]
        events += page["events"]
        assert page["endCursor"] not in seen_ends
        seen_ends.add(page["endCursor"])
        after = page["endCursor"]
        if not page["hasNextPage"]:
            return events


def test_a_caller_with_personal_grants_and_a_purpose_reads_the_whole_feed(deployment, api, keys):
    events = read_feed(api, bearer(keys["full"], PURPOSE), first=37)
    stored = rows(deployment, "select cursor, master_id, kind, changed_attributes, payload "
                  "from changes.events order by cursor")
    assert [(int(e["cursor"]), e["masterId"], e["kind"].lower(), e["changedAttributes"],
             e["attributes"]) for e in events] == [tuple(r) for r in stored]
    # Every personal read is logged under the person it showed.
    shown = {e["masterId"] for e in events if e["entityType"] == "PERSON"
             and {"fullName", "birthDate", "isDeceased"} & set(e["attributes"])}
    logged = {str(p) for (p,) in rows(
        deployment, "select distinct unnest(person_ids) from api.access_log "
        "where client_name = 'feed-full' and operation_name = 'Feed'")}
    assert shown and shown <= logged


def test_without_a_personal_grant_personal_attributes_are_withheld(deployment, api, keys):
    events = read_feed(api, bearer(keys["shared"], PURPOSE))
    persons = [e for e in events if e["entityType"] == "PERSON"]
    assert persons
    personal = {"fullName", "sex", "birthDate", "birthDatePrecision", "isDeceased",
                "deathDate", "birthCommune", "birthLegacyCommune"}
    for event in events:
        assert not personal & set(event["attributes"]), event
        assert not personal & set(event["changedAttributes"]), event
        assert "holderName" not in event["attributes"] and "fullName" not in event["attributes"]
        if event["kind"] == "UPDATED":
            assert event["changedAttributes"], event
    # The ID numbers show masked, as on the record.
    numbers = [e["attributes"]["personalIdNumber"] for e in persons
               if e["attributes"].get("personalIdNumber")]
    assert numbers and all("*" in n and len(n) == 12 for n in numbers)
    # No cadre or enterprise grant: no employment or role events at all.
    assert not {e["entityType"] for e in events} & {"EMPLOYMENT", "ENTERPRISE_ROLE"}
    # A person's update is shown iff something besides personal attributes changed.
    shown = {e["cursor"] for e in persons if e["kind"] == "UPDATED"}
    updates = rows(deployment, "select cursor::text, changed_attributes from changes.events "
                   "where entity_type = 'person' and kind = 'updated' and not "
                   "changed_attributes && array['personalIdNumber', 'idCardNumber']")
    assert {cursor for cursor, changed in updates if set(changed) - personal} == \
        shown - {e["cursor"] for e in persons if {"personalIdNumber", "idCardNumber"}
                 & set(e["changedAttributes"])}


def test_a_personal_grant_without_a_purpose_shows_no_personal_attribute(api, keys):
    events = read_feed(api, bearer(keys["full"]), types=["PERSON", "EMPLOYMENT"])
    assert events
    for event in events:
        assert not {"fullName", "birthDate", "salaryCoefficient"} & set(event["attributes"])


def test_anonymous_callers_see_open_records_only(api):
    events = read_feed(api, types=None)
    assert events and {e["entityType"] for e in events} <= {
        "LAND_PARCEL", "ORGANIZATION", "ADMIN_UNIT"}
    asked = graphql(api, FEED, {"types": ["PERSON"], "first": 10})["data"]["changes"]
    assert asked["events"] == [] and not asked["hasNextPage"]


def test_the_feed_pages_by_type_from_any_cursor(deployment, api, keys):
    headers = bearer(keys["full"], PURPOSE)
    land = read_feed(api, headers, types=["LAND_RIGHT", "LAND_PARCEL"], first=7)
    assert land == [e for e in read_feed(api, headers)
                    if e["entityType"] in ("LAND_RIGHT", "LAND_PARCEL")]
    middle = land[len(land) // 2]["cursor"]
    assert read_feed(api, headers, types=["LAND_RIGHT", "LAND_PARCEL"], after=middle) == \
        land[len(land) // 2 + 1:]


@pytest.mark.parametrize("after, first", [("-1", 10), ("abc", 10), ("1" * 40, 10),
                                           (None, 0), (None, 1001)])
def test_a_bad_cursor_or_page_size_is_refused_with_a_code(api, after, first):
    answer = graphql(api, FEED, {"after": after, "first": first})
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer


def test_the_catalogue_and_the_downloads_say_the_cursor_they_were_taken_at(deployment, api):
    latest = str(rows(deployment, "select max(cursor) from changes.events")[0][0])
    catalogue = graphql(api, "{ datasets { name changeCursor } }")["data"]["datasets"]
    assert {d["changeCursor"] for d in catalogue} == {latest}
    download = httpx.get(f"{api}/opendata/land_parcels.csv", timeout=60)
    assert download.status_code == 200 and download.headers["Kho-Change-Cursor"] == latest
