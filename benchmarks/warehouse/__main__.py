"""How long the full dbt build of the warehouse takes, and which models take it.

    .venv/bin/python benchmarks/warehouse --scale 1000000

On the configured warehouse server (the embedded one unless KHO_WAREHOUSE_URL is set):
seeds the simulated sources into ``<db>_bench_src_<source>`` unless they already hold that
scale (shared with benchmarks/ingest), loads them and the reference data into
``<db>_bench_warehouse`` unless it already holds them, then drops everything dbt built
there and times one full ``dbt build`` (seeds, staging, intermediate, marts, snapshots,
every test) plus publishing, and prints the ten slowest nodes. Goal: the build in under
5 minutes at 1,000,000 persons on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from psycopg import sql

from kho import db, warehouse
from pipelines.dbt.project import DBT_SCHEMAS, run_dbt
from pipelines.dbt.publish import mart_models, publish
from pipelines.sources.contracts import CONTRACTS
from simulated_sources.seed import ensure_seeded

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for prepared.py
from prepared import bench_databases, ensure_loaded


def drop_dbt_schemas(url: str) -> None:
    with db.connect(url) as conn:
        for schema in DBT_SCHEMAS:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(schema)))


def dbt_build(url: str, target: Path) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    result = run_dbt(url, target, "build", "--threads", "2")
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt build failed:\n{result.stdout[-4000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    server = warehouse.ensure_warehouse()
    sources, truth, target_url = bench_databases(server, "bench")
    seeded = ensure_seeded(args.scale, args.seed, sources, truth)
    if seeded:
        print(f"seeded {args.scale:,} persons", flush=True)
    loaded = ensure_loaded(target_url, sources, args.scale, reload=seeded)
    if loaded is not None:
        print(f"loaded sources and reference data in {loaded:.1f} s", flush=True)
    with db.connect(target_url) as conn:
        raw_rows = sum(conn.execute(sql.SQL("select count(*) from {}").format(
            sql.Identifier(c.raw_schema, c.table))).fetchone()[0] for c in CONTRACTS)
    print(f"warehouse server {db.redact(server)}; {args.scale:,} persons, "
          f"{raw_rows:,} raw rows")

    drop_dbt_schemas(target_url)
    with tempfile.TemporaryDirectory() as target:
        seconds, results = dbt_build(target_url, Path(target))
        manifest = json.loads((Path(target) / "manifest.json").read_text())
    marts = mart_models(manifest)
    started = time.perf_counter()
    publication = publish(target_url, marts)
    publish_seconds = time.perf_counter() - started

    kinds = Counter(r["unique_id"].split(".")[0] for r in results)
    print(f"dbt build: {seconds:.1f} s for {len(results)} nodes "
          f"({', '.join(f'{n} {k}s' for k, n in sorted(kinds.items()))}); goal: under 300 s")
    print(f"publish: {publish_seconds:.2f} s "
          f"({sum(publication.row_counts.values()):,} rows in {len(marts)} marts)")
    print("slowest ten nodes:")
    for r in sorted(results, key=lambda r: -r["execution_time"])[:10]:
        print(f"  {r['execution_time']:7.1f} s  {r['unique_id']}")


if __name__ == "__main__":
    main()
