"""`kho sources advance` against real databases: it changes exactly what its log says.

Uses the PostgreSQL server at 127.0.0.1:5432 directly (skipped only where none runs).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import psycopg
import pytest

from kho import db
from kho.settings import SOURCES
from simulated_sources.changes import advance
from simulated_sources.noise import HELD_OUT_KINDS, NoiseSettings
from simulated_sources.seed import describe, seed
from simulated_sources.systems import TABLES
from tests.conftest import LOCAL_SERVER, local_server_available


class Sources:
    def __init__(self):
        self.prefix = f"kho_test_{uuid.uuid4().hex[:8]}"
        self.urls = {s: db.with_database(LOCAL_SERVER, f"{self.prefix}_src_{s}")
                     for s in SOURCES}
        self.truth = db.with_database(LOCAL_SERVER, f"{self.prefix}_ground_truth")

    def seed(self, scale: int, seed_value: int, settings: NoiseSettings | None = None):
        return seed(scale, seed_value, self.urls, self.truth, settings=settings)

    def advance(self, days: int):
        return advance(days, self.urls, self.truth)

    def snapshot(self) -> dict[str, dict[str, tuple]]:
        tables = {}
        for table in TABLES:
            with db.connect(self.urls[table.source]) as conn:
                rows = conn.execute(
                    f"select {', '.join(table.column_names)} from {table.name}").fetchall()
            tables[table.name] = {str(r[table.key_index]): r for r in rows}
        return tables

    def truth_rows(self, query: str, params=()) -> list[tuple]:
        with db.connect(self.truth) as conn:
            return conn.execute(query, params).fetchall()

    def drop(self):
        for url in [*self.urls.values(), self.truth]:
            db.drop_database(url)


@pytest.fixture
def sources():
    if not local_server_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    created = Sources()
    yield created
    created.drop()


def test_advance_changes_exactly_what_its_log_says(sources):
    sources.seed(8_000, 21)
    before = sources.snapshot()
    report = sources.advance(30)
    after = sources.snapshot()
    start = datetime(2026, 1, 2)
    end = datetime(2026, 1, 31) + timedelta(days=1)
    assert report.world_date.isoformat() == "2026-01-31"
    for kind in ("birth", "death", "marriage", "transfer", "status_change"):
        assert report.events.get(kind, 0) > 0, report.events

    logged = {op: set() for op in ("insert", "update", "delete")}
    for table_name, key, operation in sources.truth_rows(
            "select table_name, record_key, operation from changes"):
        logged[operation].add((table_name, key))
    observed = {op: set() for op in ("insert", "update", "delete")}
    for table in TABLES:
        old, new = before[table.name], after[table.name]
        watermark = table.column_names.index(table.updated_column)
        for key in new.keys() - old.keys():
            observed["insert"].add((table.name, key))
        for key in old.keys() - new.keys():
            observed["delete"].add((table.name, key))
        for key in new.keys() & old.keys():
            if new[key] != old[key]:
                observed["update"].add((table.name, key))
                assert start <= new[key][watermark] < end, (table.name, key)
            else:
                assert new[key][watermark] < start
        for key in new.keys() - old.keys():
            assert start <= new[key][watermark] < end, (table.name, key)
    # A row inserted and then updated within the window counts as an insert.
    assert observed["insert"] == logged["insert"]
    assert observed["delete"] == logged["delete"]
    assert observed["update"] == logged["update"] - logged["insert"]
    assert {t for t, _ in observed["update"]} >= {"quyen_su_dung", "giay_chung_nhan"}
    assert {t for t, _ in observed["delete"]} == {"khai_sinh"}  # cancelled duplicates

    # Newborns carry IDs for 2026 (century digit 2 or 3, year 26) and the truth knows them.
    births = [after["khai_sinh"][k] for t, k in observed["insert"] if t == "khai_sinh"]
    assert births
    for row in births:
        if re.fullmatch(r"\d{12}", row[1]):
            assert row[1][:3] == "080" and row[1][3] in "23" and row[1][4:6] == "26"
    known = {r[0] for r in sources.truth_rows("select personal_id from persons")}
    assert {r[1] for r in births if re.fullmatch(r"\d{12}", r[1])} <= known


def test_corrections_restore_the_clean_value_and_leave_the_truth_in_step(sources):
    sources.seed(8_000, 22)
    sources.advance(30)
    corrected = sources.truth_rows(
        "select source, table_name, record_key, column_name, clean_value from source_defects "
        "where corrected_on is not null")
    assert corrected
    tables = {t.name: t for t in TABLES}
    for source, table_name, key, column, clean in corrected:
        table = tables[table_name]
        with db.connect(sources.urls[source]) as conn:
            value = conn.execute(
                f"select {column}::text from {table_name} where {table.primary_key}::text = %s",
                (key,)).fetchone()[0]
        assert value == clean or float(value) == float(clean), (table_name, key, column)
    # Every source row still has its truth, including rows inserted by advance.
    for table in TABLES:
        with db.connect(sources.urls[table.source]) as conn:
            keys = {str(r[0]) for r in conn.execute(
                f"select {table.primary_key} from {table.name}").fetchall()}
        truth = {r[0] for r in sources.truth_rows(
            "select distinct record_key from source_records where table_name = %s",
            (table.name,))}
        assert keys == truth, table.name


def test_advancing_in_steps_equals_advancing_at_once(sources):
    other = Sources()
    try:
        sources.seed(2_500, 9)
        other.seed(2_500, 9)
        sources.advance(4)
        sources.advance(6)
        other.advance(10)
        assert sources.snapshot() == other.snapshot()
        info = sources.truth_rows("select world_date, days_advanced from seed_info")
        assert info == other.truth_rows("select world_date, days_advanced from seed_info")
        assert info[0][1] == 10
    finally:
        other.drop()


def test_advance_refuses_unseeded_sources(sources):
    with pytest.raises(RuntimeError, match="not been seeded"):
        sources.advance(1)


def test_seeding_is_deterministic_in_the_databases(sources):
    sources.seed(1_500, 4)
    first = sources.snapshot()
    first_truth = sources.truth_rows("select * from source_noise order by 1, 2, 3, 4, 5")
    sources.seed(1_500, 4)
    assert sources.snapshot() == first
    assert sources.truth_rows("select * from source_noise order by 1, 2, 3, 4, 5") == first_truth
    with pytest.raises(psycopg.errors.UndefinedTable), db.connect(sources.urls["land"]) as conn:
        conn.execute("select * from source_noise")  # the truth is not in the sources


def test_data_entry_errors_reach_the_truth_and_describe_reports_them(sources):
    land_only = {"id_of_spouse", "id_document_type_mismatch", "name_honorific"}
    # Only names with such a family name or syllable can show these: on every one of them.
    name_bound = {"name_regional_variant", "name_i_instead_of_y"}
    entry_errors = ("id_grouped_digits", "id_lost_leading_zero", "id_transposed_digits",
                    "name_typo", "name_middle_dropped", "name_invisible_characters",
                    "date_off_by_one_day", *land_only, *HELD_OUT_KINDS)
    sources.seed(1_500, 5, NoiseSettings().with_rates(
        {k: 1.0 if k in name_bound else 0.2 for k in entry_errors}))
    rates = describe(sources.urls, sources.truth).rates
    for kind in entry_errors:
        shown = {source for source, kinds in rates.items() if kind in kinds}
        expected = {"land"} if kind in land_only else set(SOURCES)
        # Few of the 1,500 persons' civil servants bear such a name.
        assert expected >= shown >= expected - ({"cadre"} if kind in name_bound else set()), \
            kind
        assert all(0 < rates[source][kind] < 1 for source in shown), kind
