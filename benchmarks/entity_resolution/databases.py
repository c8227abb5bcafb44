"""The benchmark's databases at one scale: seeded sources, ground truth, loaded warehouse.

Everything here is untimed preparation, kept between runs: the sources are seeded and the
warehouse loaded (raw tables and reference data) only when they do not already hold the
scale asked for, as in benchmarks/warehouse, whose ``loaded_scale``, ``load_warehouse`` and
dbt invocation these mirror.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from kho import db, warehouse
from kho.settings import DBT_PROJECT_DIR, SOURCES
from pipelines.reference.admin_units import load_reference
from pipelines.sources.contracts import CONTRACTS
from pipelines.sources.extract_load import IngestSettings, load_table
from simulated_sources.seed import ensure_seeded


@dataclass(frozen=True)
class BenchDatabases:
    scale: int
    sources: dict[str, str]
    truth: str
    warehouse: str


def bench_databases(server: str, scale: int) -> BenchDatabases:
    prefix = f"{db.database_name(server)}_bench_er{scale}"
    return BenchDatabases(
        scale=scale,
        sources={s: db.with_database(server, f"{prefix}_src_{s}") for s in SOURCES},
        truth=db.with_database(server, f"{prefix}_ground_truth"),
        warehouse=db.with_database(server, f"{prefix}_warehouse"),
    )


def loaded_scale(url: str) -> int | None:
    with db.connect(url) as conn:
        conn.execute("create table if not exists public.bench_info (scale integer)")
        row = conn.execute("select scale from public.bench_info").fetchone()
    return row[0] if row else None


def load_warehouse(url: str, sources: dict[str, str], scale: int) -> float:
    started = time.perf_counter()
    for contract in CONTRACTS:
        load_table(url, sources[contract.source], contract, IngestSettings(full_refresh=True))
    load_reference(url)
    with db.connect(url) as conn:
        conn.execute("delete from public.bench_info")
        conn.execute("insert into public.bench_info values (%s)", (scale,))
    return time.perf_counter() - started


def prepare(databases: BenchDatabases, seed: int) -> list[str]:
    """Seed and load unless already done at this scale; what was done, for the log."""
    done = []
    if ensure_seeded(databases.scale, seed, databases.sources, databases.truth):
        done.append(f"seeded {databases.scale:,} persons")
    db.ensure_database(databases.warehouse)
    with db.connect(databases.warehouse, autocommit=True) as conn:
        for extension in warehouse.EXTENSIONS:
            conn.execute(sql.SQL("create extension if not exists {}").format(
                sql.Identifier(extension)))
    if loaded_scale(databases.warehouse) != databases.scale or done:
        seconds = load_warehouse(databases.warehouse, databases.sources, databases.scale)
        done.append(f"loaded sources and reference data in {seconds:.1f} s")
    return done


def has_relation(url: str, name: str) -> bool:
    with db.connect(url) as conn:
        return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def dbt(url: str, target: Path, *arguments: str) -> tuple[float, list[dict]]:
    """Run one dbt command against the warehouse at ``url``: its wall time in seconds and
    its node results (run_results.json)."""
    env = {**os.environ, **warehouse.dbt_environment(url)}
    executable = str(Path(sys.executable).parent / "dbt")
    started = time.perf_counter()
    result = subprocess.run(
        [executable, *arguments, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
         str(DBT_PROJECT_DIR), "--target-path", str(target), "--threads", "2"],
        env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt {' '.join(arguments)} failed:\n{result.stdout[-4000:]}")
    return seconds, json.loads((target / "run_results.json").read_text())["results"]


def tagged_models(target: Path, tag: str) -> list[str]:
    """Names of the models carrying ``tag``, from the manifest of the last dbt command."""
    manifest = json.loads((target / "manifest.json").read_text())
    return sorted(node["name"] for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and tag in node["tags"])
