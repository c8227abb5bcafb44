"""The dbt project, prepared (parsed) lazily and once per process."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from kho.settings import DBT_PROJECT_DIR
from kho.warehouse import dbt_environment

# The schemas dbt builds: a rebuild from raw data drops these and keeps raw_*, quarantine,
# ingest, reference, master_data and kho_meta (the migrations' own, with the publications),
# and entity_resolution (the match weights, estimated once and kept).
DBT_SCHEMAS = ("staging", "intermediate", "marts", "marts_build", "marts_previous",
               "snapshots", "reference_codes", "util")


def ensure_dbt_on_path() -> None:
    """dagster-dbt runs ``dbt`` from PATH; when kho runs from a virtualenv that is not
    activated (``.venv/bin/kho``), the ``dbt`` installed beside it is not on PATH yet."""
    if shutil.which("dbt") is None:
        bindir = str(Path(sys.executable).parent)
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def dbt_executable() -> str:
    """The ``dbt`` installed beside kho (in its virtualenv), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.is_file() else "dbt"


def run_dbt(warehouse_url: str, target_path: Path, *arguments: str,
            env: dict[str, str] | None = None, timeout: float | None = None,
            ) -> subprocess.CompletedProcess:
    """One dbt command (``build``, ``run --select ...``, ``docs generate``) on the project
    against the warehouse at ``warehouse_url``, outside Dagster; its artefacts and its
    log go to ``target_path``."""
    return subprocess.run(
        [dbt_executable(), *arguments,
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target_path), "--log-path", str(target_path)],
        env={**(env or os.environ), **dbt_environment(warehouse_url)},
        capture_output=True, text=True, timeout=timeout)


def _project() -> DbtProject:
    ensure_dbt_on_path()
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


# Where the digest of the project the manifest was parsed from is kept, beside it.
MANIFEST_DIGEST = "kho_manifest.sha256"
# What is not the project: dbt's own output and local state.
NOT_PROJECT = frozenset({"target", "logs", "dbt_packages", ".user.yml"})


def project_digest(directory: Path | None = None) -> str:
    """A digest of the project's files (models, macros, seeds, snapshots, tests, its YAML)
    and of the dbt version parsing them: what the manifest depends on."""
    from dbt.version import __version__ as dbt_version

    directory = directory or DBT_PROJECT_DIR
    digest = hashlib.sha256(dbt_version.encode())
    # dbt's output (target/ gains a folder per run) is not walked at all.
    entries = [entry for entry in directory.iterdir() if entry.name not in NOT_PROJECT]
    files = sorted(path for entry in entries
                   for path in ([entry] if entry.is_file() else entry.rglob("*"))
                   if path.is_file())
    for path in files:
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def prepare_manifest() -> None:
    """Parse the project now, so a run from the CLI always sees the models as they are;
    a manifest parsed from the same files by the same dbt is kept as it is (parsing takes
    seconds on every run otherwise)."""
    project = _project()
    recorded = project.manifest_path.parent / MANIFEST_DIGEST
    digest = project_digest()
    if project.manifest_path.exists() and recorded.exists() \
            and recorded.read_text().strip() == digest:
        return
    project.preparer.prepare(project)
    recorded.write_text(digest + "\n")


@cache
def dbt_project() -> DbtProject:
    """The project with a manifest: parsed under ``dagster dev`` or when it has none yet."""
    project = _project()
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        project.preparer.prepare(project)
    return project
