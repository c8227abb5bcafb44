"""kho as services: the Dagster instance kho writes, its run queue on PostgreSQL, and the
systemd units of ``kho deploy systemd``."""

from __future__ import annotations

import configparser
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kho import db
from kho.cli import main
from kho.dagster_instance import MARK, prepare_dagster_home
from kho.settings import load_settings
from tests.conftest import (
    LOCAL_SERVER,
    kho_fails,
    local_server_available,
    make_deployment,
    teardown_deployment,
)

UNITS = {"kho-api.service": "serve", "kho-pipelines-daemon.service": "pipelines daemon",
         "kho-pipelines-ui.service": "pipelines ui", "kho-webhooks.service": "webhooks deliver",
         "kho-pipelines-prune.service": "pipelines prune"}
TIMED = {"kho-pipelines-prune.service"}


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


def _job_origin():
    """Where a run of materialize_all comes from, as the daemon records it."""
    from dagster._core.remote_origin import (
        RegisteredCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )

    return RemoteJobOrigin(RemoteRepositoryOrigin(
        RegisteredCodeLocationOrigin("pipelines.definitions"), "__repository__"),
        "materialize_all")


def _submit(instance, tags: dict) -> str:
    """A run submitted to the instance's coordinator, as the schedule daemon submits it."""
    from dagster._core.run_coordinator import SubmitRunContext
    from dagster._core.test_utils import create_run_for_test

    run = create_run_for_test(instance, job_name="materialize_all", tags=tags,
                              remote_job_origin=_job_origin())
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
        unit = _unit(path)
        service = unit["Service"]
        assert service["ExecStart"] == f"{kho} {command}"
        assert service["User"] == "root"
        assert service["EnvironmentFile"] == "/etc/kho/kho.env"
        assert service["Environment"] == f"KHO_HOME={home}"
        for option, value in (("NoNewPrivileges", "yes"), ("PrivateTmp", "yes"),
                              ("ProtectSystem", "strict")):
            assert service[option] == value
        assert str(home) in service["ReadWritePaths"].split()
        if name in TIMED:  # started by its timer, once each time
            assert service["Type"] == "oneshot"
            assert "Restart" not in service and "Install" not in unit
        else:
            assert service["Restart"] == "on-failure"
            assert unit["Install"]["WantedBy"] == "multi-user.target"
    timer = _unit(tmp_path / "units" / "kho-pipelines-prune.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 03:30:00"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert result.stdout.rstrip().endswith(
        "systemctl enable --now kho-api.service kho-pipelines-daemon.service "
        "kho-pipelines-ui.service kho-webhooks.service kho-pipelines-prune.timer")
    if shutil.which("systemd-analyze"):
        home.mkdir()
        verified = subprocess.run(["systemd-analyze", "verify",
                                   *(str(tmp_path / "units" / n) for n in UNITS),
                                   str(tmp_path / "units" / "kho-pipelines-prune.timer")],
                                  capture_output=True, text=True)
        assert verified.returncode == 0, verified.stderr
        assert "kho" not in verified.stderr, verified.stderr


def _unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str
    unit.read_string(path.read_text())
    return unit


@pytest.mark.parametrize(("arguments", "program", "rest"), [
    (["pipelines", "daemon"], "dagster-daemon", ["run", "-m", "pipelines.definitions"]),
    (["pipelines", "ui", "--host", "0.0.0.0", "--port", "3100"], "dagster-webserver",
     ["-h", "0.0.0.0", "-p", "3100", "-m", "pipelines.definitions"]),
])
def test_the_pipelines_services_become_dagsters_programs(tmp_path, monkeypatch, no_dagster_home,
                                                        arguments, program, rest):
    """kho hands its process to Dagster's program (so signals and the exit code are
    Dagster's), with the instance under KHO_HOME and the code location prepared."""
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


# -- the daemon on PostgreSQL storage, and kho materialize beside it -----------------------------

def _scheduled_runs(instance) -> list:
    from dagster._core.storage.tags import SCHEDULE_NAME_TAG

    return [r for r in instance.get_run_records()
            if SCHEDULE_NAME_TAG in r.dagster_run.tags]


def _stop_schedules(instance) -> None:
    """As the UI's stop button does: the schedules' stored state becomes stopped."""
    from dagster._core.definitions.run_request import InstigatorType

    for state in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE):
        instance.stop_schedule(state.instigator_origin_id, state.selector_id)


def _lock_holder(url: str) -> str | None:
    """The application_name of the session holding the warehouse writers' lock (of this
    database: other tests' deployments on the same server hold their own)."""
    from kho.writer_lock import holder

    with db.connect(url) as conn:
        row = holder(conn)
    return row[0] if row else None


def _sessions(url: str) -> str:
    """What every session of the warehouse database is doing, for a failure's message."""
    with db.connect(url) as conn:
        return "\n".join(" | ".join(map(str, row)) for row in conn.execute(
            "select pid, application_name, state, wait_event_type, wait_event, "
            "now() - state_change, left(query, 100) from pg_stat_activity "
            "where datname = current_database() and pid <> pg_backend_pid()"))


def _writing_interval(instance, run_id: str) -> tuple[float, float] | None:
    """While the run could write: from when it held the warehouse (the daemon's runs say
    so in their event log; kho materialize holds it before its run starts) to its end.
    None: it never held it."""
    from dagster import DagsterEventType

    from pipelines.warehouse_writer import HOLDING

    record = instance.get_run_record_by_id(run_id)
    held = [e.timestamp for e in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
            if e.dagster_event.message == HOLDING]
    if record.dagster_run.remote_job_origin is None:  # run in process by kho materialize
        held = [record.start_time]
    return (min(held), record.end_time) if held else None


def _wait_for(what: str, predicate, timeout: float, process: subprocess.Popen, log: Path):
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if process.poll() is not None:
            raise AssertionError(f"the daemon exited {process.returncode} before {what}:\n"
                                 f"{log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout:.0f} s; daemon log:\n"
                                 f"{log.read_text()[-5000:]}")
        time.sleep(0.5)


def test_the_daemon_starts_scheduled_runs_one_at_a_time_and_kho_materialize_waits(tmp_path):
    """kho pipelines daemon on PostgreSQL storage, both schedules due every minute: at the
    minute it submits a run of each job; one starts and holds the warehouse, the other stays
    queued; kho materialize refuses (--no-wait) or waits. Once the first run is canceled,
    the others follow one at a time, and no run started a step while another could write.
    (A run of the daemon takes minutes even on a small warehouse, a process per step: the
    test cancels them rather than waits.)"""
    from dagster import DagsterInstance, DagsterRunStatus

    deployment = make_deployment("server", tmp_path / "home")
    env = {**deployment.env, "KHO_SCHEDULES": "on", "KHO_FULL_REFRESH_CRON": "* * * * *",
           "KHO_INCREMENTAL_CRON": "* * * * *"}
    url = deployment.env["KHO_WAREHOUSE_URL"]
    log = tmp_path / "daemon.log"
    daemon = waiting = None
    try:
        deployment.kho("sources", "seed", "--scale", "20", "--seed", "3")
        deployment.kho("migrate")
        # Loaded and published first, so the new_source_data sensor (on with the schedules)
        # finds nothing to run: the runs this test watches are the schedules' own.
        deployment.kho("materialize")
        home = deployment.kho("pipelines", "home").stdout.strip()
        with log.open("w") as out:
            daemon = subprocess.Popen([sys.executable, "-m", "kho.cli", "pipelines", "daemon"],
                                      env=env, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        with DagsterInstance.from_config(home) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            pair = _wait_for("scheduled runs", lambda: len(_scheduled_runs(instance)) >= 2 and
                             _scheduled_runs(instance), 240, daemon, log)
            _stop_schedules(instance)  # no more runs each minute
            assert sorted(r.dagster_run.job_name for r in pair) == ["ingest_incremental",
                                                                    "materialize_all"]
            ids = [r.dagster_run.run_id for r in pair]

            def one_running_one_queued():
                status = {i: instance.get_run_by_id(i).status for i in ids}
                running = [i for i, s in status.items() if s == DagsterRunStatus.STARTED]
                queued = [i for i, s in status.items() if s == DagsterRunStatus.QUEUED]
                return (running[0], queued[0]) if running and queued else None

            first, second = _wait_for("run started beside a queued one",
                                      one_running_one_queued, 300, daemon, log)
            holder = (f"run {first[:8]} of {instance.get_run_by_id(first).job_name} "
                      f"(launched by Dagster)")
            _wait_for("daemon run holding the warehouse",
                      lambda: _lock_holder(url) == holder, 300, daemon, log)
            assert instance.get_run_by_id(second).status == DagsterRunStatus.QUEUED

            refused = kho_fails(deployment, "materialize", "--ingest-only", "--no-wait")
            assert f"error: {holder} writes the warehouse since " in refused.stderr
            assert "kho materialize does not write beside it" in refused.stderr
            waiting = subprocess.Popen(
                [sys.executable, "-m", "kho.cli", "materialize", "--ingest-only"],
                env=deployment.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            told = waiting.stdout.readline()
            assert told.startswith(f"waiting: {holder} writes the warehouse since "), told
            assert instance.get_run_by_id(first).status == DagsterRunStatus.STARTED
            assert instance.get_run_by_id(second).status == DagsterRunStatus.QUEUED

            assert instance.run_coordinator.cancel_run(first)  # as the UI's Terminate does
            try:
                out, err = waiting.communicate(timeout=900)
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    f"kho materialize still waiting 900 s after the run was canceled; "
                    f"sessions:\n{_sessions(url)}\ndaemon log:\n"
                    f"{log.read_text()[-5000:]}") from None
            assert waiting.returncode == 0, told + out + err
            manual = re.search(r"\(run ([0-9a-f-]{36})\)", out).group(1)
            instance.run_coordinator.cancel_run(second)
            _wait_for("the daemon's runs ended", lambda: all(
                instance.get_run_by_id(i).is_finished for i in ids), 300, daemon, log)

            first_record = instance.get_run_record_by_id(first)
            assert first_record.dagster_run.status == DagsterRunStatus.CANCELED
            second_record = instance.get_run_record_by_id(second)
            if second_record.start_time is not None:  # dequeued before it was canceled
                assert second_record.start_time >= first_record.end_time
            intervals = sorted(filter(None, (_writing_interval(instance, i)
                                             for i in (first, second, manual))))
            assert len(intervals) >= 2, intervals  # the first run and kho materialize's
            for (_, end), (start, _) in itertools.pairwise(intervals):
                assert end <= start, intervals
    finally:
        for process in (waiting, daemon):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM) if process is daemon \
                    else process.terminate()
                process.wait(timeout=60)
        teardown_deployment(deployment)
