"""How fast the simulated province seeds, against a plain COPY of the same rows.

    .venv/bin/python benchmarks/seed_sources.py --scale 1000000 [--noise KIND=RATE ...]
        [--noise-level F]

Seeds, at the default noise unless the options say otherwise, into databases
``<warehouse db>_bench_src_<source>`` and ``<warehouse db>_bench_ground_truth`` on the
configured warehouse server (the embedded one unless KHO_WAREHOUSE_URL is set), so the
demo's own sources are left alone. Prints the time of each phase, rows per second, and the
ratio to re-loading the largest table's rows with a bare ``COPY FROM STDIN`` (the floor any
loader of that server pays).
"""

from __future__ import annotations

import argparse
import io
import time

from noise_options import add_noise_options, describe, noise_settings

from kho import db, warehouse
from kho.settings import SOURCES
from simulated_sources.seed import seed


def plain_copy_rate(url: str, table: str) -> tuple[int, float]:
    """Rows per second of re-loading ``table``'s own rows with one bare COPY."""
    buffer = io.BytesIO()
    with db.connect(url) as conn:
        with conn.cursor().copy(f"copy {table} to stdout") as copy:
            for block in copy:
                buffer.write(block)
        rows = conn.execute(f"select count(*) from {table}").fetchone()[0]
        conn.execute(f"create temp table plain_copy (like {table})")
        started = time.perf_counter()
        with conn.cursor().copy("copy plain_copy from stdin") as copy:
            copy.write(buffer.getvalue())
        seconds = time.perf_counter() - started
        conn.rollback()
    return rows, rows / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    add_noise_options(parser)
    args = parser.parse_args()
    noise = noise_settings(parser, args)

    server = warehouse.ensure_warehouse()
    base = db.database_name(server)
    urls = {s: db.with_database(server, f"{base}_bench_src_{s}") for s in SOURCES}
    truth = db.with_database(server, f"{base}_bench_ground_truth")
    print(f"seeding {args.scale:,} persons, {describe(noise, args.noise_level)}, into "
          f"{db.redact(server)} (2 cores here)")
    report = seed(args.scale, args.seed, urls, truth, settings=noise,
                  progress=lambda m: print(f"  {m}", flush=True))
    with db.connect(truth) as conn:
        truth_rows = sum(conn.execute(f"select count(*) from {t}").fetchone()[0]
                         for t in ("source_records", "source_noise", "source_defects"))
    (source, table), largest = max(report.rows.items(), key=lambda item: item[1])
    _, floor = plain_copy_rate(urls[source], table)
    rate = report.total_rows / report.seconds
    print()
    print(f"persons                     {args.scale:>14,}")
    print(f"source rows                 {report.total_rows:>14,}")
    print(f"ground-truth rows           {truth_rows:>14,}")
    print(f"generate province           {report.generate_seconds:>12.1f} s")
    print(f"render + write              {report.seconds - report.generate_seconds:>12.1f} s")
    print(f"total                       {report.seconds:>12.1f} s")
    print(f"source rows per second      {rate:>14,.0f}")
    print(f"plain COPY of {source}.{table} ({largest:,} rows): {floor:,.0f} rows/s")
    print(f"ratio seed / plain COPY     {rate / floor:>14.2f}")


if __name__ == "__main__":
    main()
