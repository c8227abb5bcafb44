"""Generic extract-and-load: any SQLAlchemy source table into ``raw_<source>.<table>``.

Rows are streamed from the source and written with ``COPY`` into a temporary table, then
upserted by key into the raw table; a row whose content hash did not change is left as it
was. The data and the batch's bookkeeping commit in one transaction, so a failed load
leaves the last good data and watermark in place, and loading the same rows again
changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import psycopg
import sqlalchemy as sa
from psycopg import sql

from kho import db
from pipelines.sources.contracts import TableContract

STREAM_BATCH_ROWS = 10_000
META_COLUMNS = ("_batch_id", "_loaded_at", "_row_hash")

INGEST_DDL = """
create schema if not exists ingest;
create table if not exists ingest.batches (
    batch_id bigint generated always as identity primary key,
    run_id text,
    source text not null,
    table_name text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null check (status in ('running', 'succeeded', 'failed')),
    rows_extracted bigint,
    rows_inserted bigint,
    rows_updated bigint,
    rows_unchanged bigint,
    max_watermark timestamp,
    error text
);
create index if not exists batches_table_idx on ingest.batches (source, table_name, batch_id);
"""


class SourceUnavailable(RuntimeError):
    """The agency system could not be reached or read."""


@dataclass(frozen=True)
class LoadResult:
    batch_id: int
    rows_extracted: int
    rows_inserted: int
    rows_updated: int
    seconds: float
    max_watermark: datetime | None

    @property
    def rows_unchanged(self) -> int:
        return self.rows_extracted - self.rows_inserted - self.rows_updated


def ensure_raw_table(conn: psycopg.Connection, contract: TableContract) -> None:
    """Create the raw table (all source columns as text, plus load metadata) if missing."""
    conn.execute(sql.SQL("create schema if not exists {}").format(
        sql.Identifier(contract.raw_schema)))
    columns = [sql.SQL("{} text").format(sql.Identifier(c)) for c in contract.column_names]
    columns += [
        sql.SQL("_batch_id bigint not null"),
        sql.SQL("_loaded_at timestamptz not null"),
        sql.SQL("_row_hash text not null"),
        sql.SQL("primary key ({})").format(sql.Identifier(contract.key)),
    ]
    conn.execute(sql.SQL("create table if not exists {}.{} ({})").format(
        sql.Identifier(contract.raw_schema), sql.Identifier(contract.table),
        sql.SQL(", ").join(columns)))
    for column in contract.column_names:
        conn.execute(sql.SQL("alter table {}.{} add column if not exists {} text").format(
            sql.Identifier(contract.raw_schema), sql.Identifier(contract.table),
            sql.Identifier(column)))


def stream_source_rows(source_url: str, contract: TableContract) -> Iterator[tuple]:
    """Rows of the source table in the contract's column order, streamed (flat memory)."""
    engine = db.create_engine(source_url, pool_pre_ping=True)
    table = sa.table(contract.table, *(sa.column(c) for c in contract.column_names))
    query = sa.select(*table.c).order_by(table.c[contract.key])
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True,
                                            yield_per=STREAM_BATCH_ROWS).execute(query)
            for row in result:
                yield tuple(row)
    except sa.exc.OperationalError as err:
        raise SourceUnavailable(
            f"source {contract.source!r} ({db.redact(source_url)}) is unavailable while reading "
            f"{contract.table}: {err.orig}") from err
    finally:
        engine.dispose()


def _start_batch(warehouse_url: str, contract: TableContract, run_id: str | None) -> int:
    with db.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(INGEST_DDL)
        return conn.execute(
            "insert into ingest.batches (run_id, source, table_name, status) "
            "values (%s, %s, %s, 'running') returning batch_id",
            (run_id, contract.source, contract.table),
        ).fetchone()[0]


def _fail_batch(warehouse_url: str, batch_id: int, error: BaseException) -> None:
    with db.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(
            "update ingest.batches set status = 'failed', finished_at = now(), error = %s "
            "where batch_id = %s", (f"{type(error).__name__}: {error}"[:4000], batch_id))


def load_table(warehouse_url: str, source_url: str, contract: TableContract,
               run_id: str | None = None) -> LoadResult:
    """Extract the whole source table and upsert it into its raw table as one batch."""
    started = time.perf_counter()
    batch_id = _start_batch(warehouse_url, contract, run_id)
    try:
        result = _load(warehouse_url, source_url, contract, batch_id, started)
    except BaseException as err:
        _fail_batch(warehouse_url, batch_id, err)
        raise
    return result


def _load(warehouse_url: str, source_url: str, contract: TableContract, batch_id: int,
          started: float) -> LoadResult:
    cols = [sql.Identifier(c) for c in contract.column_names]
    col_list = sql.SQL(", ").join(cols)
    target = sql.Identifier(contract.raw_schema, contract.table)
    watermark_index = contract.column_names.index(contract.watermark)
    extracted = 0
    max_watermark = None
    with db.connect(warehouse_url) as conn:
        ensure_raw_table(conn, contract)
        conn.execute(sql.SQL(
            "create temp table _incoming ({}) on commit drop"
        ).format(sql.SQL(", ").join(sql.SQL("{} text").format(c) for c in cols)))
        with conn.cursor().copy(
            sql.SQL("copy _incoming ({}) from stdin").format(col_list)
        ) as copy:
            for row in stream_source_rows(source_url, contract):
                copy.write_row(row)
                extracted += 1
                mark = row[watermark_index]
                if mark is not None and (max_watermark is None or mark > max_watermark):
                    max_watermark = mark
        updates = sql.SQL(", ").join(
            sql.SQL("{} = excluded.{}").format(c, c)
            for c in [*cols, *(sql.Identifier(m) for m in META_COLUMNS)])
        inserted, updated = conn.execute(sql.SQL("""
            with upserted as (
                insert into {target} ({cols}, _batch_id, _loaded_at, _row_hash)
                select {cols}, %(batch)s, now(), md5(row({cols})::text) from _incoming
                on conflict ({key}) do update set {updates}
                where {target}._row_hash is distinct from excluded._row_hash
                returning (xmax = 0) as is_insert
            )
            select count(*) filter (where is_insert), count(*) filter (where not is_insert)
            from upserted
        """).format(target=target, cols=col_list, key=sql.Identifier(contract.key),
                    updates=updates), {"batch": batch_id}).fetchone()
        seconds = time.perf_counter() - started
        conn.execute(
            "update ingest.batches set status = 'succeeded', finished_at = now(), "
            "rows_extracted = %s, rows_inserted = %s, rows_updated = %s, rows_unchanged = %s, "
            "max_watermark = %s where batch_id = %s",
            (extracted, inserted, updated, extracted - inserted - updated, max_watermark,
             batch_id))
    return LoadResult(batch_id, extracted, inserted, updated, seconds, max_watermark)
