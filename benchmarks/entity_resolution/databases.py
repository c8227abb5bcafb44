"""The benchmark's databases at one scale and noise: seeded sources, ground truth, loaded
warehouse.

Everything here is untimed preparation, kept between runs: the sources are seeded and the
warehouse loaded (raw tables and reference data, benchmarks/prepared.py) only when they do
not already hold the scale, seed and noise asked for. Noise other than the default gets
databases of its own (their names end in a digest of the rates), so runs at different
noise keep their sources apart; the stored rates are checked all the same, since the
default rates themselves change as kinds are added.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kho import db
from kho.settings import SOURCES
from pipelines.dbt.project import run_dbt
from simulated_sources.noise import NoiseSettings
from simulated_sources.seed import ensure_seeded, read_seed_info

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: prepared, noise_options
from prepared import ensure_loaded


@dataclass(frozen=True)
class BenchDatabases:
    scale: int
    noise: NoiseSettings
    sources: dict[str, str]
    truth: str
    warehouse: str


def noise_digest(noise: NoiseSettings) -> str:
    return hashlib.sha256(json.dumps(noise.as_dict(), sort_keys=True).encode()).hexdigest()[:8]


def bench_databases(server: str, scale: int, noise: NoiseSettings) -> BenchDatabases:
    prefix = f"{db.database_name(server)}_bench_er{scale}"
    if noise != NoiseSettings():
        prefix += f"_noise{noise_digest(noise)}"
    return BenchDatabases(
        scale=scale,
        noise=noise,
        sources={s: db.with_database(server, f"{prefix}_src_{s}") for s in SOURCES},
        truth=db.with_database(server, f"{prefix}_ground_truth"),
        warehouse=db.with_database(server, f"{prefix}_warehouse"),
    )


def prepare(databases: BenchDatabases, seed: int) -> list[str]:
    """Seed and load unless already done at this scale, seed and noise; what was done, for
    the log."""
    done = []
    info = read_seed_info(databases.truth)
    if info is not None and (info["seed"], info["noise"]) != (seed, databases.noise.as_dict()):
        db.drop_database(databases.truth)  # so that ensure_seeded seeds afresh
        done.append(f"the sources held another seed or noise (seed {info['seed']}): "
                    "seeding again")
    seeded = ensure_seeded(databases.scale, seed, databases.sources, databases.truth,
                           settings=databases.noise)
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
