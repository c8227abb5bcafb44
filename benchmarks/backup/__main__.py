"""How long kho backup and kho restore take, and how large the file is, for a province.

    .venv/bin/python benchmarks/backup --scale 100000

Builds a warehouse ``<warehouse db>_bench_backup`` on the configured warehouse server (the
embedded one unless KHO_WAREHOUSE_URL is set) from simulated sources beside it, with
``kho sources seed`` and ``kho materialize`` (kept for the next run at the same scale),
then times a backup of it and a restore into an empty ``<db>_bench_backup_restore``
(migrated to the backup's revision first, as ``kho restore`` does), and prints the size of
the file and the rows of its largest tables.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from kho import backup, db, warehouse


def kho(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "kho.cli", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def built_scale(url: str) -> int | None:
    try:
        with db.connect(url) as conn:
            row = conn.execute("select scale from public.bench_info").fetchone()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return None  # no database, or not built to the end
    return row[0] if row else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    server = warehouse.ensure_warehouse()
    base = db.database_name(server)
    url = db.with_database(server, f"{base}_bench_backup")
    target = db.with_database(server, f"{base}_bench_backup_restore")
    if built_scale(url) != args.scale:
        print(f"building the warehouse at {args.scale:,} persons (seed, materialize)...",
              flush=True)
        env = {**os.environ, "KHO_WAREHOUSE_URL": url}
        started = time.perf_counter()
        kho(env, "sources", "seed", "--scale", str(args.scale), "--seed", str(args.seed))
        kho(env, "materialize")
        with db.connect(url) as conn:
            conn.execute("create table if not exists public.bench_info (scale integer)")
            conn.execute("delete from public.bench_info")
            conn.execute("insert into public.bench_info values (%s)", (args.scale,))
        print(f"  built in {time.perf_counter() - started:.0f} s")
    print(f"warehouse {db.redact(url)}; {args.scale:,} persons; {os.cpu_count()} cores here")

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "kho.zip"
        started = time.perf_counter()
        manifest = backup.backup(url, path)
        backup_seconds = time.perf_counter() - started
        size = path.stat().st_size
        db.drop_database(target)
        warehouse.prepare_database(target)
        started = time.perf_counter()
        backup.restore(target, path)
        restore_seconds = time.perf_counter() - started
    db.drop_database(target)

    rows = sum(t.rows for t in manifest.tables)
    raw = sum(t.bytes for t in manifest.tables)
    print(f"tables                 {len(manifest.tables):>14,}")
    print(f"rows                   {rows:>14,}")
    print(f"COPY text              {raw / 1e6:>12.1f} MB")
    print(f"backup file            {size / 1e6:>12.1f} MB (zip, deflate level 1)")
    print(f"kho backup             {backup_seconds:>12.1f} s  "
          f"({rows / backup_seconds:,.0f} rows/s)")
    print(f"kho restore            {restore_seconds:>12.1f} s  (verify, then load; "
          f"{rows / restore_seconds:,.0f} rows/s)")
    print("largest tables:")
    for t in sorted(manifest.tables, key=lambda t: -t.bytes)[:6]:
        print(f"  {t.name:<44} {t.rows:>12,} rows {t.bytes / 1e6:>10.1f} MB")


if __name__ == "__main__":
    main()
