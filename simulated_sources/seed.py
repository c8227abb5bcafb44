"""Writing the simulated systems into their databases, and the truth beside them.

Each source gets its own database (PostgreSQL or MariaDB/MySQL, any SQLAlchemy URL). The
ground truth goes to a separate database that the pipelines never read: what each source
row describes, the noise applied to it, its defect, and the log of `advance` changes.
Rows stream from the renderers straight into ``COPY`` (PostgreSQL) or batched multi-row
inserts (MySQL), so memory stays flat whatever the scale.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import psycopg
import sqlalchemy as sa

from kho import db
from kho.settings import SOURCES
from simulated_sources.noise import NoiseSettings
from simulated_sources.population import Province, generate
from simulated_sources.systems import Record, Renderer, SourceTable, tables_of

MYSQL_BATCH = 5_000

GROUND_TRUTH_DDL = (
    """create table seed_info (
        seed integer not null, scale integer not null, seeded_world_date date not null,
        world_date date not null, days_advanced integer not null default 0,
        noise jsonb not null, seeded_at timestamptz not null default now())""",
    """create table persons (
        person_no integer primary key, personal_id varchar(12) not null unique, cmnd varchar(9),
        full_name text not null, sex char(1) not null, birth_date date not null,
        death_date date, home_commune varchar(5) not null, father_no integer,
        mother_no integer)""",
    """create table organizations (
        org_no integer primary key, kind text not null, code text not null unique,
        name text not null, commune varchar(5) not null, representative_no integer,
        parent_no integer, status text not null)""",
    """create table parcels (
        parcel_no integer primary key, commune varchar(5) not null, map_sheet integer not null,
        parcel_number integer not null, unique (commune, map_sheet, parcel_number))""",
    # What each source row describes: one row per (record, role, entity).
    """create table source_records (
        source text not null, table_name text not null, record_key text not null,
        role text not null, entity_kind text not null, entity_no integer not null)""",
    # Valid-but-messy values, one row per (record, column, kind).
    """create table source_noise (
        source text not null, table_name text not null, record_key text not null,
        column_name text not null, kind text not null)""",
    # Rows that break their contract, with the value they should have had.
    """create table source_defects (
        source text not null, table_name text not null, record_key text not null,
        column_name text not null, defect text not null, clean_value text,
        introduced_on date not null, corrected_on date,
        primary key (source, table_name, record_key))""",
    # Every change `kho sources advance` made, row by row.
    """create table changes (
        change_no bigserial primary key, day date not null, source text not null,
        table_name text not null, record_key text not null, operation text not null,
        event text not null)""",
)

GROUND_TRUTH_INDEXES = (
    "create index on source_records (source, table_name, record_key)",
    "create index on source_records (entity_kind, entity_no)",
    "create index on source_noise (source, table_name, record_key)",
)


@dataclass(frozen=True)
class SeedReport:
    rows: dict[tuple[str, str], int]
    seconds: float
    generate_seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def table_rng(seed: int, table: SourceTable) -> random.Random:
    return random.Random(f"{seed}:{table.source}.{table.name}")


def render_table(province: Province, table: SourceTable,
                 settings: NoiseSettings) -> Iterator[Record]:
    """Every row of one source table, as seeding writes it."""
    return table.render(Renderer(province, table, settings, table_rng(province.seed, table)))


class TruthWriter:
    """Streams truth links, noise notes and defects of records into the ground truth."""

    def __init__(self, url: str):
        self._connections = [psycopg.connect(db.libpq_url(url)) for _ in range(3)]

    @contextlib.contextmanager
    def table(self, table: SourceTable, day: date) -> Iterator[Callable[[Record], None]]:
        links_conn, noise_conn, defects_conn = self._connections
        with links_conn.cursor().copy("copy source_records from stdin") as links, \
                noise_conn.cursor().copy("copy source_noise from stdin") as noise, \
                defects_conn.cursor().copy(
                    "copy source_defects (source, table_name, record_key, column_name, defect, "
                    "clean_value, introduced_on) from stdin") as defects:
            source, name, key_index = table.source, table.name, table.key_index

            def write(record: Record) -> None:
                key = str(record.row[key_index])
                for link in record.links:
                    links.write_row((source, name, key, *link))
                for column, kind in record.noise:
                    noise.write_row((source, name, key, column, kind))
                if record.defect is not None:
                    defects.write_row((source, name, key, *record.defect, day))

            yield write

    def commit(self) -> None:
        for conn in self._connections:
            conn.commit()

    def close(self) -> None:
        for conn in self._connections:
            conn.close()


def _write_postgres(url: str, tables: Iterable[SourceTable], province: Province,
                    settings: NoiseSettings, truth: TruthWriter, counts: dict) -> None:
    with db.connect(url) as conn:
        for table in tables:
            conn.execute(f"drop table if exists {table.name} cascade")
            conn.execute(table.ddl("postgresql"))
            columns = ", ".join(table.column_names)
            n = 0
            with conn.cursor().copy(f"copy {table.name} ({columns}) from stdin") as copy, \
                    truth.table(table, province.world_date) as write_truth:
                for record in render_table(province, table, settings):
                    copy.write_row(record.row)
                    write_truth(record)
                    n += 1
            counts[(table.source, table.name)] = n


def insert_statement(table: SourceTable) -> sa.TextClause:
    return sa.text(
        f"insert into {table.name} ({', '.join(table.column_names)}) values "
        f"({', '.join(':' + c for c in table.column_names)})"
    )


def _write_mysql(url: str, tables: Iterable[SourceTable], province: Province,
                 settings: NoiseSettings, truth: TruthWriter, counts: dict) -> None:
    engine = db.create_engine(url)
    try:
        with engine.begin() as conn:
            for table in tables:
                conn.execute(sa.text(f"drop table if exists {table.name}"))
                conn.execute(sa.text(table.ddl("mysql")))
                insert = insert_statement(table)
                batch: list[dict] = []
                n = 0
                with truth.table(table, province.world_date) as write_truth:
                    for record in render_table(province, table, settings):
                        batch.append(dict(zip(table.column_names, record.row, strict=True)))
                        write_truth(record)
                        n += 1
                        if len(batch) >= MYSQL_BATCH:
                            conn.execute(insert, batch)
                            batch.clear()
                    if batch:
                        conn.execute(insert, batch)
                counts[(table.source, table.name)] = n
    finally:
        engine.dispose()


def _create_ground_truth(url: str, province: Province, settings: NoiseSettings) -> None:
    db.drop_database(url)
    db.ensure_database(url)
    with db.connect(url) as conn:
        for ddl in GROUND_TRUTH_DDL:
            conn.execute(ddl)
        write_entities(conn, province, persons=province.persons,
                       organizations=province.organizations, parcels=province.parcels)


def write_entities(conn: psycopg.Connection, province: Province, *, persons=(),
                   organizations=(), parcels=()) -> None:
    """The true entities, for scoring; `advance` adds the ones it creates."""
    cur = conn.cursor()
    with cur.copy("copy persons from stdin") as copy:
        for p in persons:
            copy.write_row((p.person_no, p.personal_id, p.cmnd, p.full_name, p.sex,
                            p.birth_date, p.death_date, p.home_commune, p.father_no,
                            p.mother_no))
    with cur.copy("copy organizations from stdin") as copy:
        for o in organizations:
            copy.write_row((o.org_no, o.kind, o.code, o.name, o.commune, o.representative_no,
                            o.parent_no, o.status))
    with cur.copy("copy parcels from stdin") as copy:
        for parcel in parcels:
            copy.write_row((parcel.parcel_no, parcel.commune, parcel.map_sheet,
                            parcel.parcel_number))


SEED_WORKERS = max(1, min(4, os.cpu_count() or 1))
_FORKED: tuple | None = None


def _write_source(job: tuple[str, str]) -> dict[tuple[str, str], int]:
    """In a forked worker: one source's tables and their ground truth."""
    assert _FORKED is not None
    province, settings, ground_truth_url, progress = _FORKED
    source, url = job
    progress(f"writing {source} to {db.redact(url)}")
    db.ensure_database(url)
    writer = _write_mysql if db.backend(url) == "mysql" else _write_postgres
    truth = TruthWriter(ground_truth_url)
    counts: dict[tuple[str, str], int] = {}
    try:
        writer(url, tables_of(source), province, settings, truth, counts)
        truth.commit()
    finally:
        truth.close()
    return counts


def seed(scale: int, seed_value: int, source_urls: dict[str, str], ground_truth_url: str,
         progress: Callable[[str], None] = lambda _: None,
         settings: NoiseSettings | None = None) -> SeedReport:
    """Generate the province and (re)write every source and the ground truth."""
    settings = settings or NoiseSettings()
    started = time.perf_counter()
    progress(f"generating a province of {scale:,} persons (seed {seed_value})")
    province = generate(scale, seed_value, settings.deceased_still_active)
    generated = time.perf_counter()
    _create_ground_truth(ground_truth_url, province, settings)
    jobs = [(source, source_urls[source]) for source in SOURCES]
    # Sources render and load in parallel worker processes forked after generation, so
    # they share the generated province instead of pickling it; each writes its own slice
    # of the ground truth.
    global _FORKED
    _FORKED = (province, settings, ground_truth_url, progress)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(len(jobs), SEED_WORKERS)) as pool:
            counts: dict[tuple[str, str], int] = {}
            for written in pool.imap_unordered(_write_source, jobs):
                counts.update(written)
            # The workers finish and exit by themselves. Leaving the block terminates them
            # with SIGTERM, which a process started with SIGTERM ignored (as some job
            # runners start theirs) never obeys: the seed then waited forever to join it.
            pool.close()
            pool.join()
    finally:
        _FORKED = None
    counts = {(t.source, t.name): counts[(t.source, t.name)]
              for source in SOURCES for t in tables_of(source)}
    progress("indexing the ground truth")
    with db.connect(ground_truth_url) as conn:
        for ddl in GROUND_TRUTH_INDEXES:
            conn.execute(ddl)
        # Written last: a seed interrupted before this point (killed, a source server
        # gone) leaves no seed_info, so ensure_seeded seeds again instead of trusting
        # sources that were left half written.
        conn.execute(
            "insert into seed_info (seed, scale, seeded_world_date, world_date, noise) "
            "values (%s, %s, %s, %s, %s)",
            (province.seed, province.scale, province.world_date, province.world_date,
             json.dumps(settings.as_dict())))
    return SeedReport(rows=counts, seconds=time.perf_counter() - started,
                      generate_seconds=generated - started)


# -- describing what is there -------------------------------------------------------------------

@dataclass(frozen=True)
class Description:
    counts: dict[tuple[str, str], int | None]
    seed_info: dict | None
    # Per source: noise kind (or "defect:<kind>") -> share of the rows of the source's
    # tables that show that kind.
    rates: dict[str, dict[str, float]]


def source_counts(source_urls: dict[str, str]) -> dict[tuple[str, str], int | None]:
    counts: dict[tuple[str, str], int | None] = {}
    for source in SOURCES:
        url = source_urls[source]
        try:
            engine = db.create_engine(url)
            with engine.connect() as conn:
                existing = set(sa.inspect(conn).get_table_names())
                for table in tables_of(source):
                    counts[(source, table.name)] = conn.execute(
                        sa.text(f"select count(*) from {table.name}")
                    ).scalar_one() if table.name in existing else None
            engine.dispose()
        except sa.exc.OperationalError:
            for table in tables_of(source):
                counts[(source, table.name)] = None
    return counts


def read_seed_info(ground_truth_url: str) -> dict | None:
    try:
        with db.connect(ground_truth_url) as conn:
            conn.row_factory = psycopg.rows.dict_row
            return conn.execute("select * from seed_info").fetchone()
    except psycopg.Error:
        return None


def describe(source_urls: dict[str, str], ground_truth_url: str) -> Description:
    """Row counts per source table, and the observed noise and defect rates per source."""
    counts = source_counts(source_urls)
    info = read_seed_info(ground_truth_url)
    rates: dict[str, dict[str, float]] = {}
    if info is not None:
        with db.connect(ground_truth_url) as conn:
            observed = conn.execute(
                "select source, table_name, kind, count(distinct record_key) "
                "from source_noise group by 1, 2, 3 "
                "union all "
                "select source, table_name, 'defect:' || defect, count(*) from source_defects "
                "where corrected_on is null group by 1, 2, 3").fetchall()
        # A rate is over the rows of the tables that can show that kind at all.
        records: dict[tuple[str, str], int] = {}
        tables_with: dict[tuple[str, str], set[str]] = {}
        for source, table, kind, n in observed:
            records[(source, kind)] = records.get((source, kind), 0) + n
            tables_with.setdefault((source, kind), set()).add(table)
        for (source, kind), n in sorted(records.items()):
            total = sum(counts.get((source, t)) or 0 for t in tables_with[(source, kind)])
            rates.setdefault(source, {})[kind] = n / total if total else 0.0
    return Description(counts=counts, seed_info=info, rates=rates)


def ensure_seeded(scale: int, seed_value: int, source_urls: dict[str, str],
                  ground_truth_url: str, settings: NoiseSettings | None = None) -> bool:
    """Seed unless the sources already hold this scale, unadvanced (benchmarks keep their
    sources between runs). Seeds in a forked child, so the caller's peak memory stays its
    own. Returns whether it seeded."""
    import multiprocessing

    info = read_seed_info(ground_truth_url)
    if info and info["scale"] == scale and not info["days_advanced"]:
        return False
    child = multiprocessing.get_context("fork").Process(
        target=seed, args=(scale, seed_value, source_urls, ground_truth_url),
        kwargs={"settings": settings or NoiseSettings()})
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"seeding {scale:,} persons failed (exit code {child.exitcode})")
    return True
