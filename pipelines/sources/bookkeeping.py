"""The warehouse's own record of ingestion: the ``ingest`` and ``quarantine`` schemas.

- ``ingest.batches``: one row per attempt to load a table (run, mode, watermark window,
  counts, duration, status, error). A batch is inserted as ``running`` before its load
  starts and committed with the load's data when it succeeds; one whose process died is
  marked ``abandoned`` by the next load of that table.
- ``ingest.watermarks``: per table, the highest watermark loaded by a succeeded batch and
  when keys were last reconciled; written in the same transaction as the data.
- ``quarantine.rows``: every source row that broke its table's contract, with the rule,
  the column and the original payload; a row that arrives corrected is released (kept,
  with the batch that released it).

Their tables and the validation functions (``ingest.identity_number`` and its kin) are
made by the migrations (:mod:`kho.migrations`), which every pipeline command runs first.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from kho import db

# Serialises the creation of raw schemas between concurrent loads (CREATE SCHEMA IF NOT
# EXISTS is not race-free).
DDL_LOCK = 0x6B686F01


def ensure_schema(conn: psycopg.Connection, schema: str) -> None:
    """Create a schema (a source's raw schema) if missing, in its own short transaction
    under the DDL lock: loads of two tables of one source may start at once, and CREATE
    SCHEMA IF NOT EXISTS is not race-free."""
    missing = "select not exists (select from pg_namespace where nspname = %s)"
    if not conn.execute(missing, (schema,)).fetchone()[0]:
        return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))


def start_batch(conn: psycopg.Connection, run_id: str | None, source: str, table: str,
                mode: str, attempt: int) -> int:
    """Record a batch as running, visibly and at once (the connection is autocommit)."""
    return conn.execute(
        "insert into ingest.batches (run_id, source, table_name, status, mode, attempt) "
        "values (%s, %s, %s, 'running', %s, %s) returning batch_id",
        (run_id, source, table, mode, attempt)).fetchone()[0]


def fail_batch(conn: psycopg.Connection, batch_id: int, error: BaseException,
               seconds: float) -> None:
    conn.execute(
        "update ingest.batches set status = 'failed', finished_at = now(), error = %s, "
        "duration_seconds = %s where batch_id = %s",
        (f"{type(error).__name__}: {error}"[:4000], seconds, batch_id))


def last_durations(warehouse_url: str, mode: str) -> dict[tuple[str, str], float]:
    """How long each table's last successful load in ``mode`` (full, incremental) took, by
    (source, table); empty before the first."""
    with db.connect(warehouse_url, autocommit=True) as conn:
        if conn.execute("select to_regclass('ingest.batches')").fetchone()[0] is None:
            return {}
        rows = conn.execute("""
            select distinct on (source, table_name) source, table_name, duration_seconds
            from ingest.batches
            where status = 'succeeded' and duration_seconds is not null and mode = %s
            order by source, table_name, batch_id desc""", (mode,)).fetchall()
    return {(source, table): seconds for source, table, seconds in rows}
