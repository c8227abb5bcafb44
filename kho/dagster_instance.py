"""The Dagster instance kho's runs, schedules and services share: ``$DAGSTER_HOME``.

``$DAGSTER_HOME`` is the variable if set, else ``$KHO_HOME/dagster``. kho writes its
``dagster.yaml`` from the settings: with an embedded warehouse (development) Dagster keeps
its runs, events and schedules in SQLite files beside it; with ``KHO_WAREHOUSE_URL`` set
(a server) in the database ``<warehouse db>_dagster`` on the warehouse's PostgreSQL, so the
daemon, the webserver and ``kho materialize`` see one history whatever machine they run
on. Either way runs go through a queue that lets one warehouse-writing run go at a time.

The file is kho's while it starts with :data:`MARK`: kho rewrites it whenever it prepares
the home, so a change of settings reaches it. An operator's own file (without the mark)
is left as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from kho import db
from kho.settings import Settings

MARK = "# Written by kho from its settings"
# kho's jobs that write the warehouse (pipelines.definitions), named here for the CLI, which
# starts without importing Dagster.
MATERIALIZE_ALL_JOB = "materialize_all"
INGEST_INCREMENTAL_JOB = "ingest_incremental"
# The tag both warehouse-writing jobs carry, and the run queue's limit on it.
WAREHOUSE_WRITER_TAG = ("kho/writes", "warehouse")
# Dagster reads the storage password from this variable, so dagster.yaml holds none.
PASSWORD_VARIABLE = "DAGSTER_PG_PASSWORD"
# What kho wrote before it marked its file.
UNMARKED_KHO_YAML = "telemetry:\n  enabled: false\n"


def dagster_home(settings: Settings) -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or settings.dagster_home)


def storage_url(settings: Settings) -> str | None:
    """Where Dagster keeps its runs: a database beside the warehouse (None: SQLite)."""
    if settings.warehouse_url is None:
        return None
    url = settings.warehouse_url
    return db.with_database(url, f"{db.database_name(url)}_dagster")


def instance_config(settings: Settings) -> dict:
    config: dict = {
        "telemetry": {"enabled": False},
        "run_coordinator": {
            "module": "dagster",
            "class": "QueuedRunCoordinator",
            "config": {"tag_concurrency_limits": [
                {"key": WAREHOUSE_WRITER_TAG[0], "value": WAREHOUSE_WRITER_TAG[1],
                 "limit": 1}]},
        },
        # Dagster drops schedule and sensor ticks by itself; runs, kho pipelines prune.
        "retention": {kind: {"purge_after_days": settings.run_retention_days}
                      for kind in ("schedule", "sensor")},
    }
    url = storage_url(settings)
    if url is not None:
        parsed = db.parse(url)
        postgres_db: dict = {
            "username": parsed.username or "postgres",
            "hostname": parsed.host or "",
            "port": parsed.port or 5432,
            "db_name": parsed.database,
            # dagster-postgres is written for psycopg2, SQLAlchemy 2.1's default is psycopg 3.
            "scheme": "postgresql+psycopg2",
        }
        if parsed.password:
            postgres_db["password"] = {"env": PASSWORD_VARIABLE}
        params = {k: v if isinstance(v, str) else v[0] for k, v in parsed.query.items()}
        if params:
            postgres_db["params"] = params
        config["storage"] = {"postgres": {"postgres_db": postgres_db}}
    return config


def instance_yaml(settings: Settings) -> str:
    where = "PostgreSQL beside the warehouse" if settings.warehouse_url else "SQLite here"
    return (f"{MARK} (kho/dagster_instance.py): runs, events and schedules in {where}.\n"
            f"# kho rewrites this file; remove this first line to keep your own.\n"
            + yaml.safe_dump(instance_config(settings), sort_keys=False))


def prepare_dagster_home(settings: Settings) -> str:
    """Make ``$DAGSTER_HOME`` ready for this process and the ones it starts: the variable
    set, the directory and kho's ``dagster.yaml`` written, the storage database created
    and its password in :data:`PASSWORD_VARIABLE`."""
    home = dagster_home(settings)
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or current == UNMARKED_KHO_YAML or current.startswith(MARK):
        text = instance_yaml(settings)
        if current != text:
            config.write_text(text, encoding="utf-8")
    url = storage_url(settings)
    if url is not None:
        db.ensure_database(url)
        password = db.parse(url).password
        if password:
            os.environ[PASSWORD_VARIABLE] = password
    return str(home)


@dataclass(frozen=True)
class Pruned:
    deleted: int
    kept: int
    created_before: datetime
    logs_deleted: int = 0


# The full log ``kho materialize`` writes of each of its runs (kho/runner.py).
MATERIALIZE_LOG = "materialize-{run_id}.log"


def prune_runs(settings: Settings, older_than_days: int) -> Pruned:
    """Delete the finished runs (succeeded, failed, canceled) created more than
    ``older_than_days`` ago, each with its event log: Dagster keeps every run forever.
    Queued and running runs stay whatever their age. The logs ``kho materialize`` wrote
    of the runs deleted go with them, as do those untouched since the cutoff whose run
    the instance no longer holds."""
    prepare_dagster_home(settings)
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    finished = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
    cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
    with DagsterInstance.get() as instance:
        old = instance.get_run_ids(RunsFilter(created_before=cutoff, statuses=finished))
        for run_id in old:
            instance.delete_run(run_id)
        kept = instance.get_runs_count()
        logs = settings.home / "logs"
        gone = {logs / MATERIALIZE_LOG.format(run_id=run_id) for run_id in old}
        prefix, suffix = MATERIALIZE_LOG.split("{run_id}")
        for path in logs.glob(f"{prefix}*{suffix}"):
            run_id = path.name[len(prefix):-len(suffix)]
            if path not in gone and path.stat().st_mtime < cutoff.timestamp() \
                    and instance.get_run_by_id(run_id) is None:
                gone.add(path)
    deleted_logs = 0
    for path in gone:
        if path.is_file():
            path.unlink()
            deleted_logs += 1
    return Pruned(deleted=len(old), kept=kept, created_before=cutoff,
                  logs_deleted=deleted_logs)
