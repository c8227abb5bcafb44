"""The dbt project, prepared (parsed) lazily and once per process."""

from __future__ import annotations

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
# ingest, reference, master_data and kho_meta (the migrations' own, with the publications).
DBT_SCHEMAS = ("staging", "intermediate", "marts", "marts_build", "marts_previous",
               "snapshots", "reference_codes", "util")


def ensure_dbt_on_path() -> None:
    """dagster-dbt runs ``dbt`` from PATH; when kho runs from a virtualenv that is not
    activated (``.venv/bin/kho``), the ``dbt`` installed beside it is not on PATH yet."""
    if shutil.which("dbt") is None:
        bindir = str(Path(sys.executable).parent)
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def run_dbt(warehouse_url: str, target_path: Path, *arguments: str,
            env: dict[str, str] | None = None, timeout: float | None = None,
            ) -> subprocess.CompletedProcess:
    """One dbt command (``build``, ``run --select ...``, ``docs generate``) on the project
    against the warehouse at ``warehouse_url``, outside Dagster; its artefacts go to
    ``target_path``."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *arguments,
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target_path)],
        env={**(env or os.environ), **dbt_environment(warehouse_url)},
        capture_output=True, text=True, timeout=timeout)


def _project() -> DbtProject:
    ensure_dbt_on_path()
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_manifest() -> None:
    """Parse the project now, so a run from the CLI always sees the models as they are."""
    project = _project()
    project.preparer.prepare(project)


@cache
def dbt_project() -> DbtProject:
    """The project with a manifest: parsed under ``dagster dev`` or when it has none yet."""
    project = _project()
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        project.preparer.prepare(project)
    return project
