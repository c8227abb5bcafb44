"""kho installed from its wheel, as on a server: the wheel carries the dbt project and the
web assets, and the installed kho runs the pipelines from its own copy of the project.

The fresh virtualenv borrows its dependencies from this one's site-packages (a ``.pth``
line: the editable kho registered there is not loaded through it), so nothing is
downloaded but the build backend."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from kho.settings import REPO_ROOT
from tests.conftest import make_deployment, teardown_deployment


def _sources(destination: Path) -> Path:
    """The tree's files git knows of (tracked, or new and not ignored): no build output."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             "-z"], cwd=REPO_ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv with only the wheel installed in it; its prefix."""
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("the wheel is built from a git checkout")
    work = tmp_path_factory.mktemp("wheel")
    source = _sources(work / "src")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                            "-w", str(work / "dist"), str(source)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    [wheel] = (work / "dist").glob("kho-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                              "--no-deps", "--quiet", str(wheel)], capture_output=True,
                             text=True, env=_environment(venv, {}))
    assert install.returncode == 0, install.stderr
    # Only now: with this virtualenv's kho (editable) in sight, pip would take the wheel's
    # as installed already.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    Path(site.stdout.strip(), "kho-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    return venv


def _environment(venv: Path, extra: dict[str, str]) -> dict[str, str]:
    """The installed kho only: no PYTHONPATH to a tree; dbt and Dagster's programs from
    the virtualenv the dependencies come from."""
    env = {k: v for k, v in {**os.environ, **extra}.items() if k != "PYTHONPATH"}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), str(Path(sys.executable).parent),
                                   env.get("PATH", "")])
    return env


def test_the_wheel_carries_the_dbt_project_and_the_web_assets(installed):
    python = installed / "bin" / "python"
    found = subprocess.run(
        [str(python), "-c", "import kho, graphql_api; from kho.settings import "
         "DBT_PROJECT_DIR as d; print(kho.__file__); print(d); print(graphql_api.__file__)"],
        capture_output=True, text=True, cwd=installed, env=_environment(installed, {}))
    assert found.returncode == 0, found.stderr
    kho_file, project, api_file = map(Path, found.stdout.split())
    assert kho_file.is_relative_to(installed)
    assert project == kho_file.parent / "dbt_project"
    for name in ("dbt_project.yml", "profiles.yml", "models/marts/persons/dim_person.sql",
                 "macros/stable_id.sql", "seeds", "snapshots", "tests"):
        assert (project / name).exists(), name
    shipped = {p.relative_to(project) for p in project.rglob("*") if p.is_file()}
    in_tree = {p.relative_to(REPO_ROOT / "dbt_project")
               for p in (REPO_ROOT / "dbt_project").rglob("*")
               if p.is_file() and not p.name.startswith(".")
               and p.relative_to(REPO_ROOT / "dbt_project").parts[0] not in
               ("target", "dbt_packages", "logs")}
    assert shipped == in_tree
    vendor = api_file.parent / "static" / "vendor"
    assert (vendor / "graphiql@3.8.3" / "graphiql.min.js").is_file()
    assert (api_file.parent / "static" / "index.html").is_file()
    assert (api_file.parent / "dictionary" / "fields.csv").is_file()


def test_the_installed_kho_runs_the_pipelines_from_its_own_dbt_project(installed, tmp_path):
    deployment = make_deployment("server", tmp_path / "home")
    env = _environment(installed, deployment.env)
    kho = str(installed / "bin" / "kho")

    def run(*args: str) -> str:
        result = subprocess.run([kho, *args], env=env, cwd=tmp_path, capture_output=True,
                                text=True, timeout=900)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    try:
        run("sources", "seed", "--scale", "20", "--seed", "4")
        output = run("materialize")
        assert output.splitlines()[-1].startswith("succeeded in "), output
        assert "0 checks failed" in output.splitlines()[-1], output
        project = next(installed.glob("lib/python*/site-packages/kho/dbt_project"))
        assert (project / "target" / "manifest.json").is_file()  # parsed from this copy
        imported = subprocess.run([str(installed / "bin" / "python"), "-c",
                                   "import kho.runner; print(kho.runner.__file__)"],
                                  env=env, cwd=tmp_path, capture_output=True, text=True)
        assert Path(imported.stdout.strip()).is_relative_to(installed), imported
    finally:
        teardown_deployment(deployment)
