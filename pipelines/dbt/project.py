"""The dbt project, prepared (parsed) lazily and once per process."""

from __future__ import annotations

import os
import shutil
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from kho.settings import DBT_PROJECT_DIR


def ensure_dbt_on_path() -> None:
    """dagster-dbt runs ``dbt`` from PATH; when kho runs from a virtualenv that is not
    activated (``.venv/bin/kho``), the ``dbt`` installed beside it is not on PATH yet."""
    if shutil.which("dbt") is None:
        bindir = str(Path(sys.executable).parent)
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


@cache
def dbt_project(refresh: bool = False) -> DbtProject:
    """The project with a manifest: parsed under ``dagster dev``, when missing, or on request."""
    ensure_dbt_on_path()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    if refresh or not project.manifest_path.exists():
        project.preparer.prepare(project)
    return project
