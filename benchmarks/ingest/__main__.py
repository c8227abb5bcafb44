"""How fast kho ingests a province, against a plain COPY pipe between the same databases.

    .venv/bin/python benchmarks/ingest --scale 1000000

Seeds the simulated sources (default noise) into ``<warehouse db>_bench_src_<source>`` on
the configured warehouse server (the embedded one unless KHO_WAREHOUSE_URL is set), unless
they already hold that scale, then in one run measures:

- plain: every source table piped with ``COPY (SELECT ...) TO STDOUT`` into
  ``COPY ... FROM STDIN`` of a bare table in ``<db>_bench_plain`` (measured after one
  warm-up pass, so both sides read the sources from a warm cache);
- kho full load: ``load_table`` of every table into an empty ``<db>_bench_kho`` (each raw
  table's first load: validation, quarantine, row hashes, primary key, bookkeeping); its
  ratio to the plain pipe is the figure with a goal;
- kho full refresh onto the loaded tables (every row re-read, validated and compared by
  hash, keys reconciled);
- kho incremental with nothing changed, per source, without and with key reconciliation;
- the checksum check (every key and watermark of the source against the warehouse);
- this process's peak memory (the loader; the database servers are separate processes).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from collections import defaultdict
from datetime import timedelta

from psycopg import sql

from kho import db, warehouse
from kho.settings import SOURCES
from pipelines.sources.contracts import CONTRACTS
from pipelines.sources.extract_load import IngestSettings, compare_versions, load_table
from simulated_sources.noise import NoiseSettings
from simulated_sources.seed import read_seed_info, seed


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


def per_source(timings: dict[str, float]) -> str:
    return ", ".join(f"{s} {timings[s]:.2f} s" for s in SOURCES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    server = warehouse.ensure_warehouse()
    base = db.database_name(server)
    sources = {s: db.with_database(server, f"{base}_bench_src_{s}") for s in SOURCES}
    truth = db.with_database(server, f"{base}_bench_ground_truth")
    info = read_seed_info(truth)
    if not info or info["scale"] != args.scale or info["days_advanced"]:
        print(f"seeding {args.scale:,} persons ...", flush=True)
        # In a child process, so this process's peak memory is the loader's alone.
        child = multiprocessing.get_context("fork").Process(
            target=seed, args=(args.scale, args.seed, sources, truth),
            kwargs={"settings": NoiseSettings()})
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("seeding failed")
    print(f"warehouse server {db.redact(server)}; {args.scale:,} persons")

    plain = db.with_database(server, f"{base}_bench_plain")
    plain_copy(sources, plain)  # warm-up
    plain_rows, plain_seconds = plain_copy(sources, plain)
    # Gone before kho runs, so the server does not vacuum the pipe's tables meanwhile.
    db.drop_database(plain)
    plain_rate = plain_rows / plain_seconds
    print(f"plain COPY pipe:  {plain_rows:>10,} rows in {plain_seconds:6.1f} s = "
          f"{plain_rate:>9,.0f} rows/s")

    target = fresh_database(db.with_database(server, f"{base}_bench_kho"))
    started = time.perf_counter()
    loaded = quarantined = 0
    for contract in CONTRACTS:
        result = load_table(target, sources[contract.source], contract)
        loaded += result.rows_extracted
        quarantined += result.rows_quarantined
    kho_seconds = time.perf_counter() - started
    kho_rate = loaded / kho_seconds
    print(f"kho full load:    {loaded:>10,} rows in {kho_seconds:6.1f} s = "
          f"{kho_rate:>9,.0f} rows/s ({quarantined:,} quarantined)")
    print(f"ratio kho / plain COPY: {kho_rate / plain_rate:.2f} (goal: at least 0.50)")

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
    print(f"peak memory of this process: {peak:,.0f} MiB (goal: under 1,024 MiB)")


if __name__ == "__main__":
    main()
