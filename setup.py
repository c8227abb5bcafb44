"""The build step pyproject.toml cannot say: the wheel carries the dbt project (models,
macros, seeds, snapshots, tests, dbt_project.yml, profiles.yml) as ``kho/dbt_project``, where
an installed kho finds it (kho.settings.DBT_PROJECT_DIR). An editable install and a checkout
read ``dbt_project/`` in the tree instead."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DBT_PROJECT = Path(__file__).parent / "dbt_project"
# dbt's output and local state, never shipped.
LEFT_OUT = shutil.ignore_patterns("target", "dbt_packages", "logs", ".*", "__pycache__")


class BuildWithDbtProject(build_py):
    def run(self):
        super().run()
        if not self.editable_mode:
            shutil.copytree(DBT_PROJECT, Path(self.build_lib) / "kho" / "dbt_project",
                            ignore=LEFT_OUT, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithDbtProject})
