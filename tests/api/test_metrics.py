"""Monitoring: ``/metrics`` counts what was asked and reads the warehouse's state, answers
loopback and ``KHO_METRICS_ALLOW`` only and adds up every worker; ``KHO_LOG_FORMAT=json``
writes JSON lines, the HTTP access lines included, without query strings; ``/readyz`` is
200 on a published warehouse and 503 on one with no publication."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
import time
import uuid

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from graphql_api.core.limits import MAX_BODY_BYTES
from kho import db
from tests.conftest import free_port, running_api

SMALL = "{ adminUnits(first: 1) { totalCount } }"


def scrape(base: str, headers: dict | None = None) -> dict[tuple, float]:
    """Every sample of ``/metrics``, by (name, sorted labels)."""
    response = httpx.get(f"{base}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_the_requests_made_and_read_the_warehouse(api, wh):
    before = scrape(api)
    for _ in range(3):
        assert httpx.post(f"{api}/graphql", json={"query": SMALL}, timeout=30) \
            .status_code == 200
    assert httpx.post(f"{api}/graphql", json={"query": "{ adminUnits("}, timeout=30) \
        .status_code == 200  # parse error, answered as application/json
    assert httpx.post(f"{api}/graphql", json={"query": SMALL}, timeout=30,
                      headers={"Authorization": "Bearer kho_nope"}).status_code == 401
    assert httpx.post(f"{api}/graphql", content=b"x" * (MAX_BODY_BYTES + 1), timeout=30,
                      headers={"Content-Type": "application/json"}).status_code == 413
    after = scrape(api)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("kho_requests_total", operation="query", status="200", code="") == 3
    assert grew("kho_requests_total", operation="query", status="200",
                code="GRAPHQL_PARSE_FAILED") == 0
    assert grew("kho_requests_total", operation="graphql", status="200",
                code="GRAPHQL_PARSE_FAILED") == 1
    assert grew("kho_requests_total", operation="graphql", status="401",
                code="UNAUTHENTICATED") == 1
    assert grew("kho_requests_total", operation="graphql", status="413",
                code="REQUEST_TOO_LARGE") == 1
    assert grew("kho_request_duration_seconds_count", operation="query") == 3
    assert grew("kho_request_duration_seconds_sum", operation="query") > 0
    for reason in ("unauthenticated", "request_too_large", "graphql_parse_failed"):
        assert grew("kho_refusals_total", reason=reason) == 1, reason
    # The scrape before counts itself once it is answered.
    assert grew("kho_requests_total", operation="metrics", status="200", code="") == 1

    assert value(after, "kho_db_pool_connections", state="size") == 10
    assert 0 <= value(after, "kho_db_pool_connections", state="in_use") <= 10
    assert value(after, "kho_access_log_queued_entries") >= 0
    assert time.time() - value(after, "kho_access_log_last_write_timestamp_seconds") < 60

    assert value(after, "kho_warehouse_up") == 1
    published_at = wh.execute("select extract(epoch from max(published_at)) "
                              "from kho_meta.publications").fetchone()[0]
    assert value(after, "kho_publication_timestamp_seconds") == pytest.approx(
        float(published_at))
    assert 0 < value(after, "kho_publication_age_seconds") < 24 * 3600
    loaded = dict(((s, t), float(n)) for s, t, n in wh.execute(
        "select source, table_name, sum(coalesce(rows_inserted, 0) + coalesce(rows_updated, "
        "0)) from ingest.batches where status = 'succeeded' group by 1, 2"))
    assert value(after, "kho_source_rows_loaded_total", source="land", table="thua_dat") \
        == loaded[("land", "thua_dat")] > 0
    assert value(after, "kho_source_last_load_timestamp_seconds", source="land",
                 table="thua_dat") > published_at - 24 * 3600
    quarantined = wh.execute("select count(*) from quarantine.rows "
                             "where released_at is null").fetchone()[0]
    assert sum(v for (name, _), v in after.items()
               if name == "kho_source_rows_quarantined") == quarantined


def test_readyz_is_200_on_a_published_warehouse(api):
    response = httpx.get(f"{api}/readyz", timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["warehouse"] == "ok"
    assert body["access_log"] == "writing" and body["publication"]["age_seconds"] > 0


def test_readyz_is_503_without_a_publication(deployment, tmp_path):
    name = f"kho_empty_{uuid.uuid4().hex[:8]}"
    empty = dataclasses.replace(deployment, env={
        **deployment.env, "KHO_HOME": str(tmp_path),
        "KHO_WAREHOUSE_URL": db.with_database(deployment.warehouse_url, name)})
    try:
        empty.kho("migrate")
        with running_api(empty) as base:
            assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
            response = httpx.get(f"{base}/readyz", timeout=30)
    finally:
        db.drop_database(db.with_database(deployment.warehouse_url, name))
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "not_ready" and body["not_ready"] == ["publication"]
    assert body["publication"] == "none" and body["warehouse"] == "ok"


@contextlib.contextmanager
def serving_with_stderr(deployment, env: dict[str, str], workers: int, stderr_path):
    """``kho serve`` with its stderr (the log) kept apart from its stdout."""
    port = free_port()
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "kho.cli", "serve", "--port", str(port), "--workers",
             str(workers)], env={**deployment.env, **env},
            stdout=subprocess.DEVNULL, stderr=stderr, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"kho serve did not come up:\n{stderr_path.read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_json_logs_metrics_of_every_worker_and_who_may_scrape(deployment, tmp_path):
    secret = "kho_abcdefghijkl_not-a-real-secret"
    log_file = tmp_path / "stderr.log"
    with serving_with_stderr(deployment, {
            "KHO_LOG_FORMAT": "json", "KHO_TRUSTED_PROXIES": "127.0.0.1",
            "KHO_METRICS_ALLOW": "198.51.100.0/24"}, 2, log_file) as base:
        # A fresh connection each time, so that both workers answer some.
        for _ in range(8):
            assert httpx.get(f"{base}/readyz?api_key={secret}", timeout=30) \
                .status_code == 200
        refused = httpx.get(f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.9"},
                            timeout=30)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        # Each worker refreshes its pool gauges every few seconds: a worker that started a
        # moment after the other (or opens its pool lazily) reports on its next refresh.
        deadline = time.monotonic() + 30
        while value(scrape(base), "kho_db_pool_connections", state="size") != 20 \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        for headers in (None, {"X-Forwarded-For": "198.51.100.7"}, None):
            samples = scrape(base, headers)
            # Whichever worker answers, it adds up both workers' counts.
            assert value(samples, "kho_requests_total", operation="readyz", status="200",
                         code="") == 8
            assert value(samples, "kho_db_pool_connections", state="size") == 20
        assert value(samples, "kho_requests_total", operation="metrics", status="403",
                     code="FORBIDDEN") == 1
    text = log_file.read_text()
    assert secret not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert {line["logger"] for line in lines} >= {"uvicorn.error", "kho.http"}
    assert all({"timestamp", "level", "event"} <= line.keys() for line in lines)
    access = [line for line in lines if line["logger"] == "kho.http"]
    readyz = [line for line in access if line["path"] == "/readyz"]
    assert len(readyz) == 8
    assert all(line["method"] == "GET" and line["status"] == 200
               and line["duration_ms"] > 0 and line["remote_addr"] == "127.0.0.1"
               for line in readyz)
    forbidden = next(line for line in access if line["status"] == 403)
    assert forbidden["path"] == "/metrics" and forbidden["remote_addr"] == "203.0.113.9"


def test_a_bad_log_format_is_refused_in_one_line(deployment):
    result = subprocess.run([sys.executable, "-m", "kho.cli", "warehouse", "url"],
                            env={**deployment.env, "KHO_LOG_FORMAT": "xml"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "KHO_LOG_FORMAT must be text or json" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_api_role_reads_no_quarantined_value(deployment, wh):
    """The API's role counts quarantined rows but never reads what they held."""
    api_url = db.parse(deployment.warehouse_url).set(username="kho_api").render_as_string(
        hide_password=False)
    with psycopg.connect(db.libpq_url(api_url), autocommit=True) as conn:
        conn.execute("select count(*) from quarantine.rows where released_at is null")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select payload from quarantine.rows limit 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select error from ingest.batches limit 1")
