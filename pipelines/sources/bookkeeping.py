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
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from kho import db

DDL = r"""
create schema if not exists ingest;
create schema if not exists quarantine;

create table if not exists ingest.batches (
    batch_id bigint generated always as identity primary key,
    run_id text,
    source text not null,
    table_name text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null,
    error text
);
alter table ingest.batches
    add column if not exists mode text,
    add column if not exists attempt integer,
    add column if not exists watermark_from timestamp,
    add column if not exists watermark_to timestamp,
    add column if not exists keys_reconciled boolean,
    add column if not exists rows_extracted bigint,
    add column if not exists rows_inserted bigint,
    add column if not exists rows_updated bigint,
    add column if not exists rows_unchanged bigint,
    add column if not exists rows_quarantined bigint,
    add column if not exists rows_released bigint,
    add column if not exists rows_deleted bigint,
    add column if not exists duration_seconds double precision,
    drop column if exists max_watermark;
alter table ingest.batches drop constraint if exists batches_status_check;
alter table ingest.batches add constraint batches_status_check
    check (status in ('running', 'succeeded', 'failed', 'abandoned'));
create index if not exists batches_table_idx on ingest.batches (source, table_name, batch_id);

create table if not exists ingest.watermarks (
    source text not null,
    table_name text not null,
    watermark timestamp,
    batch_id bigint not null,
    updated_at timestamptz not null default now(),
    keys_reconciled_at timestamptz,
    primary key (source, table_name)
);

create table if not exists quarantine.rows (
    source text not null,
    table_name text not null,
    record_key text not null,
    rule text not null,
    column_name text,
    value text,
    payload jsonb not null,
    source_rows integer not null default 1,
    first_batch_id bigint not null,
    batch_id bigint not null,
    quarantined_at timestamptz not null,
    last_seen_at timestamptz not null,
    released_at timestamptz,
    released_batch_id bigint,
    release_reason text,
    primary key (source, table_name, record_key)
);
create or replace view quarantine.open_rows as
    select * from quarantine.rows where released_at is null;

-- Validation helpers: pure SQL, inlined by the planner, no exception blocks.
create or replace function ingest.valid_ymd(y integer, m integer, d integer)
returns boolean language sql immutable parallel safe as $$
    select y between 1 and 9999 and m between 1 and 12 and d >= 1 and d <= case
        when m in (4, 6, 9, 11) then 30
        when m = 2 then case when (y % 4 = 0 and y % 100 <> 0) or y % 400 = 0 then 29 else 28 end
        else 31 end
$$;
create or replace function ingest.iso_date(v text)
returns date language sql immutable parallel safe as $$
    select case when v ~ '^\d{4}-\d{2}-\d{2}'
        and ingest.valid_ymd(substr(v, 1, 4)::integer, substr(v, 6, 2)::integer,
                             substr(v, 9, 2)::integer)
        then make_date(substr(v, 1, 4)::integer, substr(v, 6, 2)::integer,
                       substr(v, 9, 2)::integer) end
$$;
create or replace function ingest.dmy_date(v text)
returns date language sql immutable parallel safe as $$
    select case
        when v ~ '^\d{4}$' and v::integer >= 1 then make_date(v::integer, 1, 1)
        when v ~ '^\d{1,2}/\d{1,2}/\d{4}$' and ingest.valid_ymd(split_part(v, '/', 3)::integer,
            split_part(v, '/', 2)::integer, split_part(v, '/', 1)::integer)
        then make_date(split_part(v, '/', 3)::integer, split_part(v, '/', 2)::integer,
                       split_part(v, '/', 1)::integer) end
$$;
create or replace function ingest.is_timestamp(v text)
returns boolean language sql immutable parallel safe as $$
    select v ~ '^\d{4}-\d{2}-\d{2}([ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?)?$'
        and ingest.iso_date(v) is not null
$$;
-- The province codes a 12-digit personal ID begins with (the place of birth registration,
-- Circular 59/2021/TT-BCA): 001 Hà Nội ... 080 Long An ... 096 Cà Mau.
create or replace function ingest.is_id_province_code(code text)
returns boolean language sql immutable parallel safe as $$
    select code = any(array[
        '001', '002', '004', '006', '008', '010', '011', '012', '014', '015', '017', '019',
        '020', '022', '024', '025', '026', '027', '030', '031', '033', '034', '035', '036',
        '037', '038', '040', '042', '044', '045', '046', '048', '049', '051', '052', '054',
        '056', '058', '060', '062', '064', '066', '067', '068', '070', '072', '074', '075',
        '077', '079', '080', '082', '083', '084', '086', '087', '089', '091', '092', '093',
        '094', '095', '096'
    ])
$$;
-- An identity number as agencies write it, read as the number it is: separators and
-- invisible characters between the digits ("080 123 456 789", "301-234-567", a no-break
-- space, full-width digits) are dropped, and a 12-digit personal ID that a spreadsheet
-- kept as a number gets back the leading zeros it lost: every personal ID begins with a
-- province code (all of them begin with 0) and then its century digit (0 to 3), so 10 or
-- 11 digits not beginning with 0 that read that way once the zeros are back can be nothing
-- else. A 9-digit CMND that lost its zero is not restored: 8 digits are as likely a CMND
-- with a digit lost. The 9-digit CMND, or the 12-digit ID beginning with a code from 001
-- to 096; else null.
create or replace function ingest.identity_number(v text)
returns text language sql immutable parallel safe as $$
    select case
        when length(d) = 9 then d
        when length(d) = 12 and left(d, 3) between '001' and '096' then d
        when length(d) in (10, 11) and left(d, 1) <> '0'
            and ingest.is_id_province_code(left(lpad(d, 12, '0'), 3))
            and substr(lpad(d, 12, '0'), 4, 1) between '0' and '3'
            then lpad(d, 12, '0')
    end
    from (
        select nullif(s, '') as d
        from regexp_replace(
            translate(v, '０１２３４５６７８９', '0123456789'),
            '[\s\u00a0\u2007\u202f\u200b-\u200d\u2060\ufeff.,_/-]', '', 'g'
        ) as s
        where s ~ '^[0-9]*$'
    ) as digits
$$;
-- An order-independent digest of a set of (key, watermark) pairs: equal sets, equal digests.
create or replace function ingest.version_hash(k text, w text)
returns bigint language sql immutable parallel safe as $$
    select ('x' || substr(md5(coalesce(k, '') || '|' || coalesce(w, '')), 1, 15))::bit(60)::bigint
$$;
"""

# Serialises DDL between concurrent loads (CREATE ... IF NOT EXISTS is not race-free).
DDL_LOCK = 0x6B686F01
# Recorded as the ingest schema's comment once DDL has run; bump it when DDL changes.
SCHEMA_VERSION = "kho ingest schema 4"


def ensure_schemas(conn: psycopg.Connection) -> None:
    """Create or migrate the schemas, once: DDL takes locks on ``ingest.batches`` that
    would wait for every load in flight, so loads only run it when the version differs."""
    current = "select obj_description(to_regnamespace('ingest'), 'pg_namespace')"
    if conn.execute(current).fetchone()[0] == SCHEMA_VERSION:
        return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        if conn.execute(current).fetchone()[0] != SCHEMA_VERSION:
            conn.execute(DDL)
            conn.execute(f"comment on schema ingest is '{SCHEMA_VERSION}'")


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
