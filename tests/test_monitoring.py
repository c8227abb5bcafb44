"""The alerting sensors POST to a real HTTP receiver: a failed run (a tiny failing job run in
process on an ephemeral Dagster instance), and a publication older than
``KHO_MAX_PUBLICATION_AGE_HOURS`` (on an embedded warehouse, once per stale publication)."""

from __future__ import annotations

import http.server
import json
import threading

import dagster as dg
import psycopg
import pytest

from pipelines.monitoring import alerts
from pipelines.monitoring.sensors import publication_freshness, run_failure_alert
from pipelines.resources import WarehouseResource
from tests.conftest import make_deployment, teardown_deployment


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook on loopback that keeps what it is sent; answers ``status``."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 204
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                assert self.headers["Content-Type"] == "application/json"
                receiver.received.append(json.loads(body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/alerts"


@pytest.fixture
def receiver(monkeypatch):
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("KHO_ALERT_WEBHOOK_URL", server.url)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@dg.op
def read_the_land_register():
    raise ValueError("relation thua_dat does not exist")


@dg.job
def tiny_failing_job():
    read_the_land_register()


def failed_run_context():
    instance = dg.DagsterInstance.ephemeral()
    result = tiny_failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_instance=instance,
        dagster_run=result.dagster_run, dagster_event=result.get_run_failure_event(),
    ).for_run_failure(), result.run_id


def test_a_failed_run_is_posted_to_the_webhook(receiver):
    context, run_id = failed_run_context()
    run_failure_alert(context)
    [alert] = receiver.received
    assert alert["alert"] == "run_failed" and alert["run_id"] == run_id
    assert alert["job"] == "tiny_failing_job"
    assert "relation thua_dat does not exist" in alert["error"]
    assert alert["failed_steps"][0]["step"] == "read_the_land_register"
    assert run_id in alert["summary"] and alert["at"]


def test_an_alert_the_webhook_refuses_is_tried_again_then_fails_the_tick(receiver,
                                                                         monkeypatch):
    monkeypatch.setattr(alerts, "RETRY_DELAY_SECONDS", 0.01)
    receiver.status = 500
    context, _ = failed_run_context()
    with pytest.raises(alerts.AlertNotDelivered, match="500"):
        run_failure_alert(context)
    assert len(receiver.received) == alerts.ATTEMPTS


@pytest.fixture(scope="module")
def warehouse_url(tmp_path_factory):
    deployment = make_deployment("embedded", tmp_path_factory.mktemp("monitoring"))
    try:
        deployment.kho("migrate")
        yield deployment.warehouse_url
    finally:
        teardown_deployment(deployment)


def test_a_stale_publication_is_alerted_once(receiver, warehouse_url, monkeypatch):
    monkeypatch.setenv("KHO_WAREHOUSE_URL", warehouse_url)
    monkeypatch.setenv("KHO_MAX_PUBLICATION_AGE_HOURS", "26")

    def tick(cursor: str | None):
        context = dg.build_sensor_context(cursor=cursor,
                                          resources={"warehouse": WarehouseResource()})
        publication_freshness(context)
        return context.cursor

    cursor = tick(None)  # nothing published yet
    assert [a["alert"] for a in receiver.received] == ["publication_stale"]
    assert receiver.received[0]["published_at"] is None
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("insert into kho_meta.publications (invocation_id, build_started_at, "
                     "build_finished_at, published_at, marts) values ('old', now() - "
                     "interval '31 hours', now() - interval '30 hours', now() - "
                     "interval '30 hours', '{}')")
        cursor = tick(cursor)
        assert len(receiver.received) == 2
        stale = receiver.received[1]
        assert stale["asset"] == "marts" and 30 * 3600 <= stale["age_seconds"] < 31 * 3600
        assert stale["max_age_seconds"] == 26 * 3600
        tick(cursor)  # the same stale publication: no second alert
        assert len(receiver.received) == 2
        conn.execute("insert into kho_meta.publications (invocation_id, build_started_at, "
                     "build_finished_at, marts) values ('new', now(), now(), '{}')")
        tick(cursor)  # fresh
        assert len(receiver.received) == 2
