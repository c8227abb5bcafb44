"""Running kho's Dagster jobs from the command line through a real Dagster instance.

Runs are recorded in the instance in ``$DAGSTER_HOME`` (:mod:`kho.dagster_instance`), so
the Dagster webserver and ``dagster dev`` started with the same ``DAGSTER_HOME`` show them.
Progress is read back from the run's event log while the job executes.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field

from kho import warehouse
from kho.dagster_instance import (
    INGEST_INCREMENTAL_JOB,
    MATERIALIZE_ALL_JOB,
    MATERIALIZE_LOG,
    prepare_dagster_home,
)
from kho.settings import load_settings
from kho.writer_lock import holder_name, writing_the_warehouse

# The run's tags that hold its timings: JSON {phase: seconds} and {step: seconds}.
PHASE_SECONDS_TAG = "kho/phase_seconds"
STEP_SECONDS_TAG = "kho/step_seconds"
DBT_STEP = "kho_dbt_models"
# The dbt models that resolve entities: their time is told apart from the rest of dbt's.
ENTITY_RESOLUTION_MODELS = ("int_persons__", "int_organizations__")
# Each step's phase, by the start of its key: the loads and their checksum checks, the
# reference data, dbt, publication, the master-ID map and its checks.
PHASES = (("load_sources", "ingest"), ("raw_", "ingest"), ("admin_unit_reference", "reference"),
          (DBT_STEP, "build"), ("marts__admin_unit_outlines", "build"),
          ("marts__published", "publish"),
          ("master_data__", "master IDs"))
ENTITY_RESOLUTION = "entity resolution"


def is_entity_resolution(asset_key: str) -> bool:
    return asset_key.rsplit("/", 1)[-1].startswith(ENTITY_RESOLUTION_MODELS)


def phase_of(step_key: str) -> str:
    return next((phase for prefix, phase in PHASES if step_key.startswith(prefix)), step_key)


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    seconds: float
    log_path: str
    materialized: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    # Checks of WARN severity that did not pass: reported, but they fail nothing.
    checks_warned: list[str] = field(default_factory=list)
    # Each failed step's key and cause, in the order they failed.
    failed_steps: list[tuple[str, str]] = field(default_factory=list)
    # Steps of the plan that never started (downstream of a failure).
    steps_skipped: int = 0
    # Wall-clock seconds of each step that ran, in the order they started.
    step_seconds: dict[str, float] = field(default_factory=dict)
    # When dbt ran each entity-resolution model (inside the dbt step): (start, end), in
    # seconds since the epoch.
    entity_resolution_intervals: list[tuple[float, float]] = field(default_factory=list)

    @property
    def entity_resolution_seconds(self) -> float:
        """The wall-clock seconds during which dbt was running an entity-resolution model:
        the union of their intervals, since dbt's threads run some of them side by side (a
        sum would count those seconds twice, and leave the rest of the build negative)."""
        total, reached = 0.0, float("-inf")
        for start, end in sorted(self.entity_resolution_intervals):
            if end > reached:
                total += end - max(start, reached)
                reached = end
        return total

    @property
    def phase_seconds(self) -> dict[str, float]:
        """Seconds per phase (ingest, reference, build, entity resolution, publish, master
        IDs), in the order they ran; entity resolution taken out of dbt's build."""
        phases: dict[str, float] = {}
        for step, seconds in self.step_seconds.items():
            phase = phase_of(step)
            phases[phase] = phases.get(phase, 0.0) + seconds
            if step == DBT_STEP:
                phases[phase] -= self.entity_resolution_seconds
                phases[ENTITY_RESOLUTION] = self.entity_resolution_seconds
        return phases

    @property
    def timings(self) -> str:
        return "timings: " + (", ".join(f"{phase} {seconds:.1f} s" for phase, seconds
                                        in self.phase_seconds.items()) or "no step ran")

    @property
    def run_tags(self) -> dict[str, str]:
        """The timings as tags of the run, where the Dagster UI and scripts read them."""
        def rounded(seconds: dict[str, float]) -> str:
            return json.dumps({k: round(v, 3) for k, v in seconds.items()})

        return {PHASE_SECONDS_TAG: rounded(self.phase_seconds),
                STEP_SECONDS_TAG: rounded(self.step_seconds)}

    @property
    def summary(self) -> str:
        """One line whose every count names what it counts: steps and checks apart."""
        def count(n: int, noun: str, verb: str) -> str:
            return f"{n} {noun}{'' if n == 1 else 's'} {verb}"

        parts = []
        if self.failed_steps:
            keys = ", ".join(key for key, _ in self.failed_steps)
            parts.append(f"{count(len(self.failed_steps), 'step', 'failed')} ({keys})")
        if self.steps_skipped:
            parts.append(count(self.steps_skipped, "step", "skipped"))
        parts += [count(len(self.materialized), "asset", "materialized"),
                  count(self.checks_passed, "check", "passed"),
                  count(len(self.checks_warned), "check", "warned"),
                  count(len(self.checks_failed), "check", "failed")]
        verdict = "succeeded" if self.success else "FAILED"
        return f"{verdict} in {self.seconds:.1f} s: {', '.join(parts)}"


def _is_warning(evaluation) -> bool:
    from dagster import AssetCheckSeverity

    return evaluation.severity == AssetCheckSeverity.WARN


def _root_cause(error) -> str:
    """The message of the error kho raised, not of Dagster's wrappers around it; kho's own
    errors without their class name, as they are written to be read."""
    if error is None:
        return "failed"
    while (error.cls_name or "").startswith("Dagster") and error.cause is not None:
        error = error.cause
    message = error.message.strip()
    qualified, _, rest = message.partition(": ")
    if qualified.endswith(f".{error.cls_name}") and qualified.startswith(("kho.", "pipelines.")):
        return rest
    return message


def _describe_event(event) -> str | None:
    from dagster import DagsterEventType

    dagster_event = event.dagster_event
    if dagster_event is None:
        return None
    kind = dagster_event.event_type
    if kind == DagsterEventType.ASSET_MATERIALIZATION:
        materialization = dagster_event.event_specific_data.materialization
        key = materialization.asset_key.to_user_string()
        meta = materialization.metadata
        rows = meta.get("rows_extracted") or meta.get("rows")
        suffix = f" ({rows.value:,} rows)" if rows is not None else ""
        if "rows_quarantined" in meta:
            suffix = (f" ({rows.value:,} rows read: {meta['rows_inserted'].value:,} new, "
                      f"{meta['rows_updated'].value:,} changed, "
                      f"{meta['rows_quarantined'].value:,} quarantined, "
                      f"{meta['rows_deleted'].value:,} marked deleted)")
        return f"  materialized {key}{suffix}"
    if kind == DagsterEventType.ASSET_CHECK_EVALUATION:
        evaluation = dagster_event.event_specific_data
        if not evaluation.passed:
            verdict = "WARNING" if _is_warning(evaluation) else "FAILED"
            return (f"  check {verdict} {evaluation.asset_key.to_user_string()}:"
                    f" {evaluation.check_name}")
        return None
    if kind == DagsterEventType.STEP_START:
        return f"- step {dagster_event.step_key} started"
    return None


def _follow(instance, run_id: str, echo: Callable[[str], None],
            echo_failure: Callable[[str], None], stop: threading.Event) -> None:
    """Print the run's notable events as they are written to the instance's event log; a
    failed step's cause goes to ``echo_failure``, once."""
    from dagster import DagsterEventType

    cursor = None
    while True:
        finished = stop.is_set()
        page = instance.get_records_for_run(run_id, cursor=cursor)
        for record in page.records:
            event = record.event_log_entry.dagster_event
            if event is not None and event.event_type == DagsterEventType.STEP_FAILURE:
                echo_failure(f"step {event.step_key} failed: "
                             f"{_root_cause(event.event_specific_data.error)}")
                continue
            line = _describe_event(record.event_log_entry)
            if line:
                echo(line)
        cursor = page.cursor
        if finished and not page.has_more:
            return
        if not page.has_more:
            stop.wait(0.5)


# The tag of the runs kho materialize runs in process.
STARTED_BY_KHO_MATERIALIZE = ("kho/started-by", "kho materialize")


def fail_abandoned_runs(instance) -> list[str]:
    """Mark failed the runs of earlier kho materialize commands still recorded as under way
    (the process was killed, the machine went down); their IDs.

    Called while holding the warehouse: a kho materialize holds it from before its run is
    recorded to after it ends, so none of those runs can still be going. Left as they were,
    they would count against the run queue's limit forever and no scheduled run would start.
    """
    from dagster import DagsterRunStatus, RunsFilter

    under_way = instance.get_runs(RunsFilter(
        statuses=[DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
                  DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING],
        tags=dict([STARTED_BY_KHO_MATERIALIZE])))
    for run in under_way:
        instance.report_run_failed(run, "the kho materialize running it stopped before the run "
                                        "ended; marked failed by the next kho materialize")
    return [run.run_id for run in under_way]


def run_materialize_all(echo: Callable[[str], None] = print, *,
                        echo_failure: Callable[[str], None] | None = None,
                        full_refresh: bool = False, ingest_only: bool = False,
                        wait: bool = True) -> RunOutcome:
    """Run ``materialize_all`` (or ``ingest_incremental`` with ``ingest_only``); ``echo``
    gets progress lines and, last, the summary; ``echo_failure`` (default: ``echo``) each
    failed step's cause as it fails, the only place the cause is told. dbt's and Dagster's
    own output goes to a log file under ``$KHO_HOME/logs``. ``full_refresh`` re-reads
    every source row.

    The run holds the warehouse (:mod:`kho.writer_lock`) from before it parses the dbt
    project to its end: while another run writes it, this one waits (told through
    ``echo``), or with ``wait`` False raises :class:`~kho.writer_lock.WarehouseBusy`."""
    if echo_failure is None:
        def echo_failure(line: str) -> None:
            echo(f"- {line}")

    settings = load_settings()
    url = warehouse.ensure_warehouse(settings)
    prepare_dagster_home(settings)
    job_name = INGEST_INCREMENTAL_JOB if ingest_only else MATERIALIZE_ALL_JOB
    run_id = str(uuid.uuid4())
    with writing_the_warehouse(
            url, holder_name(run_id, job_name, "kho materialize"), wait=wait,
            on_wait=lambda busy: echo(f"waiting: {busy}; kho materialize starts when it "
                                      f"ends (Ctrl-C gives up)")):
        return _run(settings, job_name, run_id, echo, echo_failure, full_refresh)


def _run(settings, job_name: str, run_id: str, echo: Callable[[str], None],
         echo_failure: Callable[[str], None], full_refresh: bool) -> RunOutcome:
    """The run itself, once it holds the warehouse."""
    from dagster import DagsterEventType, DagsterInstance

    from pipelines.dbt.project import prepare_manifest
    from pipelines.definitions import defs, full_refresh_run_config

    prepare_manifest()
    job = defs().resolve_job_def(job_name)
    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}},
                  **(full_refresh_run_config() if full_refresh else {})}
    log_path = settings.home / "logs" / MATERIALIZE_LOG.format(run_id=run_id)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with DagsterInstance.get() as instance, open(log_path, "w") as log_file:
        for abandoned in fail_abandoned_runs(instance):
            echo(f"marked run {abandoned} failed: the kho materialize that ran it stopped "
                 f"before it ended")
        mode = "full refresh" if full_refresh else "incremental"
        echo(f"running {job_name}, {mode} (run {run_id}); full log in {log_path}")
        stop = threading.Event()
        follower = threading.Thread(
            target=_follow, args=(instance, run_id, echo, echo_failure, stop), daemon=True)
        follower.start()
        try:
            with redirect_stdout(log_file), redirect_stderr(log_file):
                result = job.execute_in_process(
                    instance=instance, run_id=run_id, raise_on_error=False,
                    run_config=run_config, tags=dict([STARTED_BY_KHO_MATERIALIZE]),
                )
        finally:
            stop.set()
            follower.join()
        outcome = RunOutcome(run_id=run_id, success=result.success,
                             seconds=time.perf_counter() - started, log_path=str(log_path))
        planned = {step.key for step in instance.get_execution_plan_snapshot(
            result.dagster_run.execution_plan_snapshot_id).steps}
        # The run's events as the instance stored them, with the time each was logged.
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                planned.discard(event.step_key)
            elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                key = event.asset_key.to_user_string()
                outcome.materialized.append(key)
                # When an entity-resolution model ran: the event's time is its end.
                duration = event.event_specific_data.materialization.metadata.get(
                    "Execution Duration")
                if duration is not None and is_entity_resolution(key):
                    outcome.entity_resolution_intervals.append(
                        (entry.timestamp - duration.value, entry.timestamp))
            elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.event_specific_data
                name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                if evaluation.passed:
                    outcome.checks_passed += 1
                elif _is_warning(evaluation):
                    outcome.checks_warned.append(name)
                else:
                    outcome.checks_failed.append(name)
            elif event.event_type == DagsterEventType.STEP_FAILURE:
                outcome.failed_steps.append(
                    (event.step_key, _root_cause(event.event_specific_data.error)))
        outcome.steps_skipped = len(planned)
        stats = sorted((s for s in instance.get_run_step_stats(run_id)
                        if s.start_time is not None and s.end_time is not None),
                       key=lambda s: s.start_time)
        outcome.step_seconds = {s.step_key: s.end_time - s.start_time for s in stats}
        instance.add_run_tags(run_id, outcome.run_tags)
    echo(outcome.timings)
    echo(outcome.summary)
    return outcome
