"""Writing the simulated systems into their databases, and the truth beside them.

Each source gets its own database (PostgreSQL or MariaDB/MySQL, any SQLAlchemy URL). The
ground truth goes to a separate database that the pipelines never read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from kho import db
from kho.settings import SOURCES
from simulated_sources.population import Province, generate
from simulated_sources.systems import SourceTable, tables_of

MYSQL_BATCH = 5_000

GROUND_TRUTH_DDL = (
    """create table seed_info (
        seed integer not null, scale integer not null, world_date date not null,
        seeded_at timestamptz not null default now())""",
    """create table persons (
        person_no integer primary key, personal_id varchar(12) not null unique, cmnd varchar(9),
        full_name text not null, sex char(1) not null, birth_date date not null,
        death_date date, home_commune varchar(5) not null)""",
    """create table organizations (
        org_no integer primary key, kind text not null, code text not null unique,
        name text not null, commune varchar(5) not null, representative_no integer)""",
    """create table parcels (
        parcel_no integer primary key, commune varchar(5) not null, map_sheet integer not null,
        parcel_number integer not null, unique (commune, map_sheet, parcel_number))""",
    """create table source_records (
        source text not null, table_name text not null, record_key text not null,
        role text not null, entity_kind text not null, entity_no integer not null,
        primary key (source, table_name, record_key, role, entity_kind, entity_no))""",
)


@dataclass(frozen=True)
class SeedReport:
    rows: dict[tuple[str, str], int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def table_rng(seed: int, table: SourceTable) -> random.Random:
    return random.Random(f"{seed}:{table.source}.{table.name}")


def _write_postgres(url: str, tables: Iterable[SourceTable], province: Province,
                    truth: list[tuple], counts: dict) -> None:
    with db.connect(url) as conn:
        for table in tables:
            conn.execute(f"drop table if exists {table.name} cascade")
            conn.execute(table.ddl("postgresql"))
            key_index = table.column_names.index(table.primary_key)
            n = 0
            columns = ", ".join(table.column_names)
            with conn.cursor().copy(f"copy {table.name} ({columns}) from stdin") as copy:
                for row, links in table.render(province, table_rng(province.seed, table)):
                    copy.write_row(row)
                    n += 1
                    key = str(row[key_index])
                    truth.extend((table.source, table.name, key, *link) for link in links)
            counts[(table.source, table.name)] = n


def _write_mysql(url: str, tables: Iterable[SourceTable], province: Province,
                 truth: list[tuple], counts: dict) -> None:
    engine = db.create_engine(url)
    try:
        with engine.begin() as conn:
            for table in tables:
                conn.execute(sa.text(f"drop table if exists {table.name}"))
                conn.execute(sa.text(table.ddl("mysql")))
                key_index = table.column_names.index(table.primary_key)
                insert = sa.text(
                    f"insert into {table.name} ({', '.join(table.column_names)}) values "
                    f"({', '.join(':' + c for c in table.column_names)})"
                )
                batch: list[dict] = []
                n = 0
                for row, links in table.render(province, table_rng(province.seed, table)):
                    batch.append(dict(zip(table.column_names, row, strict=True)))
                    truth.extend((table.source, table.name, str(row[key_index]), *link)
                                 for link in links)
                    n += 1
                    if len(batch) >= MYSQL_BATCH:
                        conn.execute(insert, batch)
                        batch.clear()
                if batch:
                    conn.execute(insert, batch)
                counts[(table.source, table.name)] = n
    finally:
        engine.dispose()


def _write_ground_truth(url: str, province: Province, truth: list[tuple]) -> None:
    db.drop_database(url)
    db.ensure_database(url)
    with db.connect(url) as conn:
        for ddl in GROUND_TRUTH_DDL:
            conn.execute(ddl)
        conn.execute("insert into seed_info (seed, scale, world_date) values (%s, %s, %s)",
                     (province.seed, province.scale, province.world_date))
        cur = conn.cursor()
        with cur.copy("copy persons from stdin") as copy:
            for p in province.persons:
                copy.write_row((p.person_no, p.personal_id, p.cmnd, p.full_name, p.sex,
                                p.birth_date, p.death_date, p.home_commune))
        with cur.copy("copy organizations from stdin") as copy:
            for o in province.organizations:
                copy.write_row((o.org_no, o.kind, o.code, o.name, o.commune, o.representative_no))
        with cur.copy("copy parcels from stdin") as copy:
            for parcel in province.parcels:
                copy.write_row((parcel.parcel_no, parcel.commune, parcel.map_sheet,
                                parcel.parcel_number))
        with cur.copy("copy source_records from stdin") as copy:
            for record in truth:
                copy.write_row(record)


def seed(scale: int, seed_value: int, source_urls: dict[str, str], ground_truth_url: str,
         progress: Callable[[str], None] = lambda _: None) -> SeedReport:
    """Generate the province and (re)write every source and the ground truth."""
    started = time.perf_counter()
    progress(f"generating a province of {scale:,} persons (seed {seed_value})")
    province = generate(scale, seed_value)
    truth: list[tuple] = []
    counts: dict[tuple[str, str], int] = {}
    for source in SOURCES:
        url = source_urls[source]
        progress(f"writing {source} to {db.redact(url)}")
        db.ensure_database(url)
        writer = _write_mysql if db.backend(url) == "mysql" else _write_postgres
        writer(url, tables_of(source), province, truth, counts)
    progress("writing the ground truth")
    _write_ground_truth(ground_truth_url, province, truth)
    return SeedReport(rows=counts, seconds=time.perf_counter() - started)


def describe(source_urls: dict[str, str]) -> dict[tuple[str, str], int | None]:
    """Row count per source table; None where the table does not exist yet."""
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
