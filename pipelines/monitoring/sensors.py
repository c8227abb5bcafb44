"""The alerting sensors: ``run_failure_alert`` (any run of this code location that fails)
and ``publication_freshness`` (the build the API serves is older than
``KHO_MAX_PUBLICATION_AGE_HOURS``, or there is none), both sending through ``alerts``."""

from __future__ import annotations

import datetime

import dagster as dg

from kho import db
from kho.settings import load_settings
from pipelines.monitoring import alerts
from pipelines.resources import WarehouseResource

FRESHNESS_INTERVAL_SECONDS = 600
ERROR_CHARACTERS = 500  # of each failed step's error, in the alert


def _first_lines(text: str | None) -> str:
    return (text or "").strip()[:ERROR_CHARACTERS]


def _cause(event: dg.DagsterEvent) -> str:
    """The step's error as raised (Dagster wraps it in its own), or the event's message."""
    error = event.event_specific_data.error if event.event_specific_data else None
    if error is None:
        return _first_lines(event.message)
    while error.cause is not None:
        error = error.cause
    return _first_lines(error.message)


@dg.run_failure_sensor(
    name="run_failure_alert", default_status=dg.DefaultSensorStatus.RUNNING,
    description="POSTs an alert to KHO_ALERT_WEBHOOK_URL for every failed run: the run ID, "
                "its job, the steps that failed and their errors.")
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    steps = [{"step": event.step_key, "error": _cause(event)}
             for event in context.get_step_failure_events()]
    error = "; ".join(f"{s['step']}: {s['error'].splitlines()[0] if s['error'] else ''}"
                      for s in steps) or _first_lines(context.failure_event.message)
    alerts.send(load_settings().alert_webhook_url, "run_failed",
                f"kho run {run.run_id} of {run.job_name} failed: {error}",
                run_id=run.run_id, job=run.job_name, error=error, failed_steps=steps)


def latest_publication(warehouse_url: str) -> tuple[datetime.datetime, float] | None:
    """When the latest publication was made and its age in seconds; None before the first."""
    with db.connect(warehouse_url, autocommit=True) as conn:
        return conn.execute(
            "select published_at, extract(epoch from now() - published_at)::float8 "
            "from kho_meta.publications order by publication_id desc limit 1").fetchone()


@dg.sensor(
    name="publication_freshness", minimum_interval_seconds=FRESHNESS_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 10 minutes: alerts (once per publication) when the build the API "
                "serves is older than KHO_MAX_PUBLICATION_AGE_HOURS, or none was published.")
def publication_freshness(context: dg.SensorEvaluationContext,
                          warehouse: WarehouseResource) -> dg.SkipReason:
    settings = load_settings()
    max_age_seconds = settings.max_publication_age_hours * 3600
    latest = latest_publication(warehouse.url())
    published_at, age = latest if latest else (None, None)
    if age is not None and age <= max_age_seconds:
        return dg.SkipReason(f"the publication of {published_at.isoformat()} is "
                             f"{age / 3600:.1f} h old")
    # The cursor names the publication last alerted on: one alert per stale publication.
    stale = published_at.isoformat() if published_at else "none"
    if context.cursor != stale:
        summary = (f"the published build is {age / 3600:.1f} h old (published "
                   f"{stale}), more than {settings.max_publication_age_hours:g} h"
                   if published_at else "no build has been published")
        alerts.send(settings.alert_webhook_url, "publication_stale", summary,
                    asset="marts", published_at=published_at, age_seconds=age,
                    max_age_seconds=max_age_seconds)
        context.update_cursor(stale)
    return dg.SkipReason(f"stale publication ({stale}); alerted")


defs = dg.Definitions(sensors=[run_failure_alert, publication_freshness])
