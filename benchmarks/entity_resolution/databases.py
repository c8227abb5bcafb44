"""The benchmark's databases at one scale: seeded sources, ground truth, loaded warehouse.

Everything here is untimed preparation, kept between runs: the sources are seeded and the
warehouse loaded (raw tables and reference data, benchmarks/prepared.py) only when they do
not already hold the scale asked for.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kho import db
from kho.settings import SOURCES
from pipelines.dbt.project import run_dbt
from simulated_sources.seed import ensure_seeded

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for prepared.py
from prepared import ensure_loaded


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


def prepare(databases: BenchDatabases, seed: int) -> list[str]:
    """Seed and load unless already done at this scale; what was done, for the log."""
    done = []
    seeded = ensure_seeded(databases.scale, seed, databases.sources, databases.truth)
    if seeded:
        done.append(f"seeded {databases.scale:,} persons")
    loaded = ensure_loaded(databases.warehouse, databases.sources, databases.scale,
                           reload=seeded)
    if loaded is not None:
        done.append(f"loaded sources and reference data in {loaded:.1f} s")
    return done


def has_relation(url: str, name: str) -> bool:
    with db.connect(url) as conn:
        return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def dbt(url: str, target: Path, *arguments: str) -> tuple[float, list[dict]]:
    """Run one dbt command against the warehouse at ``url``: its wall time in seconds and
    its node results (run_results.json)."""
    started = time.perf_counter()
    result = run_dbt(url, target, *arguments, "--threads", "2")
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt {' '.join(arguments)} failed:\n{result.stdout[-4000:]}")
    return seconds, json.loads((target / "run_results.json").read_text())["results"]


def tagged_models(target: Path, tag: str) -> list[str]:
    """Names of the models carrying ``tag``, from the manifest of the last dbt command."""
    manifest = json.loads((target / "manifest.json").read_text())
    return sorted(node["name"] for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and tag in node["tags"])
