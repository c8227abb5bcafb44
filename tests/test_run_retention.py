"""``kho pipelines prune`` on a real Dagster instance (SQLite, as with the embedded
warehouse): the finished runs older than the cutoff go with their ``kho materialize``
logs; queued, running and newer runs stay with theirs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import dagster as dg

from kho.dagster_instance import MATERIALIZE_LOG, prepare_dagster_home
from kho.settings import load_settings


def test_prune_deletes_old_finished_runs_with_their_logs(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("KHO_HOME", str(home))
    monkeypatch.delenv("KHO_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = load_settings()
    prepare_dagster_home(settings)
    statuses = {"old_done": dg.DagsterRunStatus.SUCCESS, "old_failed": dg.DagsterRunStatus.FAILURE,
                "old_running": dg.DagsterRunStatus.STARTED, "new_done": dg.DagsterRunStatus.SUCCESS}
    runs = {name: str(uuid.uuid4()) for name in statuses}
    logs = home / "logs"
    logs.mkdir(parents=True)
    with dg.DagsterInstance.get() as instance:
        for name, status in statuses.items():
            instance.add_run(dg.DagsterRun(job_name="materialize_all", run_id=runs[name],
                                        status=status))
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with sqlite3.connect(home / "dagster" / "history" / "runs.db") as conn:
        for name in ("old_done", "old_failed", "old_running"):
            conn.execute("update runs set create_timestamp = ? where run_id = ?",
                         (long_ago.replace(tzinfo=None), runs[name]))
    for run_id in runs.values():
        (logs / MATERIALIZE_LOG.format(run_id=run_id)).write_text("log")
    # Logs whose run the instance no longer holds: one untouched for 40 days, one recent.
    orphans = {age: logs / MATERIALIZE_LOG.format(run_id=uuid.uuid4()) for age in (40, 1)}
    for age, path in orphans.items():
        path.write_text("log")
        os.utime(path, (time.time() - age * 86_400,) * 2)
    (logs / "not-kho.log").write_text("someone else's")
    os.utime(logs / "not-kho.log", (time.time() - 400 * 86_400,) * 2)

    result = subprocess.run([sys.executable, "-m", "kho.cli", "pipelines", "prune",
                             "--older-than", "30"], env={**os.environ, "KHO_HOME": str(home)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "deleted 2 finished run(s)" in result.stdout
    assert "and 3 log(s) of kho materialize; 2 run(s) kept" in result.stdout
    with dg.DagsterInstance.get() as instance:
        left = {name for name, run_id in runs.items() if instance.get_run_by_id(run_id)}
    assert left == {"old_running", "new_done"}
    assert sorted(path.name for path in logs.iterdir()) == sorted([
        MATERIALIZE_LOG.format(run_id=runs["old_running"]),
        MATERIALIZE_LOG.format(run_id=runs["new_done"]), orphans[1].name, "not-kho.log"])
