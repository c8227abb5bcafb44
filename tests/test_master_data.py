"""Master data on a real warehouse: entity resolution held to the simulator's ground truth,
and master IDs that stay put across a re-run, a rebuild from raw data and `kho sources
advance`, with a merge that keeps the old ID resolving to the survivor.

The tests run in file order on one deployment: first those that only read the first build
(Dagster checks, planted conflicts and deceased-but-active cases), then a re-run, a rebuild
from raw data, and one run after the sources advance with a merge planted in the land
register (two tests read that run).
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

import psycopg
import pytest
from dagster import DagsterEventType, DagsterInstance
from psycopg import sql

from kho.settings import DBT_PROJECT_DIR
from kho.warehouse import ground_truth_url
from pipelines.dbt.project import DBT_SCHEMAS
from pipelines.master_data.ids import resolve
from tests.conftest import Deployment, make_deployment, person_id, teardown_deployment

SCALE = "1500"
SEED = "14"
ADVANCE_DAYS = "60"  # at this scale, enough for a handful of births, deaths and marriages
# Where each source table states a person's birth date, and the role the record names.
BIRTH_DATE_COLUMNS = {
    "khai_sinh": ("ngay_sinh", "subject"),
    "chu_su_dung": ("ngay_sinh", "holder"),
    "ho_so_can_bo": ("ngay_sinh", "subject"),
    "enterprises": ("legal_rep_dob", "legal_representative"),
    "household_businesses": ("owner_dob", "owner"),
}
# The role in which a dq_deceased_still_active record names its person, in the ground truth.
CASE_ROLES = {"qua_trinh_cong_tac": "subject", "enterprises": "legal_representative",
              "household_businesses": "owner", "quyen_su_dung": "holder"}

Record = tuple[str, str, str]  # (source table, record key, role)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    # The embedded warehouse only: what is tested here is SQL (dbt models, the ID map) that
    # runs the same on any PostgreSQL, and test_warehouse and test_end_to_end build these
    # models on both warehouses. A second deployment would add four runs of the whole
    # pipeline (about four minutes on two cores) and test nothing new.
    deployment = make_deployment("embedded", tmp_path_factory.mktemp("embedded"))
    # Default noise, except that every death the registers were never told of stays on
    # record and more birth dates are a day off: at this scale the default rates plant only
    # one or two such cases.
    deployment.kho("sources", "seed", "--scale", SCALE, "--seed", SEED,
                   "--noise", "deceased_still_active=1", "--noise", "date_off_by_one_day=0.02")
    deployment.first_run = deployment.kho("materialize").stdout
    deployment.url = deployment.warehouse_url
    yield deployment
    teardown_deployment(deployment)


def query(deployment: Deployment, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(deployment.url) as conn:
        return conn.execute(statement, params or None).fetchall()


def truth(deployment: Deployment, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(ground_truth_url(deployment.url)) as conn:
        return conn.execute(statement, params or None).fetchall()


def xref(deployment: Deployment, entity: str) -> dict[Record, str]:
    """Every source record's master ID, as published."""
    return {(table, key, role): str(master) for table, key, role, master in query(
        deployment, f"select source_table, source_record_key, role, {entity}_id "
                    f"from marts.xref_{entity}")}


def id_map(deployment: Deployment, entity: str) -> dict[Record, str]:
    return {(table, key, role): str(master) for table, key, role, master in query(
        deployment, f"select source_table, source_record_key, role, id "
                    f"from master_data.{entity}_id_map")}


def match_rules(deployment: Deployment) -> dict[Record, str]:
    return {(table, key, role): rule for table, key, role, rule in query(
        deployment, "select source_table, source_record_key, role, match_rule "
                    "from marts.xref_person")}


def truth_persons_of_records(deployment: Deployment) -> dict[Record, int]:
    """The person each source record describes, per the ground truth."""
    return {(table, key, role): person_no for table, key, role, person_no in truth(
        deployment, "select table_name, record_key, role, entity_no from source_records "
                    "where entity_kind = 'person'")}


def agencies() -> dict[str, tuple[str, str]]:
    with open(DBT_PROJECT_DIR / "seeds" / "source_agencies.csv", newline="") as f:
        return {row["source_system"]: (row["agency_name_vi"], row["agency_name_en"])
                for row in csv.DictReader(f)}


def test_the_master_id_checks_pass_on_what_was_published(deployment):
    assert "materialized master_data/master_ids" in deployment.first_run
    assert "check WARNING master_data/master_ids" not in deployment.first_run
    run_id = re.search(r"\(run ([0-9a-f-]{36})\)", deployment.first_run).group(1)
    with DagsterInstance.from_config(str(deployment.home / "dagster")) as instance:
        records = instance.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000).records
    evaluations = {
        e.check_name: e for e in (r.event_log_entry.dagster_event.event_specific_data
                                  for r in records)
        if e.asset_key.to_user_string() == "master_data/master_ids"}
    assert set(evaluations) == {"cluster_sizes", "share_matched_per_source"}
    assert all(e.passed for e in evaluations.values())

    # What the checks measured is what the published xref holds.
    sizes = evaluations["cluster_sizes"].metadata
    (largest,) = query(deployment, "select max(n) from (select count(*) as n "
                                   "from marts.xref_person group by person_id) s")[0]
    assert sizes["largest_master"].value == largest <= sizes["limit"].value
    shares = evaluations["share_matched_per_source"].metadata
    linked = query(deployment, """
        select source_system, avg((match_rule like 'id_card_linked%')::int)::float
        from marts.xref_person where identity_key like 'id_card:%' group by 1""")
    assert {s for s, _ in linked} == {"land", "enterprise", "cadre"}
    for source, share in linked:
        assert shares[f"{source}_cmnd_records_linked"].value == round(share, 4) >= 0.5


def test_planted_birth_date_conflicts_are_found(deployment):
    noted = truth(deployment, """
        select n.table_name, n.record_key, r.role, n.kind, p.birth_date
        from source_noise n
        join source_records r using (source, table_name, record_key)
        join persons p on r.entity_kind = 'person' and p.person_no = r.entity_no
        where n.kind in ('date_day_month_swapped', 'date_year_only', 'date_off_by_one_day',
                         'date_year_digit_mistyped')
          and (n.table_name, n.column_name, r.role) in (
              select * from unnest(%s::text[], %s::text[], %s::text[]))
    """, (list(BIRTH_DATE_COLUMNS), [c for c, _ in BIRTH_DATE_COLUMNS.values()],
          [r for _, r in BIRTH_DATE_COLUMNS.values()]))
    masters = {(table, key, role): (birth_date, precision)
               for table, key, role, birth_date, precision in query(deployment, """
        select x.source_table, x.source_record_key, x.role, p.birth_date, p.birth_date_precision
        from marts.xref_person x join marts.dim_person p using (person_id)""")}
    conflicts = {(table, key, role): (stated, master, system, vi, en)
                 for table, key, role, stated, master, system, vi, en in query(deployment, """
        select source_table, source_record_key, role, stated_value, master_value,
               source_system, owning_agency_vi, owning_agency_en
        from marts.dq_person_conflicts where attribute = 'birth_date'""")}
    owners = agencies()

    # A record with day and month swapped, or a day off, disagrees with a master that knows
    # the true date.
    wrong = {(table, key, role): (kind, true_date)
             for table, key, role, kind, true_date in noted
             if kind in ("date_day_month_swapped", "date_off_by_one_day")}
    found = 0
    for record, (kind, true_date) in wrong.items():
        if masters.get(record) != (true_date, "day"):
            continue  # quarantined, or the master itself took the wrong date
        assert record in conflicts, record
        stated, master, system, *agency = conflicts[record]
        stated = date.fromisoformat(stated)
        assert master == true_date.isoformat(), record
        if kind == "date_day_month_swapped":
            assert stated == date(true_date.year, true_date.day, true_date.month), record
        else:
            assert abs((stated - true_date).days) == 1, record
        assert tuple(agency) == owners[system], record
        found += 1
    assert found >= 5

    # Every conflict is a planted error: on the record itself, or on a record of the same
    # master, from the source the master's date came from, that states that date (a swapped
    # birth registration makes every other record of the person disagree with it).
    origins = defaultdict(set)
    for *record, origin_table, origin_key, origin_role in query(deployment, """
        select c.source_table, c.source_record_key, c.role,
               x.source_table, x.source_record_key, x.role
        from marts.dq_person_conflicts c
        join marts.xref_person x
          on x.person_id = c.person_id and x.source_system = c.master_source_system
        join intermediate.int_persons__mentions m
          on m.person_mention_id = x.person_mention_id
         and m.birth_date = c.master_value::date
        where c.attribute = 'birth_date'"""):
        origins[tuple(record)].add((origin_table, origin_key, origin_role))
    noisy = {(table, key, role) for table, key, role, _, _ in noted}
    unexplained = [record for record in conflicts
                   if record not in noisy and not noisy & origins[record]]
    assert conflicts and not unexplained, unexplained


def test_planted_deceased_still_active_cases_are_found(deployment):
    records = truth_persons_of_records(deployment)
    deaths = dict(truth(deployment, "select person_no, death_date from persons "
                                    "where death_date is not null"))
    persons = xref(deployment, "person")
    death_registrations = defaultdict(set)  # person -> master IDs of their loaded khai_tu
    for record, person_no in records.items():
        if record[0] == "khai_tu" and record in persons:
            death_registrations[person_no].add(persons[record])
    cases = {(kind, table, key): (person_id, death_date, vi, en)
             for kind, table, key, person_id, death_date, vi, en in query(deployment, """
        select case_kind, source_table, source_record_key, person_id::text, death_date,
               owning_agency_vi, owning_agency_en
        from marts.dq_deceased_still_active""")}
    owners = agencies()

    # Planted: an assignment left open after the death, a legal representative of an
    # enterprise that is not dissolved; the civil registry's death record was loaded.
    planted = truth(deployment, """
        select n.table_name, n.record_key, r.entity_no
        from source_noise n
        join source_records r using (source, table_name, record_key)
        where n.kind = 'deceased_still_active' and r.entity_kind = 'person'
          and (n.table_name, n.column_name, r.role) in (
              ('qua_trinh_cong_tac', 'den_ngay', 'subject'),
              ('enterprises', 'legal_rep_id_no', 'legal_representative'))""")
    kinds = {"qua_trinh_cong_tac": ("still_employed", "cadre"),
             "enterprises": ("still_legal_representative", "enterprise")}
    quarantined = set(query(deployment,
                            "select table_name, record_key from quarantine.open_rows"))
    expected = [(table, key, person_no) for table, key, person_no in planted
                if person_no in death_registrations and (table, key) not in quarantined]
    assert {table for table, _, _ in expected} == set(kinds)
    for table, key, person_no in expected:
        kind, system = kinds[table]
        assert (kind, table, key) in cases, (kind, table, key)
        person_id, death_date, *agency = cases[(kind, table, key)]
        assert {person_id} == death_registrations[person_no], (table, key)
        assert death_date == deaths[person_no]
        assert tuple(agency) == owners[system]

    # Nobody alive is reported dead, and each case names the person its record is about.
    for (kind, table, key), (person_id, *_) in cases.items():
        person_no = records[(table, key, CASE_ROLES[table])]
        assert person_no in deaths, (kind, table, key)
        assert person_id in death_registrations[person_no], (kind, table, key)


def assert_no_id_history(deployment: Deployment) -> None:
    for entity in ("person", "organization"):
        assert query(deployment, f"select status, count(*) from master_data.{entity}_ids "
                                 f"where status <> 'active' group by 1") == []
        assert query(deployment, f"select count(*) from master_data.{entity}_id_events"
                     ) == [(0,)]


def test_a_rerun_keeps_every_id(deployment):
    persons, organizations = xref(deployment, "person"), xref(deployment, "organization")
    output = deployment.kho("materialize").stdout
    assert "materialized master_data/master_ids" in output
    assert xref(deployment, "person") == persons
    assert xref(deployment, "organization") == organizations
    assert id_map(deployment, "person") == persons
    assert id_map(deployment, "organization") == organizations
    assert_no_id_history(deployment)


def test_a_rebuild_from_raw_gives_the_same_ids(deployment):
    persons, organizations = xref(deployment, "person"), xref(deployment, "organization")
    with psycopg.connect(deployment.url) as conn:
        for schema in DBT_SCHEMAS:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(schema)))
    assert query(deployment, "select count(*) from pg_namespace where nspname = 'marts'"
                 ) == [(0,)]
    output = deployment.kho("materialize").stdout
    assert "materialized marts/published" in output
    assert xref(deployment, "person") == persons
    assert xref(deployment, "organization") == organizations
    assert_no_id_history(deployment)


@dataclass
class CmndOnlyPerson:
    personal_id: str
    cmnd: str
    records: list[Record]  # every record of theirs in the warehouse, all by the CMND
    land_user_key: str = ""  # the land register's new record of them


@dataclass
class AdvancedRun:
    mapped: dict[Record, str]  # the person ID map before
    last_event: int
    person: CmndOnlyPerson
    published: dict[Record, str]  # xref_person after


def cmnd_only_person(deployment: Deployment) -> CmndOnlyPerson:
    """Someone the warehouse knows only by a CMND (every record of theirs is published and
    none is linked to a personal ID), whose CMND records state the full birth date, and
    whose name and birth date nobody else has: a record by their personal ID will leave
    one candidate with the best evidence."""
    rules = match_rules(deployment)
    records_of: dict[int, list[Record]] = defaultdict(list)
    tables = {table for table, _, _ in rules}
    for record, person_no in truth_persons_of_records(deployment).items():
        if record[0] in tables:
            records_of[person_no].append(record)
    known_days = dict(query(deployment, "select identity_key, birth_days "
                                        "from intermediate.int_persons__identity_groups "
                                        "where identity_kind = 'id_card'"))
    for person_no, pid, cmnd, birth_date, namesakes in truth(deployment, """
            select person_no, personal_id, cmnd, birth_date, namesakes
            from (select *, count(*) over (partition by lower(full_name), birth_date)
                            as namesakes
                  from persons) p
            where cmnd is not null and death_date is null
            order by person_no"""):
        records = records_of[person_no]
        if namesakes == 1 and records \
                and all(rules.get(r) == "id_card_number" for r in records) \
                and birth_date in (known_days.get(f"id_card:{cmnd}") or []):
            return CmndOnlyPerson(pid, cmnd, records)
    raise AssertionError("the generator planted no one known only by a CMND")


@pytest.fixture(scope="module")
def advanced(deployment) -> AdvancedRun:
    """One run after the sources advance, with a merge planted beside the advance: the land
    office registers someone it knew only by a CMND again, by the 12-digit personal ID."""
    mapped = id_map(deployment, "person")
    (last_event,) = query(deployment, "select coalesce(max(event_id), 0) "
                                      "from master_data.person_id_events")[0]
    deployment.kho("sources", "advance", "--days", ADVANCE_DAYS)
    person = cmnd_only_person(deployment)
    ((name, sex, birth_date),) = truth(deployment, "select full_name, sex, birth_date "
                                                   "from persons where personal_id = %s",
                                       (person.personal_id,))
    with psycopg.connect(deployment.source_url("land")) as land:
        (person.land_user_key,) = land.execute("""
            insert into chu_su_dung (id, loai_chu, ho_ten, loai_giay_to, so_giay_to, ngay_sinh,
                                     gioi_tinh, dia_chi, ngay_cap_nhat)
            select max(id) + 1, 'CN', %s, 'CCCD', %s, %s, %s, 'Ấp 3, Xã An Thạnh', now()
            from chu_su_dung
            returning id::text
        """, (name, person.personal_id, birth_date.strftime("%d/%m/%Y"),
              "Nam" if sex == "M" else "Nữ")).fetchone()
    output = deployment.kho("materialize").stdout
    assert "materialized master_data/master_ids" in output
    return AdvancedRun(mapped, last_event, person, xref(deployment, "person"))


def test_ids_survive_an_advance_of_the_sources(deployment, advanced):
    mapped, published = advanced.mapped, advanced.published
    # A record kept its master unless the ID history says where it went and why.
    kept = mapped.keys() & published.keys()
    changed = Counter((mapped[k], published[k]) for k in kept if mapped[k] != published[k])
    explained: Counter = Counter()
    for event, old, new, n in query(deployment, """
            select event, id::text, other_id::text, records from master_data.person_id_events
            where event_id > %s""", (advanced.last_event,)):
        assert event in ("merged", "split", "moved", "retired"), event
        if event == "retired":
            # A master whose every record the advance deleted (a cancelled duplicate birth
            # registration that alone named someone, by a mistyped parent's ID, say).
            assert not any(k in published for k, v in mapped.items() if v == old), old
            continue
        explained[(old, new)] += n
    assert changed == explained
    # Default noise: besides the planted merge, new records rarely bring the evidence that
    # re-links an old one.
    assert len(advanced.person.records) <= sum(changed.values()) <= len(kept) // 100

    # New records (births, marriages, deaths, rows corrected out of quarantine) get IDs.
    new = published.keys() - mapped.keys()
    assert len(new) > 1
    remapped = id_map(deployment, "person")
    assert {k: remapped[k] for k in new} == {k: published[k] for k in new}
    assert len(remapped) == len(mapped) + len(new)
    statuses = dict(query(deployment, "select id::text, status from master_data.person_ids "
                                      "where id = any(%s::uuid[])",
                          ([published[k] for k in new],)))
    assert statuses == {published[k]: "active" for k in new}


def test_a_merge_keeps_the_old_id_resolvable(deployment, advanced):
    person = advanced.person
    old_id = person_id(deployment.warehouse_url, f"id_card:{person.cmnd}")
    new_id = person_id(deployment.warehouse_url, person.personal_id)
    assert {advanced.mapped[r] for r in person.records} == {old_id}

    (link,) = query(deployment, """
        select anchor_key, evidence, outcome, is_accepted, match_score, candidate_rank
        from intermediate.int_persons__links where identity_key = %s and is_accepted""",
                    (f"id_card:{person.cmnd}",))
    assert link[:4] == (f"personal_id:{person.personal_id}", "name_and_birth_date", "linked",
                        True)
    assert link[4] >= 0.95 and link[5] == 1
    assert {advanced.published[r] for r in person.records} == {new_id}
    assert advanced.published[("chu_su_dung", person.land_user_key, "holder")] == new_id
    rules = match_rules(deployment)
    assert {rules[r] for r in person.records} == {"id_card_linked_by_name_and_birth_date"}

    # The old ID now names the survivor; whoever stored it still reaches the person.
    assert query(deployment, "select status, merged_into::text from master_data.person_ids "
                             "where id = %s", (old_id,)) == [("merged", new_id)]
    assert query(deployment, "select status from master_data.person_ids where id = %s",
                 (new_id,)) == [("active",)]
    assert query(deployment, "select event, records from master_data.person_id_events "
                             "where id = %s and other_id = %s", (old_id, new_id)
                 ) == [("merged", len(person.records))]
    assert resolve(deployment.url, "person", old_id) == (new_id, "merged")
    assert resolve(deployment.url, "person", new_id) == (new_id, "active")
    mapped = id_map(deployment, "person")
    assert {mapped[r] for r in person.records} == {new_id}
