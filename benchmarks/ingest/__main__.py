"""How fast kho ingests a province, against a plain COPY pipe between the same databases.

    .venv/bin/python benchmarks/ingest --scale 1000000

Seeds the simulated sources (default noise) into ``<warehouse db>_bench_src_<source>`` on
the configured warehouse server (the embedded one unless KHO_WAREHOUSE_URL is set), unless
they already hold that scale, then in one run measures:

- plain: every source table piped with ``COPY (SELECT ...) TO STDOUT`` into
  ``COPY ... FROM STDIN`` of a bare table in ``<db>_bench_plain`` (after one warm-up pass,
  so both sides read the sources from a warm cache);
- kho full load: every table's first load into an empty ``<db>_bench_kho`` (validation,
  quarantine, row hashes, primary key, bookkeeping) as kho's ingest step runs it, the tables
  side by side (``load_tables``, one worker process per core): its ratio to the plain pipe is the
  figure with a goal; one table at a time (``KHO_LOAD_CONCURRENCY=1``) is printed for
  reference. The plain pipe and both full loads run ``--rounds`` times, interleaved, and
  each kind's best round counts (every round is printed): the machine may be busy with
  other work, and this weighs on all alike;
- kho full refresh onto the loaded tables (every row re-read, validated and compared by
  hash, keys reconciled);
- kho incremental with nothing changed, per source, without and with key reconciliation;
- the checksum check (every key and watermark of the source against the warehouse);
- the loading processes' peak memory (the database servers are separate processes).
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict
from datetime import timedelta

from psycopg import sql

from kho import db, warehouse
from kho.settings import SOURCES
from pipelines.sources.contracts import CONTRACTS
from pipelines.sources.extract_load import (
    IngestSettings,
    compare_versions,
    load_concurrency,
    load_table,
    load_tables,
)
from simulated_sources.seed import ensure_seeded


def fresh_database(url: str) -> str:
    db.drop_database(url)
    db.ensure_database(url)
    return url


def plain_copy(source_urls: dict[str, str], target: str) -> tuple[int, float]:
    """Pipe every table with COPY TO STDOUT -> COPY FROM STDIN; (rows, seconds)."""
    fresh_database(target)
    total_rows, started = 0, time.perf_counter()
    with db.connect(target) as out:
        for contract in CONTRACTS:
            columns = sql.SQL(", ").join(map(sql.Identifier, contract.column_names))
            name = sql.Identifier(f"{contract.source}__{contract.table}")
            out.execute(sql.SQL("create table {} ({})").format(name, sql.SQL(", ").join(
                sql.SQL("{} text").format(sql.Identifier(c)) for c in contract.column_names)))
            with db.connect(source_urls[contract.source]) as src, \
                    src.cursor().copy(sql.SQL("copy (select {} from {}) to stdout").format(
                        columns, sql.Identifier(contract.table))) as reader, \
                    out.cursor().copy(sql.SQL("copy {} from stdin").format(name)) as writer:
                for block in reader:
                    writer.write(block)
            total_rows += out.cursor().execute(
                sql.SQL("select count(*) from {}").format(name)).fetchone()[0]
            out.commit()
    return total_rows, time.perf_counter() - started


def full_load(target: str, sources: dict[str, str], concurrency: int) -> tuple[int, int, float]:
    """Every table's first load into a fresh ``target``, ``concurrency`` at a time, as kho's
    ingest step runs them; (rows, quarantined, seconds)."""
    fresh_database(target)
    started = time.perf_counter()
    results = []
    for contract, result in load_tables(target, [(c, sources[c.source]) for c in CONTRACTS],
                                        concurrency=concurrency):
        if isinstance(result, BaseException):
            raise RuntimeError(f"{contract.raw_table}: {result}") from result
        results.append(result)
    seconds = time.perf_counter() - started
    return (sum(r.rows_extracted for r in results), sum(r.rows_quarantined for r in results),
            seconds)


def per_source(timings: dict[str, float]) -> str:
    return ", ".join(f"{s} {timings[s]:.2f} s" for s in SOURCES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=2,
                        help="full loads of each kind, interleaved; each kind's best counts")
    args = parser.parse_args()

    server = warehouse.ensure_warehouse()
    base = db.database_name(server)
    sources = {s: db.with_database(server, f"{base}_bench_src_{s}") for s in SOURCES}
    truth = db.with_database(server, f"{base}_bench_ground_truth")
    # Seeded in a child process, so this process's peak memory is the loader's alone.
    if ensure_seeded(args.scale, args.seed, sources, truth):
        print(f"seeded {args.scale:,} persons", flush=True)
    print(f"warehouse server {db.redact(server)}; {args.scale:,} persons")

    # The full loads, interleaved round by round so that whatever else the machine is doing
    # weighs on each kind alike; each kind's best round counts, and every round is shown.
    plain = db.with_database(server, f"{base}_bench_plain")
    target = db.with_database(server, f"{base}_bench_kho")
    concurrency = load_concurrency()
    kinds = {"plain": "plain COPY pipe",
             concurrency: f"kho, {concurrency} tables at a time (as kho's ingest step runs "
                          "them)",
             1: "kho, one table at a time (KHO_LOAD_CONCURRENCY=1, for reference)"}
    seconds: dict = defaultdict(list)
    rows: dict = {}
    plain_copy(sources, plain)  # warm-up: both sides read the sources from a warm cache
    for _ in range(args.rounds):
        rows["plain"], took = plain_copy(sources, plain)
        seconds["plain"].append(took)
        # Gone before kho runs, so the server does not vacuum the pipe's tables meanwhile.
        db.drop_database(plain)
        for kind in (concurrency, 1):
            rows[kind], quarantined, took = full_load(target, sources, kind)
            seconds[kind].append(took)
    plain_rate = rows["plain"] / min(seconds["plain"])
    for kind, label in kinds.items():
        best = min(seconds[kind])
        rounds = ", ".join(f"{s:.1f}" for s in seconds[kind])
        print(f"{label}: {rows[kind]:,} rows in {best:.1f} s (rounds: {rounds} s) = "
              f"{rows[kind] / best:,.0f} rows/s")
        if kind != "plain":
            goal = " (goal: at least 0.50)" if kind == concurrency else ""
            print(f"  ratio kho / plain COPY: {rows[kind] / best / plain_rate:.2f}{goal}")
    print(f"quarantined by each full load: {quarantined:,} rows")

    started = time.perf_counter()
    refreshed = changed = 0
    for contract in CONTRACTS:
        result = load_table(target, sources[contract.source], contract,
                            IngestSettings(full_refresh=True))
        refreshed += result.rows_extracted
        changed += result.rows_inserted + result.rows_updated + result.rows_deleted
    refresh_seconds = time.perf_counter() - started
    print(f"kho full refresh: {refreshed:>10,} rows in {refresh_seconds:6.1f} s = "
          f"{refreshed / refresh_seconds:>9,.0f} rows/s ({changed:,} changed; ratio to plain "
          f"COPY {refreshed / refresh_seconds / plain_rate:.2f})")

    for label, settings in (
            ("incremental, nothing changed", IngestSettings()),
            ("incremental with key reconciliation", IngestSettings(
                key_reconciliation_every=timedelta(0)))):
        timings: dict[str, float] = defaultdict(float)
        for contract in CONTRACTS:
            result = load_table(target, sources[contract.source], contract, settings)
            assert result.rows_inserted == result.rows_updated == 0, contract.raw_table
            timings[contract.source] += result.seconds
        print(f"{label} (seconds per source): {per_source(timings)}")

    timings = defaultdict(float)
    for contract in CONTRACTS:
        started = time.perf_counter()
        figures = compare_versions(target, sources[contract.source], contract)
        assert figures["keys_differing"] == 0, (contract.raw_table, figures)
        timings[contract.source] += time.perf_counter() - started
    print(f"checksum check (seconds per source): {per_source(timings)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The loads ran in worker processes (ended by now): the largest child's peak (the
    # seeder's too, when this run seeded the sources).
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of a loading process: {max(peak, workers):,.0f} MiB (this one "
          f"{peak:,.0f}, the largest child {workers:,.0f}; goal: under 1,024 MiB)")


if __name__ == "__main__":
    main()
