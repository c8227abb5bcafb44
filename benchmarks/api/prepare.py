"""The benchmark's warehouse: ``<db>_bench_api`` on the configured server, built once per scale.

The simulated sources are seeded into ``<db>_bench_src_<source>`` (shared with
benchmarks/ingest and benchmarks/warehouse) unless they hold the scale, and loaded with
benchmarks/prepared.py. The marts are built, published and given their master-ID map only
when ``public.bench_api_build`` records no build of this scale and of the dbt project as it
is now (the API is read against marts of the same models), or the raw data was just loaded
again: the build takes minutes, the measurement seconds.

A database of its own rather than benchmarks/warehouse's ``<db>_bench_warehouse``: that
benchmark rebuilds its marts from scratch on every run (at 1,000,000 persons by default), so
sharing it would cost each benchmark the other's work.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

from psycopg import sql

from kho import db
from kho.settings import DBT_PROJECT_DIR, SOURCES
from pipelines.dbt.project import DBT_SCHEMAS, run_dbt
from pipelines.dbt.publish import PUBLISHED_SCHEMA, mart_models, publish
from pipelines.master_data.ids import record_master_ids
from simulated_sources.seed import ensure_seeded

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for prepared.py
from prepared import ensure_loaded

BUILD_TABLE = "public.bench_api_build"
# What a dbt build makes of the raw data depends on these files of the project.
PROJECT_PARTS = ("dbt_project.yml", "macros", "models", "seeds", "snapshots", "tests")


def project_digest() -> str:
    """A hash of the dbt project's models, macros, seeds, snapshots and tests."""
    digest = hashlib.sha256()
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        relative = path.relative_to(DBT_PROJECT_DIR)
        if path.is_file() and relative.parts[0] in PROJECT_PARTS:
            digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _built(url: str) -> tuple[int, str] | None:
    """The scale and project digest of the published build, None when there is none."""
    with db.connect(url) as conn:
        if not conn.execute("select to_regclass(%s) is not null and "
                            "to_regclass('marts.dim_person') is not null",
                            (BUILD_TABLE,)).fetchone()[0]:
            return None
        return conn.execute(f"select scale, project_digest from {BUILD_TABLE}").fetchone()


def build(url: str, scale: int, digest: str) -> float:
    """From the raw tables to published marts and master IDs, from scratch; seconds taken.

    Snapshots and the master-ID map of an earlier build go too (the map is emptied): they
    would carry the other scale's persons along (and the map refuses to retire them all at
    once)."""
    started = time.perf_counter()
    with db.connect(url) as conn:
        conn.execute(f"drop table if exists {BUILD_TABLE}")
        conn.execute(f"create table {BUILD_TABLE} (scale integer not null, project_digest "
                     "text not null, built_at timestamptz not null default now())")
        for schema in DBT_SCHEMAS:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(schema)))
        # master_data is the migrations' (made when the sources were loaded): emptied.
        tables = [sql.Identifier("master_data", name) for (name,) in conn.execute(
            "select tablename from pg_tables where schemaname = 'master_data'")]
        if tables:
            conn.execute(sql.SQL("truncate {} cascade").format(sql.SQL(", ").join(tables)))
    with tempfile.TemporaryDirectory() as target:
        result = run_dbt(url, Path(target), "build", "--threads", "2")
        if result.returncode != 0:
            raise SystemExit(f"dbt build failed:\n{result.stdout[-4000:]}")
        manifest = json.loads((Path(target) / "manifest.json").read_text())
    publish(url, mart_models(manifest))
    record_master_ids(url)
    # Statistics and visibility maps now, so that the figures do not depend on whether
    # autovacuum has reached the new tables yet.
    with db.connect(url, autocommit=True) as conn:
        tables = conn.execute("select schemaname, tablename from pg_tables "
                              "where schemaname in (%s, 'master_data')",
                              (PUBLISHED_SCHEMA,)).fetchall()
        for schema, table in tables:
            conn.execute(sql.SQL("vacuum (analyze) {}").format(sql.Identifier(schema, table)))
        conn.execute(f"insert into {BUILD_TABLE} (scale, project_digest) values (%s, %s)",
                     (scale, digest))
    return time.perf_counter() - started


def bench_warehouse(server: str, scale: int, seed: int) -> tuple[str, list[str]]:
    """The URL of the benchmark's warehouse, ready at ``scale``; what was done, for the log."""
    base = db.database_name(server)
    sources = {s: db.with_database(server, f"{base}_bench_src_{s}") for s in SOURCES}
    truth = db.with_database(server, f"{base}_bench_ground_truth")
    url = db.with_database(server, f"{base}_bench_api")
    done = []
    seeded = ensure_seeded(scale, seed, sources, truth)
    if seeded:
        done.append(f"seeded {scale:,} persons")
    loaded = ensure_loaded(url, sources, scale, reload=seeded)
    if loaded is not None:
        done.append(f"loaded sources and reference data in {loaded:.1f} s")
    digest = project_digest()
    if loaded is not None or _built(url) != (scale, digest):
        seconds = build(url, scale, digest)
        done.append(f"built and published the marts and master IDs in {seconds:.1f} s")
    return url, done
