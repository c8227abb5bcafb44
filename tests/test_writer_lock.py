"""One writer of the warehouse at a time: the lock itself, and kho's executor, which makes
every Dagster run (the daemon's, the UI's) wait for it before its first step."""

from __future__ import annotations

import threading
import time
import uuid

import dagster as dg
import pytest

from kho import db
from kho.writer_lock import WarehouseBusy, writing_the_warehouse
from pipelines.warehouse_writer import HOLDING, warehouse_writer_executor
from tests.conftest import LOCAL_SERVER, local_server_available

STEP_STARTS: list[float] = []


@pytest.fixture
def warehouse_url(monkeypatch):
    if not local_server_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    url = db.with_database(LOCAL_SERVER, f"kho_test_{uuid.uuid4().hex[:8]}")
    db.ensure_database(url)
    monkeypatch.setenv("KHO_WAREHOUSE_URL", url)
    yield url
    db.drop_database(url)


def test_a_second_writer_waits_or_is_refused_and_is_told_whom_for(warehouse_url):
    told: list[str] = []
    with writing_the_warehouse(warehouse_url, "run 5f3a0c21 of materialize_all (test)"):
        with pytest.raises(WarehouseBusy) as refused, \
                writing_the_warehouse(warehouse_url, "second", wait=False):
            pass
        assert str(refused.value).startswith(
            "run 5f3a0c21 of materialize_all (test) writes the warehouse since ")

        entered = threading.Event()

        def second() -> None:
            with writing_the_warehouse(warehouse_url, "second", on_wait=told.append):
                entered.set()

        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(1)
        assert not entered.is_set()
    waiter.join(timeout=10)
    assert entered.is_set()
    assert len(told) == 1 and told[0].startswith("run 5f3a0c21 of materialize_all (test) "
                                                 "writes the warehouse since "), told
    with writing_the_warehouse(warehouse_url, "third", wait=False):
        pass  # released by the writers that ended


def test_writers_get_the_warehouse_in_the_order_they_asked(warehouse_url):
    """A writer waiting behind another is not overtaken by one that asks the moment the
    holder lets go (as a daemon run dequeued then would)."""
    order: list[str] = []
    waiting = threading.Event()

    def first_waiter() -> None:
        with writing_the_warehouse(warehouse_url, "waiter", on_wait=lambda _: waiting.set()):
            order.append("waiter")
            time.sleep(0.5)

    with writing_the_warehouse(warehouse_url, "holder"):
        waiter = threading.Thread(target=first_waiter)
        waiter.start()
        assert waiting.wait(timeout=30)
        time.sleep(0.5)  # the waiter is in its wait, not between two tries
    with writing_the_warehouse(warehouse_url, "late"):
        order.append("late")
    waiter.join(timeout=30)
    assert order == ["waiter", "late"]


@dg.op
def _write() -> None:
    STEP_STARTS.append(time.time())


@dg.job(executor_def=warehouse_writer_executor)
def _writer_job() -> None:
    _write()


def test_a_dagster_run_starts_its_steps_only_once_it_holds_the_warehouse(warehouse_url,
                                                                        tmp_path):
    """As a run the daemon launched: kho's executor (here in its in-process mode) waits
    for the writer holding the warehouse, says so in the run's log, and starts the first
    step after it ended."""
    STEP_STARTS.clear()
    result: dict = {}
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        def run() -> None:
            with dg.execute_job(dg.reconstructable(_writer_job), instance,
                                run_config={"execution": {"config": {"in_process": {}}}}
                                ) as executed:
                result["success"] = executed.success
                result["run_id"] = executed.run_id

        with writing_the_warehouse(warehouse_url, "run 0badcafe of ingest_incremental (test)"):
            runner = threading.Thread(target=run)
            runner.start()
            time.sleep(5)
            assert STEP_STARTS == []
            released = time.time()
        runner.join(timeout=300)
        assert result["success"]
        assert len(STEP_STARTS) == 1 and STEP_STARTS[0] >= released
        messages = [e.message for e in instance.all_logs(result["run_id"])]
        assert any(m.startswith("waiting: run 0badcafe of ingest_incremental (test) writes "
                                "the warehouse since ") for m in messages), messages
        assert any(HOLDING in m for m in messages), messages


def test_runs_of_a_killed_kho_materialize_are_marked_failed(tmp_path):
    """A kho materialize killed mid-run leaves its run recorded as started, which would
    hold the run queue's one warehouse-writing place forever; the next one (holding the
    warehouse, so sure no such run is alive) marks it failed, and only those runs."""
    from dagster._core.test_utils import create_run_for_test

    from kho.runner import STARTED_BY_KHO_MATERIALIZE, fail_abandoned_runs

    writes, started_by = {"kho/writes": "warehouse"}, dict([STARTED_BY_KHO_MATERIALIZE])
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        def run(status: dg.DagsterRunStatus, tags: dict) -> str:
            return create_run_for_test(instance, job_name="materialize_all", status=status,
                                       tags=tags).run_id

        abandoned = run(dg.DagsterRunStatus.STARTED, {**writes, **started_by})
        finished = run(dg.DagsterRunStatus.SUCCESS, {**writes, **started_by})
        launched = run(dg.DagsterRunStatus.STARTED, writes)  # by the daemon: not kho's to end
        assert fail_abandoned_runs(instance) == [abandoned]
        status = {i: instance.get_run_by_id(i).status for i in (abandoned, finished, launched)}
        assert status == {abandoned: dg.DagsterRunStatus.FAILURE,
                          finished: dg.DagsterRunStatus.SUCCESS,
                          launched: dg.DagsterRunStatus.STARTED}
        assert fail_abandoned_runs(instance) == []
