"""The API's Prometheus metrics (``GET /metrics``), and the HTTP access lines of
``KHO_LOG_FORMAT=json``.

Each request is timed and counted at the edge of the app (``RequestMetrics``), labelled
with what its access-log entry says of it (``account``: the operation, the outcome, the
error codes), so the counts and the access log tell one story. The warehouse's own state
(the publication's age, what each source loaded and quarantined) is read when scraped, by
``warehouse_state``. Names follow Prometheus' conventions: ``kho_<thing>_<unit>``,
``_total`` for counters. The documented list is docs/operations.md#monitoring.

Under ``kho serve --workers N`` (N > 1) each worker writes its metrics to files in
``PROMETHEUS_MULTIPROC_DIR`` (set by ``kho.server``) and the worker that is scraped adds
them all up (prometheus_client's multiprocess mode), so one scrape sees the whole server.

``/metrics`` answers callers on loopback and in ``KHO_METRICS_ALLOW`` only (the address as
resolved through ``KHO_TRUSTED_PROXIES``); anyone else is refused with 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime
import logging
import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graphql_api.access.remote_address import parse_address, remote_address
from graphql_api.core import warehouse_state
from graphql_api.core.database import Database
from graphql_api.core.http import REQUEST_ERRORS

http_log = logging.getLogger("kho.http")

FORBIDDEN = "FORBIDDEN"
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ
POOL_REFRESH_SECONDS = 5.0
EXECUTED = frozenset({"query", "mutation", "subscription"})
REFUSED_OUTCOMES = frozenset({"rate_limited", "unauthenticated"})

REQUESTS = Counter(
    "kho_requests_total", "HTTP requests answered, by operation, HTTP status and error code "
    "(the access-log entry's codes, comma-separated; empty when none)",
    ["operation", "status", "code"])
DURATION = Histogram(
    "kho_request_duration_seconds", "Time to answer a request, its body sent, by operation",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
REFUSALS = Counter(
    "kho_refusals_total", "Requests refused before any operation ran, by reason (the error "
    "code, lower case: rate_limited, unauthenticated, request_too_large, depth_limit, ...)",
    ["reason"])
RATE_LIMITED = Counter(
    "kho_rate_limited_requests_total", "Requests refused for their caller's rate, by caller: "
    "the agency client's name, or anonymous", ["caller"])
EXECUTOR = Counter(
    "kho_graphql_executor_total", "Queries answered with the compiled executor on, by who "
    "answered (compiled: one SQL statement; resolvers: the fallback) and whether the answer "
    "came straight from a plan a request of the same document had proven (prepared: yes, no)",
    ["executor", "prepared"])
POOL = Gauge(
    "kho_db_pool_connections", "The API's connections to the warehouse: the pool's size, "
    "those in use, and requests waiting for one (summed over the workers)",
    ["state"], multiprocess_mode="livesum")
ACCESS_LOG_QUEUED = Gauge(
    "kho_access_log_queued_entries", "Access-log entries waiting to be written (summed over "
    "the workers)", multiprocess_mode="livesum")
ACCESS_LOG_WRITTEN = Gauge(
    "kho_access_log_last_write_timestamp_seconds", "When a worker last wrote its access-log "
    "entries (Unix time; the oldest of the workers')", multiprocess_mode="livemin")

# What the request's access-log entry said of it, for its metrics (set by ``account``).
_ACCOUNT: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kho_account",
                                                                       default=None)


def account(caller, operation_type: str | None, outcome: str, codes: list[str]) -> None:
    """Note what the current request's access-log entry says (log_writer.entry calls this);
    outside a request, nothing."""
    current = _ACCOUNT.get()
    if current is not None:
        current.update(caller=caller, operation_type=operation_type, outcome=outcome,
                       codes=codes)


def _operation(path: str, noted: dict) -> str:
    """A bounded label: the GraphQL operation's type, or what the path serves."""
    if path == "/graphql":
        operation = noted.get("operation_type")
        return operation if operation in EXECUTED else "graphql"
    if path.startswith("/opendata/"):
        return "download"
    if path.startswith("/static/"):
        return "static"
    if path in ("/healthz", "/readyz", "/metrics"):
        return path[1:]
    return "page" if path == "/" else "other"


class RequestMetrics:
    """ASGI middleware: counts and times every HTTP request, and with ``access_lines``
    writes its line to the ``kho.http`` logger (method, path without the query string,
    status, duration, the caller's address)."""

    def __init__(self, app, trusted_proxies=(), access_lines: bool = False):
        self.app, self.trusted_proxies, self.access_lines = app, trusted_proxies, access_lines

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before its answer
        noted: dict = {}
        token = _ACCOUNT.set(noted)

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            _ACCOUNT.reset(token)
            self._observe(scope, status, time.perf_counter() - started, noted)

    def _observe(self, scope, status: int, seconds: float, noted: dict) -> None:
        operation = _operation(scope["path"], noted)
        codes = noted.get("codes") or []
        REQUESTS.labels(operation, str(status), ",".join(codes)).inc()
        DURATION.labels(operation).observe(seconds)
        outcome = noted.get("outcome")
        if codes and (outcome in REFUSED_OUTCOMES
                      or (outcome == "failed" and set(codes) <= REQUEST_ERRORS)):
            for code in codes:
                REFUSALS.labels(code.lower()).inc()
        if outcome == "rate_limited":
            caller = noted.get("caller")
            RATE_LIMITED.labels(getattr(caller, "client_name", None) or "anonymous").inc()
        if self.access_lines:
            http_log.info("%s %s %d", scope["method"], scope["path"], status, extra={
                "method": scope["method"], "path": scope["path"], "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "remote_addr": remote_address(Request(scope), self.trusted_proxies),
                "operation": operation})


def _allowed(address: str | None, networks) -> bool:
    parsed = parse_address(address)
    if parsed is None:
        return False
    return parsed.is_loopback or any(parsed.version == network.version and parsed in network
                                     for network in networks)


def refresh_pool(database: Database) -> None:
    stats = database.pool.get_stats()
    size = stats.get("pool_size", 0)
    POOL.labels("size").set(size)
    POOL.labels("in_use").set(size - stats.get("pool_available", 0))
    POOL.labels("waiting").set(stats.get("requests_waiting", 0))


def refresh_access_log(access_log) -> None:
    if access_log is None:
        return
    state = access_log.state()
    ACCESS_LOG_QUEUED.set(state["queued"])
    if state["last_written_at"]:
        ACCESS_LOG_WRITTEN.set(
            datetime.datetime.fromisoformat(state["last_written_at"]).timestamp())


@contextlib.asynccontextmanager
async def refreshing(database: Database, access_log):
    """While the app runs, this worker's pool and access-log gauges are kept current (every
    ``POOL_REFRESH_SECONDS``: a scrape reaches one worker, the gauges are every worker's)."""
    async def refresh() -> None:
        while True:
            refresh_pool(database)
            refresh_access_log(access_log)
            await asyncio.sleep(POOL_REFRESH_SECONDS)

    task = asyncio.create_task(refresh(), name="kho metrics")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if MULTIPROCESS:
            multiprocess.mark_process_dead(os.getpid())


class MetricsEndpoint:
    """``GET /metrics``: this process's metrics (every worker's, in multiprocess mode) and
    the warehouse's state, in Prometheus' text format."""

    def __init__(self, database: Database, access_log, settings):
        self.database, self.access_log, self.settings = database, access_log, settings
        self.warehouse = warehouse_state.WarehouseState(database)

    async def answer(self, request: Request) -> Response:
        if not _allowed(remote_address(request, self.settings.trusted_proxies),
                        self.settings.metrics_allow):
            noted = _ACCOUNT.get()
            if noted is not None:
                noted.update(outcome="failed", codes=[FORBIDDEN])
            return JSONResponse({"errors": [{
                "message": "/metrics answers loopback and KHO_METRICS_ALLOW only",
                "extensions": {"code": FORBIDDEN}}]}, status_code=403)
        refresh_pool(self.database)
        refresh_access_log(self.access_log)
        if MULTIPROCESS:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = REGISTRY
        state = await self.warehouse.read()
        body = generate_latest(registry) + generate_latest(warehouse_state.registry(state))
        return Response(body, media_type=CONTENT_TYPE_LATEST)
