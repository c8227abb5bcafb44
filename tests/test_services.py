"""kho as services: the Dagster instance kho writes, its run queue on PostgreSQL, and the
systemd units of ``kho deploy systemd``."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kho import db
from kho.cli import main
from kho.dagster_instance import MARK, prepare_dagster_home
from kho.settings import load_settings
from tests.conftest import LOCAL_SERVER, local_server_available

UNITS = {"kho-api.service": "serve", "kho-pipelines-daemon.service": "pipelines daemon",
         "kho-pipelines-ui.service": "pipelines ui", "kho-webhooks.service": "webhooks deliver"}


@pytest.fixture
def no_dagster_home(monkeypatch):
    """DAGSTER_HOME unset (empty), and put back as it was after the test."""
    monkeypatch.setenv("DAGSTER_HOME", "")
    monkeypatch.delenv("DAGSTER_PG_PASSWORD", raising=False)


def _instance(home: str):
    from dagster import DagsterInstance

    return DagsterInstance.from_config(home)


def test_embedded_warehouse_keeps_dagster_in_sqlite_under_kho_home(tmp_path, no_dagster_home):
    from dagster import QueuedRunCoordinator
    from dagster._core.storage.runs import SqliteRunStorage

    home = prepare_dagster_home(load_settings({"KHO_HOME": str(tmp_path)}))
    assert home == str(tmp_path / "dagster")
    with _instance(home) as instance:
        assert isinstance(instance.run_storage, SqliteRunStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert limits == [{"key": "kho/writes", "value": "warehouse", "limit": 1}]
    assert (tmp_path / "dagster" / "history" / "runs.db").is_file()


def test_kho_rewrites_its_own_dagster_yaml_and_keeps_an_operators(tmp_path, no_dagster_home):
    config = tmp_path / "dagster" / "dagster.yaml"
    config.parent.mkdir()
    config.write_text("telemetry:\n  enabled: false\n")  # what kho wrote before the mark
    prepare_dagster_home(load_settings({"KHO_HOME": str(tmp_path)}))
    assert config.read_text().startswith(MARK)
    server = load_settings({"KHO_HOME": str(tmp_path),
                            "KHO_WAREHOUSE_URL": "postgresql://kho:pw@db.internal:6432/wh"})
    from kho.dagster_instance import instance_yaml

    written = yaml.safe_load(instance_yaml(server))
    assert written["storage"]["postgres"]["postgres_db"] == {
        "username": "kho", "hostname": "db.internal", "port": 6432, "db_name": "wh_dagster",
        "scheme": "postgresql+psycopg2", "password": {"env": "DAGSTER_PG_PASSWORD"}}
    assert "pw" not in instance_yaml(server).replace("password", "")
    own = "# my own\ntelemetry:\n  enabled: true\n"
    config.write_text(own)
    prepare_dagster_home(load_settings({"KHO_HOME": str(tmp_path)}))
    assert config.read_text() == own


def test_cli_home_follows_kho_home(tmp_path, no_dagster_home):
    """export DAGSTER_HOME=$(kho pipelines home) gives dagster dev kho's instance, wherever
    KHO_HOME is."""
    result = CliRunner().invoke(main, ["pipelines", "home"],
                                env={"KHO_HOME": str(tmp_path / "elsewhere"),
                                     "DAGSTER_HOME": ""})
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'elsewhere' / 'dagster'}\n"
    assert (tmp_path / "elsewhere" / "dagster" / "dagster.yaml").read_text().startswith(MARK)


@pytest.fixture
def server_settings(tmp_path, no_dagster_home):
    if not local_server_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    url = db.with_database(LOCAL_SERVER, f"kho_test_{uuid.uuid4().hex[:8]}")
    yield load_settings({"KHO_HOME": str(tmp_path), "KHO_WAREHOUSE_URL": url})
    db.drop_database(db.with_database(url, f"{db.database_name(url)}_dagster"))


def _submit(instance, tags: dict) -> str:
    """A run submitted to the instance's coordinator, as the schedule daemon submits it."""
    from dagster._core.remote_origin import (
        RegisteredCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.run_coordinator import SubmitRunContext
    from dagster._core.test_utils import create_run_for_test

    origin = RemoteJobOrigin(RemoteRepositoryOrigin(
        RegisteredCodeLocationOrigin("pipelines.definitions"), "__repository__"),
        "materialize_all")
    run = create_run_for_test(instance, job_name="materialize_all", tags=tags,
                              remote_job_origin=origin)
    instance.run_coordinator.submit_run(SubmitRunContext(run, workspace=None))
    return run.run_id


class _Workspace:
    """What the queue's daemon asks of a workspace, with the test's instance."""

    def __init__(self, instance):
        self.instance = instance

    def create_request_context(self):
        return None


def test_a_server_warehouse_queues_the_warehouse_writers_one_at_a_time(server_settings):
    """Dagster keeps its runs in <warehouse db>_dagster; of two materialize_all runs
    submitted together, the queue's daemon starts one and keeps the other queued until the
    first has finished."""
    from dagster import DagsterRunStatus
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
        QueuedRunCoordinatorDaemon,
    )
    from dagster_postgres import PostgresRunStorage

    from pipelines.definitions import ingest_incremental, materialize_all

    home = Path(prepare_dagster_home(server_settings))
    storage = db.with_database(server_settings.warehouse_url,
                               f"{db.database_name(server_settings.warehouse_url)}_dagster")
    with _instance(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
    with db.connect(storage) as conn:
        assert conn.execute("select to_regclass('runs')").fetchone()[0] == "runs"
    assert materialize_all.tags == ingest_incremental.tags == {"kho/writes": "warehouse"}

    # The same instance, with a launcher that records the runs instead of running them.
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    config["run_launcher"] = {"module": "dagster._core.test_utils",
                              "class": "MockedRunLauncher"}
    test_home = home.parent / "dagster-test"
    test_home.mkdir()
    (test_home / "dagster.yaml").write_text(yaml.safe_dump(config))
    with _instance(str(test_home)) as instance:
        first = _submit(instance, materialize_all.tags)
        second = _submit(instance, materialize_all.tags)
        other = _submit(instance, {"kho/reads": "only"})
        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)

        def dequeue() -> dict[str, DagsterRunStatus]:
            list(daemon.run_iteration(_Workspace(instance)))
            return {name: instance.get_run_by_id(run_id).status
                    for name, run_id in (("first", first), ("second", second),
                                         ("other", other))}

        status = dequeue()
        assert status["other"] == DagsterRunStatus.STARTING  # not a warehouse writer
        assert {status["first"], status["second"]} == {DagsterRunStatus.STARTING,
                                                      DagsterRunStatus.QUEUED}
        started, waiting = (first, second) if status["first"] == DagsterRunStatus.STARTING \
            else (second, first)
        instance.report_run_failed(instance.get_run_by_id(started))
        assert dequeue()["first" if waiting == first else "second"] == \
            DagsterRunStatus.STARTING
        daemon.__exit__(None, None, None)


def test_deploy_systemd_writes_units_that_verify(tmp_path):
    home = tmp_path / "home"
    result = CliRunner().invoke(main, ["deploy", "systemd", "--user", "root", "--output",
                                       str(tmp_path / "units")],
                                env={"KHO_HOME": str(home)})
    assert result.exit_code == 0, result.output
    kho = Path(sys.prefix).absolute() / "bin" / "kho"
    for name, command in UNITS.items():
        path = tmp_path / "units" / name
        assert f"wrote {path}\n" in result.stdout
        unit = configparser.ConfigParser(interpolation=None, strict=True)
        unit.optionxform = str
        unit.read_string(path.read_text())
        service = unit["Service"]
        assert service["ExecStart"] == f"{kho} {command}"
        assert service["User"] == "root"
        assert service["EnvironmentFile"] == "/etc/kho/kho.env"
        assert service["Environment"] == f"KHO_HOME={home}"
        assert service["Restart"] == "on-failure"
        for option, value in (("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
                              ("ProtectSystem", "strict")):
            assert service[option] == value
        assert str(home) in service["ReadWritePaths"].split()
        assert unit["Install"]["WantedBy"] == "multi-user.target"
    if shutil.which("systemd-analyze"):
        home.mkdir()
        verified = subprocess.run(["systemd-analyze", "verify",
                                   *(str(tmp_path / "units" / n) for n in UNITS)],
                                  capture_output=True, text=True)
        assert verified.returncode == 0, verified.stderr
        assert "kho" not in verified.stderr, verified.stderr


@pytest.mark.parametrize(("arguments", "program", "rest"), [
    (["pipelines", "daemon"], "dagster-daemon", ["run", "-m", "pipelines.definitions"]),
    (["pipelines", "ui", "--host", "0.0.0.0", "--port", "3100"], "dagster-webserver",
     ["-h", "0.0.0.0", "-p", "3100", "-m", "pipelines.definitions"]),
])
def test_the_pipelines_services_become_dagsters_programs(tmp_path, monkeypatch, no_dagster_home,
                                                        arguments, program, rest):
    """kho hands its process to Dagster's program (so signals and the exit code are
    Dagster's), with the instance under KHO_HOME and the code location prepared."""
    import os

    from pipelines.dbt import project

    execs, parsed = [], []
    monkeypatch.setattr(project, "prepare_manifest", lambda: parsed.append(True))
    monkeypatch.setattr(os, "execv", lambda path, argv: execs.append(
        (path, argv, os.environ["DAGSTER_HOME"])))
    result = CliRunner().invoke(main, arguments, env={"KHO_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    path = str(Path(sys.executable).parent / program)
    assert execs == [(path, [path, *rest], str(tmp_path / "dagster"))]
    assert parsed == [True]
    assert Path(path).exists()
