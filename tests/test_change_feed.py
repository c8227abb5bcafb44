"""The change feed on a real deployment: seeded and published (a snapshot), then 300 days of
the province's changes advanced and published again; the events against the ground truth
and against the marts themselves, and what `changes` shows each caller over HTTP."""

from __future__ import annotations

import psycopg
import pytest

from kho import db
from tests.conftest import make_deployment, teardown_deployment

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
