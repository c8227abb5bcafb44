"""The master-ID history on its own: publications of hand-made xref marts fed to
``record_master_ids`` one after another on a real PostgreSQL, and the events, statuses and
redirects each must leave. (test_master_data.py covers the same through whole pipeline runs;
this covers every kind of event in seconds.)"""

from __future__ import annotations

import uuid

import pytest

from kho import db, migrations
from pipelines.master_data.ids import MassRetirement, record_master_ids, resolve
from tests.conftest import make_deployment, teardown_deployment

A, B, C = (str(uuid.uuid5(uuid.NAMESPACE_URL, name)) for name in "ABC")


@pytest.fixture(scope="module", params=["embedded", "server"])
def deployment(request, tmp_path_factory):
    deployment = make_deployment(request.param, tmp_path_factory.mktemp(request.param))
    yield deployment
    teardown_deployment(deployment)


@pytest.fixture
def warehouse(deployment):
    """A scratch database on the deployment's warehouse server, migrated, with the marts
    the ID map reads."""
    server = deployment.warehouse_url
    url = db.with_database(server, f"{db.database_name(server)}_ids_{uuid.uuid4().hex[:8]}")
    db.ensure_database(url)
    migrations.upgrade(url)
    with db.connect(url, autocommit=True) as conn:
        conn.execute("create schema marts")
        for entity in ("person", "organization"):
            conn.execute(f"""create table marts.xref_{entity} (
                {entity}_id uuid, source_system text, source_table text,
                source_record_key text, role text, identity_key text, anchor_key text,
                match_rule text)""")
    yield url
    db.drop_database(url)


def publish(url: str, records: dict[str, str]) -> dict[str, int]:
    """A publication in which record key -> person ID; returns the person figures."""
    with db.connect(url) as conn:
        conn.execute("truncate marts.xref_person")
        with conn.cursor().copy("copy marts.xref_person (person_id, source_system, "
                                "source_table, source_record_key, role, identity_key, "
                                "anchor_key, match_rule) from stdin") as copy:
            for key, person_id in records.items():
                copy.write_row((person_id, "land", "chu_su_dung", key, "holder",
                                f"id_card:{key}", f"anchor:{person_id}", "id_card_number"))
        conn.commit()
    return record_master_ids(url)["person"]


def events(url: str) -> list[tuple]:
    with db.connect(url) as conn:
        return conn.execute("select event, id::text, other_id::text, records "
                            "from master_data.person_id_events order by event_id").fetchall()


def statuses(url: str) -> dict[str, tuple]:
    with db.connect(url) as conn:
        return {row[0]: row[1:] for row in conn.execute(
            "select id::text, status, merged_into::text from master_data.person_ids")}


def test_every_kind_of_event_and_where_old_ids_lead(warehouse):
    first = publish(warehouse, {"1": A, "2": A, "3": B})
    assert first["new_ids"] == 2 and events(warehouse) == []
    # The same publication again changes nothing and writes nothing.
    again = publish(warehouse, {"1": A, "2": A, "3": B})
    assert again["new_ids"] == again["records_mapped"] == 0 and events(warehouse) == []

    # B's only record goes to A: B is merged into A.
    publish(warehouse, {"1": A, "2": A, "3": A})
    assert events(warehouse)[-1] == ("merged", B, A, 1)
    assert statuses(warehouse)[B] == ("merged", A)
    assert resolve(warehouse, "person", B) == (A, "merged")

    # Record 2 leaves A, which lives on, for a new master C: a split.
    publish(warehouse, {"1": A, "2": C, "3": A})
    assert events(warehouse)[-1] == ("split", A, C, 1)
    # Record 3 goes from A to C, which exists already: a move.
    publish(warehouse, {"1": A, "2": C, "3": C})
    assert events(warehouse)[-1] == ("moved", A, C, 1)

    # A's last record goes to C: A is merged into C, and B, merged into A before, now
    # leads straight to C (chains are shortened).
    publish(warehouse, {"1": C, "2": C, "3": C})
    assert events(warehouse)[-1] == ("merged", A, C, 1)
    assert statuses(warehouse)[A] == ("merged", C)
    assert statuses(warehouse)[B] == ("merged", C)
    assert resolve(warehouse, "person", B) == (C, "merged")

    # B's record comes back on its own: B is reinstated (and record 3 moved from C to it).
    publish(warehouse, {"1": C, "2": C, "3": B})
    assert ("reinstated", B, None, 0) in events(warehouse)
    assert statuses(warehouse)[B] == ("active", None)

    # Record 3 is deleted in its source: B, left with no record, is retired.
    publish(warehouse, {"1": C, "2": C})
    assert events(warehouse)[-1] == ("retired", B, None, 0)
    assert resolve(warehouse, "person", B) == (B, "retired")
    # An ID never published resolves to nothing.
    assert resolve(warehouse, "person", str(uuid.uuid4())) is None


def test_a_publication_that_would_retire_most_ids_is_refused(warehouse):
    people = {str(n): str(uuid.uuid5(uuid.NAMESPACE_URL, str(n))) for n in range(500)}
    publish(warehouse, people)
    with pytest.raises(MassRetirement, match="refusing to retire 400 of 500"):
        publish(warehouse, dict(list(people.items())[:100]))
    assert {status for status, _ in statuses(warehouse).values()} == {"active"}
    assert events(warehouse) == []


def test_a_published_link_is_kept_and_a_broken_one_forgotten(warehouse):
    with db.connect(warehouse) as conn:
        conn.execute("insert into marts.xref_person values (%s, 'land', 'chu_su_dung', '9', "
                     "'holder', 'id_card:301234567', 'personal_id:080123456789', "
                     "'id_card_linked_by_name_and_birth_year')", (A,))
        conn.commit()
    figures = record_master_ids(warehouse)["person"]
    assert figures["links_new_or_changed"] == 1
    with db.connect(warehouse) as conn:
        assert conn.execute("select identity_key, anchor_key, evidence "
                            "from master_data.person_links").fetchall() == [
            ("id_card:301234567", "personal_id:080123456789", "name_and_birth_year")]
    publish(warehouse, {"9": B})  # the link is gone from the publication
    with db.connect(warehouse) as conn:
        assert conn.execute("select count(*) from master_data.person_links").fetchone() == (0,)
