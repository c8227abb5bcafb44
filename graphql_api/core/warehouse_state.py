"""What the warehouse says of the service, for ``/metrics`` and ``/readyz``: the published
build (``kho_meta.publications``) and, per source table, what ingestion loaded and
quarantined (the ``ingest`` and ``quarantine`` bookkeeping, of which the API's role may read
the counts and times only: api_grants.sql).

Read through the API's pool when asked, a connection within ``CONNECT_TIMEOUT_SECONDS`` and
the reads within ``READ_TIMEOUT_MS``, and kept for ``CACHE_SECONDS``: however often
Prometheus and the probes ask, the warehouse is read at most once in that time per process.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from graphql_api.core.database import Database

CACHE_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_MS = 2_000

PUBLICATION = """
select extract(epoch from published_at)::float8 as published_at,
       extract(epoch from now() - published_at)::float8 as age_seconds
from kho_meta.publications order by publication_id desc limit 1"""
LOADS = """
select source, table_name,
       sum(coalesce(rows_inserted, 0) + coalesce(rows_updated, 0))::bigint as rows_loaded,
       extract(epoch from max(finished_at))::float8 as last_load_at
from ingest.batches where status = 'succeeded'
group by source, table_name order by source, table_name"""
QUARANTINED = """
select source, table_name, count(*) as open_rows
from quarantine.rows where released_at is null
group by source, table_name order by source, table_name"""


@dataclass(frozen=True)
class Snapshot:
    error: str | None = None  # why the warehouse could not be read; None when it was
    published_at: float | None = None  # Unix time of the latest publication
    publication_age_seconds: float | None = None
    loads: list[dict] = field(default_factory=list)  # per source table
    quarantined: list[dict] = field(default_factory=list)  # per source table
    read_at: float = field(default_factory=time.monotonic)

    @property
    def reachable(self) -> bool:
        return self.error is None


class WarehouseState:
    """One process's reader, its last snapshot cached."""

    def __init__(self, database: Database):
        self.database = database
        self._snapshot: Snapshot | None = None
        self._lock = asyncio.Lock()

    async def read(self) -> Snapshot:
        async with self._lock:  # concurrent scrapes and probes share one read
            snapshot = self._snapshot
            if snapshot is None or time.monotonic() - snapshot.read_at > CACHE_SECONDS:
                snapshot = self._snapshot = await self._read()
            return snapshot

    async def _read(self) -> Snapshot:
        try:
            async with self.database.pool.connection(timeout=CONNECT_TIMEOUT_SECONDS) as conn, \
                    conn.transaction():
                await conn.execute(f"set local statement_timeout = {READ_TIMEOUT_MS}")
                publication = await (await conn.execute(PUBLICATION)).fetchone()
                loads = await (await conn.execute(LOADS)).fetchall()
                quarantined = await (await conn.execute(QUARANTINED)).fetchall()
        except Exception as err:  # reported as such, in the metrics and the probe's body
            return Snapshot(error=f"{type(err).__name__}: {err}".strip())
        return Snapshot(
            published_at=publication["published_at"] if publication else None,
            publication_age_seconds=publication["age_seconds"] if publication else None,
            loads=loads, quarantined=quarantined)


class _Collector:
    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot

    def collect(self):
        snapshot = self.snapshot
        yield GaugeMetricFamily(
            "kho_warehouse_up", "1 when /metrics read the warehouse's state (a connection "
            "within 0.5 s, the reads within 2 s), else 0", value=int(snapshot.reachable))
        if not snapshot.reachable:
            return
        if snapshot.published_at is not None:
            yield GaugeMetricFamily(
                "kho_publication_timestamp_seconds", "When the build the API serves was "
                "published (Unix time)", value=snapshot.published_at)
            yield GaugeMetricFamily(
                "kho_publication_age_seconds", "How long ago the build the API serves was "
                "published", value=snapshot.publication_age_seconds)
        labels = ["source", "table"]
        loaded = CounterMetricFamily(
            "kho_source_rows_loaded", "Source rows inserted or updated in the warehouse by "
            "the loads that succeeded, per source table", labels=labels)
        last = GaugeMetricFamily(
            "kho_source_last_load_timestamp_seconds", "When the last load of the source "
            "table that succeeded finished (Unix time)", labels=labels)
        for row in snapshot.loads:
            loaded.add_metric([row["source"], row["table_name"]], row["rows_loaded"])
            last.add_metric([row["source"], row["table_name"]], row["last_load_at"])
        quarantined = GaugeMetricFamily(
            "kho_source_rows_quarantined", "Source rows in quarantine (broke their table's "
            "contract, not released since), per source table", labels=labels)
        for row in snapshot.quarantined:
            quarantined.add_metric([row["source"], row["table_name"]], row["open_rows"])
        yield from (loaded, last, quarantined)


def registry(snapshot: Snapshot) -> CollectorRegistry:
    """A registry holding the snapshot's metrics, for one scrape."""
    held = CollectorRegistry(auto_describe=False)
    held.register(_Collector(snapshot))
    return held
