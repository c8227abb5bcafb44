"""Generic extract-validate-load: any agency table into ``raw_<source>.<table>``.

One batch loads one table in one warehouse transaction:

1. rows whose watermark is at or after the last good watermark minus a safe overlap (all
   rows on a full refresh or the first load) are copied from the source into a temporary
   table with ``COPY``, streamed, so memory stays flat whatever the table size;
2. one pass names the first contract rule each row breaks; broken rows (and every row of a
   key the source holds twice) go to ``quarantine.rows`` with the rule and their payload;
3. the others are upserted by key into the raw table with ``_batch_id``, ``_loaded_at``
   and ``_row_hash``; a row whose hash did not change is left alone, so a re-run or the
   overlap loads nothing twice, and a corrected row is released from quarantine;
4. on a full refresh, and on an incremental run when the keys were last reconciled longer
   ago than the configured interval, every source key is listed and raw rows whose key is
   gone are marked deleted (``_deleted_at``), never removed;
5. the new watermark and the batch's counts commit with the data.

A table's first load (its raw table does not exist yet, or was dropped to be rebuilt) has
nothing to merge with, so it goes faster: rows are copied straight into a new raw table that
computes the load metadata itself, the few broken rows are moved out to quarantine, and the
primary key is added last (see ``_load_new_table``). Either way ``_row_hash`` is the same
digest (``row_hash``), so later loads compare rows alike.

A failure anywhere rolls the transaction back: the last good data and watermark stay, and
the batch is recorded as failed. A killed process leaves its batch ``running`` until the
next load of the table marks it abandoned; that load starts from the last good watermark,
so the warehouse ends as if the killed run had never started. Sources that cannot be
reached are retried with exponential backoff before the load fails naming the source.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg
from psycopg import sql

from kho import db
from kho.settings import load_settings
from pipelines.sources import bookkeeping
from pipelines.sources.contracts import TableContract
from pipelines.sources.readers import SourceReader, SourceUnavailable, open_reader

META_COLUMNS = ("_batch_id", "_loaded_at", "_row_hash", "_deleted_at", "_deleted_batch_id",
                "_value_problems")
LOCK_NAMESPACE = 0x6B686F02
LOCK_WAIT = timedelta(minutes=2)


@dataclass(frozen=True)
class IngestSettings:
    """How a load behaves; every field can be set per run from Dagster's run config."""

    full_refresh: bool = False
    overlap: timedelta = timedelta(minutes=60)
    key_reconciliation_every: timedelta = timedelta(hours=24)
    attempts: int = 3
    retry_delay_seconds: float = 2.0
    connect_timeout_seconds: float = 10.0
    statement_timeout_seconds: float = 1800.0


@dataclass
class LoadResult:
    contract: TableContract
    batch_id: int
    mode: str
    attempt: int
    watermark_from: datetime | None
    watermark_to: datetime | None
    keys_reconciled: bool
    rows_extracted: int
    rows_valid: int
    rows_inserted: int
    rows_updated: int
    rows_quarantined: int
    rows_released: int
    rows_deleted: int
    seconds: float
    # Figures for the reconciliation checks, read inside the batch's transaction.
    source_rows: int = 0
    warehouse_rows: int = 0
    stamped_rows: int = 0

    @property
    def rows_unchanged(self) -> int:
        return self.rows_valid - self.rows_inserted - self.rows_updated


def _ident(*names: str) -> sql.Identifier:
    return sql.Identifier(*names)


def row_hash(columns: list[str]) -> sql.Composable:
    """SQL for ``_row_hash``: a 64-bit digest of the row's text columns, in hex. Each column
    is hashed with its own seed (null as a constant of its own) and the hashes are combined
    with xor, so moving a value to another column or emptying one changes the digest; it is
    immutable, so a raw table can compute it as a generated column while rows are copied in."""
    return sql.SQL("to_hex({})").format(sql.SQL(" # ").join(
        sql.SQL("coalesce(hashtextextended({}, {}), {})").format(
            _ident(c), sql.Literal(i), sql.Literal(-i))
        for i, c in enumerate(columns, start=1)))


def _raw_columns(contract: TableContract, batch_id: int | None = None) -> sql.Composable:
    """The raw table's columns; with ``batch_id``, as a first load creates them: the load
    metadata computed by the server as rows are copied in (dropped once they are)."""
    columns = [sql.SQL("{} text").format(_ident(c)) for c in contract.column_names]
    if batch_id is None:
        columns += [sql.SQL("_batch_id bigint not null"),
                    sql.SQL("_loaded_at timestamptz not null"),
                    sql.SQL("_row_hash text not null")]
    else:
        columns += [sql.SQL("_batch_id bigint not null default {}").format(
                        sql.Literal(batch_id)),
                    sql.SQL("_loaded_at timestamptz not null default now()"),
                    sql.SQL("_row_hash text not null generated always as ({}) stored").format(
                        row_hash(contract.column_names))]
    columns += [sql.SQL("_deleted_at timestamptz"), sql.SQL("_deleted_batch_id bigint"),
                sql.SQL("_value_problems jsonb")]
    return sql.SQL(", ").join(columns)


def ensure_raw_table(conn: psycopg.Connection, contract: TableContract) -> bool:
    """Create the raw table (source columns as text plus load metadata) or add the columns it
    lacks; True when it already existed. Columns are added only when missing, so a load of
    an existing table takes no lock that would stop readers of the raw layer."""
    table = _ident(contract.raw_schema, contract.table)
    conn.execute(sql.SQL("create schema if not exists {}").format(_ident(contract.raw_schema)))
    existing = {name for (name,) in conn.execute(
        "select attname from pg_attribute where attrelid = to_regclass(%s) and attnum > 0 "
        "and not attisdropped", (table.as_string(conn),))}
    if not existing:
        conn.execute(sql.SQL("create table {} ({}, primary key ({}))").format(
            table, _raw_columns(contract), _ident(contract.key)))
        return False
    for column in contract.column_names:
        if column not in existing:
            conn.execute(sql.SQL("alter table {} add column {} text").format(
                table, _ident(column)))
    for column, kind in (("_deleted_at", "timestamptz"), ("_deleted_batch_id", "bigint"),
                         ("_value_problems", "jsonb")):
        if column not in existing:
            conn.execute(sql.SQL("alter table {} add column {} {}").format(
                table, _ident(column), sql.SQL(kind)))
    return True


def load_table(warehouse_url: str, source_url: str, contract: TableContract,
               settings: IngestSettings = IngestSettings(), run_id: str | None = None,
               log: Callable[[str], None] = lambda _: None) -> LoadResult:
    """Load one table as one batch, retrying an unreachable source with backoff."""
    mode = "full" if settings.full_refresh else "incremental"
    with db.connect(warehouse_url, autocommit=True) as control:
        bookkeeping.ensure_schema(control, contract.raw_schema)
        for attempt in range(1, settings.attempts + 1):
            started = time.perf_counter()
            batch_id = bookkeeping.start_batch(control, run_id, contract.source, contract.table,
                                               mode, attempt)
            try:
                return _load(warehouse_url, source_url, contract, settings, batch_id, mode,
                             attempt, started)
            except SourceUnavailable as err:
                bookkeeping.fail_batch(control, batch_id, err, time.perf_counter() - started)
                if attempt == settings.attempts:
                    raise err.gave_up(attempt) from err
                delay = settings.retry_delay_seconds * 2 ** (attempt - 1)
                log(f"{contract.raw_table}: {err}; retrying in {delay:g} s "
                    f"(attempt {attempt + 1} of {settings.attempts})")
                time.sleep(delay)
            except BaseException as err:
                bookkeeping.fail_batch(control, batch_id, err, time.perf_counter() - started)
                raise
    raise AssertionError("unreachable")


def load_concurrency() -> int:
    """Tables loaded side by side: ``KHO_LOAD_CONCURRENCY``, else one per core this process
    may run on (a container's CPU set, not the host's count)."""
    return load_settings().load_concurrency or max(1, len(os.sched_getaffinity(0)))


_worker_log: Callable[[str], None] = print


def _start_worker(messages) -> None:
    global _worker_log
    _worker_log = messages.put


def _load_in_worker(warehouse_url: str, source_url: str, contract: TableContract,
                    settings: IngestSettings, run_id: str | None) -> LoadResult:
    return load_table(warehouse_url, source_url, contract, settings, run_id, _worker_log)


def load_tables(warehouse_url: str, tables: list[tuple[TableContract, str]],
                settings: IngestSettings = IngestSettings(), run_id: str | None = None,
                log: Callable[[str], None] = lambda _: None, concurrency: int | None = None,
                ) -> Iterator[tuple[TableContract, LoadResult | BaseException]]:
    """Load several tables, each ``(contract, source URL)``, side by side, each as its own
    batch (:func:`load_table`), longest first by their last load's duration; yield each
    table with its result, or the error that stopped it (the others still load), as it
    finishes. ``concurrency`` loads at a time (default ``KHO_LOAD_CONCURRENCY``, else one
    per core) run in worker processes: streaming COPY blocks is Python's work, and threads
    would take turns at the interpreter lock. ``log`` is called from this process."""
    durations = bookkeeping.last_durations(
        warehouse_url, "full" if settings.full_refresh else "incremental")
    tables = sorted(tables, key=lambda t: -durations.get((t[0].source, t[0].table), 0.0))
    workers = min(concurrency or load_concurrency(), len(tables))
    if workers <= 1:
        for contract, source_url in tables:
            try:
                yield contract, load_table(warehouse_url, source_url, contract, settings,
                                           run_id, log)
            except Exception as err:
                yield contract, err
        return
    # Spawned, not forked: the caller may be a Dagster run with threads of its own.
    context = multiprocessing.get_context("spawn")
    messages = context.SimpleQueue()
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(messages,))
    # A caller may leave this generator suspended for good: a Dagster step interrupted (the
    # run canceled) while it handled a table's result. A process spawned by multiprocessing,
    # as Dagster's steps are, joins its children when it exits, before any generator is
    # closed; the pool's idle workers would wait for work for ever and the step never end
    # (nor the run that waits for it, holding the warehouse). So the pool is also shut down
    # when the process exits, before the pool's own queues are closed (their finalizers'
    # priority is 10, and a closed queue would never pass the workers their stop).
    at_exit = multiprocessing.util.Finalize(
        None, pool.shutdown, kwargs={"wait": True, "cancel_futures": True}, exitpriority=100)
    try:
        pending = {pool.submit(_load_in_worker, warehouse_url, source_url, contract,
                               settings, run_id): contract
                   for contract, source_url in tables}
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            while not messages.empty():
                log(messages.get())
            for future in done:
                contract = pending.pop(future)
                error = future.exception()
                yield contract, error if error is not None else future.result()
    finally:
        # Stopped early (the caller failed or stopped reading): queued tables do not start;
        # loads in flight finish, each a batch of its own.
        at_exit()


@dataclass
class _Figures:
    """What one batch did, as the load's statements counted it."""

    extracted: int
    quarantined: int
    inserted: int
    updated: int
    valid: int
    released: int
    deleted: int
    source_rows: int
    warehouse_rows: int
    stamped: int
    new_mark: datetime | None


def _load(warehouse_url: str, source_url: str, contract: TableContract,
          settings: IngestSettings, batch_id: int, mode: str, attempt: int,
          started: float) -> LoadResult:
    names = _names(contract)
    params = {"batch": batch_id, "source": contract.source, "table": contract.table}
    with db.connect(warehouse_url) as conn:
        # One load per table at a time: a second one waits for the first, up to a limit.
        conn.execute(sql.SQL("set local lock_timeout = {}").format(
            sql.Literal(f"{int(LOCK_WAIT.total_seconds() * 1000)}ms")))
        try:
            conn.execute("select pg_advisory_xact_lock(%s, hashtext(%s))",
                         (LOCK_NAMESPACE, contract.raw_table))
        except psycopg.errors.LockNotAvailable:
            raise RuntimeError(f"another load of {contract.raw_table} has been running for "
                               f"more than {LOCK_WAIT}; not starting a second one") from None
        conn.execute("set local lock_timeout = 0")
        # This transaction's WAL uncompressed, where the role may set it: a new primary key
        # goes to the WAL as whole pages, and compressing them (pglz) took a third of the
        # time to build it.
        if conn.execute("select has_parameter_privilege('wal_compression', 'set')"
                        ).fetchone()[0]:
            conn.execute("set local wal_compression = off")
        # Nobody else holds the lock: batches of this table still 'running' are dead.
        conn.execute("update ingest.batches set status = 'abandoned', finished_at = now(), "
                     "error = 'its process ended before the load committed' "
                     "where source = %(source)s and table_name = %(table)s "
                     "and status = 'running' and batch_id <> %(batch)s", params)
        exists = conn.execute("select to_regclass(%s) is not null",
                              (names["raw"].as_string(conn),)).fetchone()[0]
        if exists:
            ensure_raw_table(conn, contract)
        state = conn.execute(
            "select watermark, keys_reconciled_at, now() from ingest.watermarks "
            "where source = %(source)s and table_name = %(table)s for update", params).fetchone()
        last_mark, reconciled_at, now = state if state else (None, None, None)
        # A raw table that is not there (first load, or dropped to be rebuilt) gets every row.
        full = settings.full_refresh or state is None or not exists
        since = None if full or last_mark is None else last_mark - settings.overlap
        reconcile = full or reconciled_at is None or (
            now - reconciled_at >= settings.key_reconciliation_every)
        today = conn.execute("select current_date").fetchone()[0]

        with open_reader(source_url, contract,
                         connect_timeout=settings.connect_timeout_seconds,
                         statement_timeout=settings.statement_timeout_seconds) as reader:
            if exists:
                figures = _merge(conn, contract, names, params, reader, since, reconcile,
                                 full, today)
            else:
                figures = _load_new_table(conn, contract, names, params, reader, today)

        watermark_to = max((m for m in (last_mark, figures.new_mark) if m is not None),
                           default=None)
        conn.execute("""
            insert into ingest.watermarks (source, table_name, watermark, batch_id,
                                           keys_reconciled_at)
            values (%(source)s, %(table)s, %(mark)s, %(batch)s,
                    case when %(reconciled)s then now() end)
            on conflict (source, table_name) do update set watermark = excluded.watermark,
                batch_id = excluded.batch_id, updated_at = now(),
                keys_reconciled_at = coalesce(excluded.keys_reconciled_at,
                                              ingest.watermarks.keys_reconciled_at)
        """, {**params, "mark": watermark_to, "reconciled": reconcile})
        result = LoadResult(
            contract=contract, batch_id=batch_id, mode="full" if full else mode,
            attempt=attempt, watermark_from=since, watermark_to=watermark_to,
            keys_reconciled=reconcile, rows_extracted=figures.extracted,
            rows_valid=figures.valid, rows_inserted=figures.inserted,
            rows_updated=figures.updated, rows_quarantined=figures.quarantined,
            rows_released=figures.released, rows_deleted=figures.deleted,
            seconds=time.perf_counter() - started, source_rows=figures.source_rows,
            warehouse_rows=figures.warehouse_rows, stamped_rows=figures.stamped)
        conn.execute("""
            update ingest.batches set status = 'succeeded', finished_at = now(), mode = %s,
                watermark_from = %s, watermark_to = %s, keys_reconciled = %s,
                rows_extracted = %s, rows_inserted = %s, rows_updated = %s,
                rows_unchanged = %s, rows_quarantined = %s, rows_released = %s,
                rows_deleted = %s, duration_seconds = %s
            where batch_id = %s
        """, (result.mode, since, watermark_to, reconcile, result.rows_extracted,
              result.rows_inserted, result.rows_updated, result.rows_unchanged,
              result.rows_quarantined, result.rows_released, result.rows_deleted,
              result.seconds, batch_id))
    return result


def _load_new_table(conn: psycopg.Connection, contract: TableContract,
                    names: dict[str, sql.Composable], params: dict, reader: SourceReader,
                    today: date) -> _Figures:
    """First load of a table (or of one dropped to be rebuilt): every source row is copied
    straight into a new raw table, which computes ``_batch_id``, ``_loaded_at`` and
    ``_row_hash`` as rows arrive; the few rows that break the contract are then moved to
    quarantine, and the key is made the primary key. The table is new in this transaction,
    so nobody else sees it before it commits, and there is nothing to merge with or mark
    deleted; quarantine entries from before it are reconciled with its keys."""
    raw, key = names["raw"], names["key"]
    conn.execute(sql.SQL("create schema if not exists {}").format(
        _ident(contract.raw_schema)))
    conn.execute(sql.SQL("create table {} ({})").format(
        raw, _raw_columns(contract, params["batch"])))
    cur = conn.cursor()
    with cur.copy(sql.SQL("copy {raw} ({cols}) from stdin").format(**names)) as copy:
        source_rows = reader.copy_rows(copy, None)  # all of them: the source's count
    extracted = cur.rowcount  # the warehouse's count of what arrived
    families = reader.column_families()
    conn.execute(sql.SQL("alter table {} alter column _row_hash drop expression, "
                         "alter column _batch_id drop default, "
                         "alter column _loaded_at drop default").format(raw))

    # Validation: one scan (parallel where the server allows) keeps the rows that break a
    # rule; those whose row is broken then leave the raw table, the others keep it with
    # the values they must not use named. (The shortcut must stay in the WHERE clause:
    # only there do the long "= any(codes)" lists become hash lookups.)
    valid = contract.valid_expression(families, today) or sql.SQL("true")
    conn.execute(sql.SQL("""
        create temp table _flagged on commit drop as
        select ctid as _row_id, {cols}, {problem} as _problem,
               {value_problems} as _value_problems
        from {raw} where not coalesce({valid}, false)
    """).format(problem=contract.problem_expression(families, today, shortcuts=False),
                value_problems=contract.value_problems_expression(families, today,
                                                                  shortcuts=False),
                valid=valid, **names))
    conn.execute(sql.SQL("""
        create temp table _broken on commit drop as
        select _row_id, {cols}, _problem from _flagged where _problem is not null
    """).format(**names))
    conn.execute(sql.SQL("delete from {raw} where ctid = any(array(select _row_id "
                         "from _broken))").format(**names))
    # A key the batch holds twice is ambiguous: every row of it goes to quarantine. Among
    # valid rows, the primary key finds them (and only if it fails are they looked for);
    # a broken row's key is looked up in the valid rows through it.
    duplicate = sql.Literal(f"duplicate_key|{contract.key}")
    add_key = sql.SQL("alter table {raw} add primary key ({key})").format(**names)
    try:
        with conn.transaction():
            conn.execute(add_key)
    except psycopg.errors.UniqueViolation:
        conn.execute(sql.SQL("""
            with moved as (delete from {raw} where {key} in
                           (select {key} from {raw} group by 1 having count(*) > 1)
                           returning ctid, {cols})
            insert into _broken select ctid, {cols}, {duplicate} from moved
        """).format(duplicate=duplicate, **names))
        conn.execute(add_key)
    conn.execute(sql.SQL("""
        with moved as (delete from {raw} where {key} in (select {key} from _broken)
                       returning ctid, {cols})
        insert into _broken select ctid, {cols}, {duplicate} from moved
    """).format(duplicate=duplicate, **names))
    conn.execute(sql.SQL(
        "update _broken set _problem = {duplicate} where {key} in "
        "(select {key} from _broken where {key} is not null group by 1 having count(*) > 1)"
    ).format(duplicate=duplicate, key=key))

    # The rows that land keep the values they must not use named (after the moves above,
    # which read the rows in the order the source sent them).
    conn.execute(sql.SQL("""
        update {raw} r set _value_problems = f._value_problems from _flagged f
        where r.ctid = f._row_id and f._problem is null and f._value_problems is not null
    """).format(**names))
    quarantined = _quarantine(conn, names, params, "_broken", "_row_id")
    inserted, stamped, new_mark = conn.execute(sql.SQL(
        "select count(*), count(*) filter (where _batch_id = %(batch)s), "
        "max({mark_text})::timestamp from {raw}"
    ).format(mark_text=_mark_text(contract, families), **names), params).fetchone()
    released = conn.execute(sql.SQL("""
        update quarantine.rows q set released_at = now(), released_batch_id = %(batch)s,
            release_reason = 'arrived valid'
        from {raw} r
        where q.source = %(source)s and q.table_name = %(table)s and q.batch_id <> %(batch)s
          and q.released_at is null and q.record_key = r.{key}
    """).format(**names), params).rowcount
    # Every source key is in the raw table or among the broken rows: entries held for any
    # other key, and not seen in this batch, were deleted in the source.
    released += conn.execute(sql.SQL("""
        update quarantine.rows q set released_at = now(), released_batch_id = %(batch)s,
            release_reason = 'deleted in the source'
        where q.source = %(source)s and q.table_name = %(table)s and q.released_at is null
          and q.last_seen_at <> now()
          and not exists (select from {raw} r where r.{key} = q.record_key)
          and not exists (select from _broken b where b.{key} = q.record_key)
    """).format(**names), params).rowcount
    return _Figures(
        extracted=extracted, quarantined=quarantined, inserted=inserted, updated=0,
        valid=inserted, released=released, deleted=0, source_rows=source_rows,
        warehouse_rows=_warehouse_rows(conn, names, params, live_rows=inserted),
        stamped=stamped, new_mark=new_mark)


def _merge(conn: psycopg.Connection, contract: TableContract, names: dict[str, sql.Composable],
           params: dict, reader: SourceReader, since: datetime | None, reconcile: bool,
           full: bool, today: date) -> _Figures:
    """Load into an existing raw table: the batch is copied into a temporary table,
    validated there and merged by key; keys are reconciled when due."""
    conn.execute(sql.SQL(
        "create temp table _incoming ({}, _problem text, _value_problems jsonb) "
        "on commit drop"
    ).format(sql.SQL(", ").join(sql.SQL("{} text").format(_ident(c))
                                for c in contract.column_names)))
    cur = conn.cursor()
    with cur.copy(sql.SQL("copy _incoming ({cols}) from stdin").format(**names)) as copy:
        sent = reader.copy_rows(copy, since)
    extracted = cur.rowcount
    source_rows = sent if since is None else reader.count()
    families = reader.column_families()
    quarantined, inserted, updated, valid, released = _apply(conn, contract, names, params,
                                                             families, today)
    # Rows the source no longer has show as a count above the source's: then, or when due,
    # list every key and mark the missing ones deleted.
    warehouse_rows = None if reconcile else _warehouse_rows(conn, names, params)
    if warehouse_rows is not None and warehouse_rows != source_rows:
        reconcile, warehouse_rows = True, None
    deleted = 0
    if reconcile:
        if full:  # the batch holds every source key
            versions = sql.SQL("(select {key} as k from _incoming)").format(**names)
        else:
            conn.execute("create temp table _source_versions (k text, w text) on commit drop")
            with cur.copy("copy _source_versions (k, w) from stdin") as copy:
                reader.copy_versions(copy)
            versions = sql.SQL("_source_versions")
        deleted, gone = _mark_deleted(conn, names, params, versions)
        released += gone

    # Reconciliation figures, read inside this transaction (so they describe exactly what
    # will be committed) and checked by the asset's checks.
    stamped, live = conn.execute(sql.SQL(
        "select count(*) filter (where _batch_id = %(batch)s), "
        "count(*) filter (where _deleted_at is null) from {raw}").format(**names),
        params).fetchone()
    if warehouse_rows is None:  # keys were reconciled since it was last counted
        warehouse_rows = _warehouse_rows(conn, names, params, live_rows=live)
    new_mark = conn.execute(sql.SQL(
        "select max({mark_text})::timestamp from _incoming where _problem is null"
    ).format(mark_text=_mark_text(contract, families))).fetchone()[0]
    return _Figures(
        extracted=extracted, quarantined=quarantined, inserted=inserted, updated=updated,
        valid=valid, released=released, deleted=deleted, source_rows=source_rows,
        warehouse_rows=warehouse_rows, stamped=stamped, new_mark=new_mark)


def _mark_text(contract: TableContract, families: dict[str, str]) -> sql.Composable:
    """A row's watermark as text whose maximum is the latest: valid rows passed the timestamp
    check, and ISO timestamps sort as bytes (a source timestamp column has no spaces)."""
    mark = _ident(contract.watermark)
    if families.get(contract.watermark) != "timestamp":
        mark = sql.SQL("btrim({})").format(mark)
    return sql.SQL('{} collate "C"').format(mark)


def _quarantine(conn: psycopg.Connection, names: dict[str, sql.Composable], params: dict,
                table: str, position: str) -> int:
    """Upsert the rows of ``table`` that have a ``_problem`` into ``quarantine.rows``, one
    entry per key (the rows of a key held twice in the order the source sent them, by
    ``position``, where each was copied in); returns how many rows they hold."""
    quarantined = conn.execute(sql.SQL("""
        insert into quarantine.rows as q (source, table_name, record_key, rule, column_name,
            value, payload, source_rows, first_batch_id, batch_id, quarantined_at,
            last_seen_at)
        select %(source)s, %(table)s, record_key, min(split_part(_problem, '|', 1)),
               min(split_part(_problem, '|', 2)),
               min(payload ->> split_part(_problem, '|', 2)),
               case when count(*) = 1 then jsonb_agg(payload order by position) -> 0
                    else jsonb_agg(payload order by position) end,
               count(*), %(batch)s, %(batch)s, now(), now()
        from (
            select coalesce(nullif(btrim({key}), ''),
                            'null:' || md5(row({cols})::text)) as record_key,
                   _problem,
                   to_jsonb(i) - '_problem' - '_row_id' - '_value_problems' as payload,
                   {position} as position
            from {table} i where _problem is not null
            offset 0  -- each row's payload built once
        ) broken
        group by record_key
        on conflict (source, table_name, record_key) do update set
            rule = excluded.rule, column_name = excluded.column_name,
            value = excluded.value, payload = excluded.payload,
            source_rows = excluded.source_rows, last_seen_at = excluded.last_seen_at,
            -- batch_id: the batch that brought this version (not one that saw it again)
            batch_id = case when q.payload is distinct from excluded.payload
                             or q.released_at is not null then excluded.batch_id
                            else q.batch_id end,
            first_batch_id = case when q.released_at is null then q.first_batch_id
                                  else excluded.first_batch_id end,
            quarantined_at = case when q.released_at is null then q.quarantined_at
                                  else excluded.quarantined_at end,
            released_at = null, released_batch_id = null, release_reason = null
        returning source_rows
    """).format(table=_ident(table), position=_ident(position), **names), params).fetchall()
    return sum(r[0] for r in quarantined)


def _apply(conn: psycopg.Connection, contract: TableContract, names: dict[str, sql.Composable],
           params: dict, families: dict[str, str], today: date
           ) -> tuple[int, int, int, int, int]:
    """Validate the batch in ``_incoming``, quarantine broken rows, upsert the valid ones
    (with the values they must not use named) and release corrected keys from quarantine.
    Returns (quarantined, inserted, updated, valid, released)."""
    key = names["key"]
    # Temporary tables get no statistics otherwise; the key is what the joins need.
    conn.execute(sql.SQL("analyze _incoming ({})").format(key))
    # Validation: one pass, the rules only where the shortcut fails; duplicates of a key
    # are ambiguous, so all go to quarantine.
    conn.execute(sql.SQL(
        "update _incoming set _problem = {problem}, _value_problems = {value_problems} "
        "where not coalesce({valid}, false)"
    ).format(problem=contract.problem_expression(families, today, shortcuts=False),
             value_problems=contract.value_problems_expression(families, today,
                                                               shortcuts=False),
             valid=contract.valid_expression(families, today) or sql.SQL("true")))
    conn.execute(sql.SQL(
        "update _incoming set _problem = 'duplicate_key|' || {k} where {key} in "
        "(select {key} from _incoming where {key} is not null group by 1 having count(*) > 1)"
    ).format(key=key, k=sql.Literal(contract.key)))

    rows_quarantined = _quarantine(conn, names, params, "_incoming", "ctid")

    updates = sql.SQL(", ").join(
        sql.SQL("{} = excluded.{}").format(_ident(c), _ident(c))
        for c in [*contract.column_names, *META_COLUMNS])
    # Only new and changed rows reach the upsert: on a full refresh most rows are the same,
    # and a conflicting row is locked (written) even when the update is skipped.
    inserted, updated, valid = conn.execute(sql.SQL("""
        with valid as (
            select {cols}, {hash} as _row_hash, _value_problems
            from _incoming where _problem is null
        ), changed as (
            select v.* from valid v left join {raw} r on r.{key} = v.{key}
            where r.{key} is null or r._row_hash is distinct from v._row_hash
               or r._deleted_at is not null
        ), upserted as (
            insert into {raw} ({cols}, _batch_id, _loaded_at, _row_hash, _deleted_at,
                               _deleted_batch_id, _value_problems)
            select {cols}, %(batch)s, now(), _row_hash, null::timestamptz, null::bigint,
                   _value_problems
            from changed
            on conflict ({key}) do update set {updates}
            where {raw}._row_hash is distinct from excluded._row_hash
               or {raw}._deleted_at is not null
            returning (xmax = 0) as is_insert
        )
        select count(*) filter (where is_insert), count(*) filter (where not is_insert),
               (select count(*) from valid)
        from upserted
    """).format(updates=updates, hash=row_hash(contract.column_names), **names),
        params).fetchone()

    with _hash_joins(conn):
        released = conn.execute(sql.SQL("""
            update quarantine.rows q set released_at = now(), released_batch_id = %(batch)s,
                release_reason = 'arrived valid'
            from _incoming i
            where q.source = %(source)s and q.table_name = %(table)s
              and q.batch_id <> %(batch)s and q.released_at is null and i._problem is null
              and q.record_key = i.{key}
        """).format(**names), params).rowcount

    return rows_quarantined, inserted, updated, valid, released


def _warehouse_rows(conn: psycopg.Connection, names: dict[str, sql.Composable],
                    params: dict, live_rows: int | None = None) -> int:
    """Source rows the warehouse accounts for: live raw rows (``live_rows`` when already
    counted), counting a key held in quarantine as its quarantined rows instead."""
    live = sql.SQL("(select count(*) from {raw} where _deleted_at is null)").format(**names)
    return conn.execute(sql.SQL("""
        select {live}
             - (select count(*) from quarantine.rows q join {raw} r on r.{key} = q.record_key
                where q.source = %(source)s and q.table_name = %(table)s
                  and q.released_at is null and r._deleted_at is null)
             + (select coalesce(sum(source_rows), 0) from quarantine.rows
                where source = %(source)s and table_name = %(table)s and released_at is null)
    """).format(live=live if live_rows is None else sql.Literal(live_rows), **names),
        params).fetchone()[0]


def _mark_deleted(conn: psycopg.Connection, names: dict[str, sql.Composable],
                  params: dict, versions: sql.Composable) -> tuple[int, int]:
    """Mark raw rows whose key is not among ``versions`` (every source key, as ``k``)
    deleted and release their quarantine entries. Returns (rows marked deleted, quarantine
    entries released). Both are anti-joins of a whole table against every key: hash joins,
    with no index to build."""
    with _hash_joins(conn):
        deleted = conn.execute(sql.SQL("""
            update {raw} r set _deleted_at = now(), _deleted_batch_id = %(batch)s
            where r._deleted_at is null
              and not exists (select from {versions} s where s.k = r.{key})
        """).format(versions=versions, **names), params).rowcount
        released = conn.execute(sql.SQL("""
            update quarantine.rows q set released_at = now(), released_batch_id = %(batch)s,
                release_reason = 'deleted in the source'
            where q.source = %(source)s and q.table_name = %(table)s
              and q.released_at is null
              and q.last_seen_at <> now()  -- seen in this batch (none lists a row with no key)
              and not exists (select from {versions} s where s.k = q.record_key)
        """).format(versions=versions), params).rowcount
    return deleted, released


@contextmanager
def _hash_joins(conn: psycopg.Connection) -> Iterator[None]:
    """Statements joining a batch-sized table with a table's quarantine entries: right after
    entries were added (before autovacuum analyzes quarantine.rows) the planner takes them
    for a handful of rows and would scan the batch once per entry, minutes on a large batch.
    Without nested loops it hashes, whatever the estimates."""
    conn.execute("set local enable_nestloop = off")
    yield
    conn.execute("reset enable_nestloop")



def _names(contract: TableContract) -> dict[str, sql.Composable]:
    return {"raw": _ident(contract.raw_schema, contract.table),
            "cols": sql.SQL(", ").join(_ident(c) for c in contract.column_names),
            "key": _ident(contract.key), "mark": _ident(contract.watermark)}


def compare_versions(warehouse_url: str, source_url: str, contract: TableContract,
                     settings: IngestSettings = IngestSettings()) -> dict[str, int]:
    """Compare every (key, watermark) the source holds with what the warehouse holds.

    The source's pairs are listed into the warehouse and both sides are digested there with
    one function (``ingest.version_hash``), so PostgreSQL and MariaDB sources compare alike.
    The warehouse side is live raw rows, with the quarantined version where a key is held
    in quarantine. Returns both counts and digests and how many keys differ.
    """
    names = _names(contract)
    params = {"source": contract.source, "table": contract.table}
    warehouse_versions = sql.SQL("""
        select coalesce(q.record_key, r.{key}) as k,
               case when q.record_key is not null then q.payload ->> {mark_name}
                    else r.{mark} end as w
        from (select {key}, {mark} from {raw} where _deleted_at is null) r
        full join (select record_key, payload from quarantine.rows
                   where source = %(source)s and table_name = %(table)s
                   and released_at is null and source_rows = 1) q on q.record_key = r.{key}
    """).format(mark_name=sql.Literal(contract.watermark), **names)
    with db.connect(warehouse_url) as conn:
        conn.execute("create temp table _source_versions (k text, w text) on commit drop")
        with open_reader(source_url, contract,
                         connect_timeout=settings.connect_timeout_seconds,
                         statement_timeout=settings.statement_timeout_seconds) as reader, \
                conn.cursor().copy("copy _source_versions (k, w) from stdin") as copy:
            reader.copy_versions(copy)
        row = conn.execute(sql.SQL("""
            with w as ({warehouse_versions}),
            s as (select k, w from _source_versions)
            select (select count(*) from s),
                   (select coalesce(sum(ingest.version_hash(k, w)), 0) from s),
                   (select count(*) from w),
                   (select coalesce(sum(ingest.version_hash(k, w)), 0) from w),
                   (select count(*) from s full join w using (k)
                    where s.w is distinct from w.w or s.k is null or w.k is null)
        """).format(warehouse_versions=warehouse_versions), params).fetchone()
    return {"source_keys": row[0], "source_digest": int(row[1]), "warehouse_keys": row[2],
            "warehouse_digest": int(row[3]), "keys_differing": row[4]}
