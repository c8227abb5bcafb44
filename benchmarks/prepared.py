"""What the benchmarks that need a loaded warehouse share: the simulated sources' tables and
the reference data loaded into it once per scale, kept between runs.

Imported by benchmarks/warehouse and benchmarks/entity_resolution, which put this folder on
``sys.path`` (each runs as a script, from its own folder).
"""

from __future__ import annotations

import time

from kho import db, migrations, warehouse
from kho.settings import SOURCES
from pipelines.reference.admin_units import load_reference
from pipelines.sources.contracts import CONTRACTS
from pipelines.sources.extract_load import IngestSettings, load_tables


def bench_databases(server: str, prefix: str) -> tuple[dict[str, str], str, str]:
    """A benchmark's databases on the warehouse server: the sources, the ground truth and
    the warehouse, named ``<db>_<prefix>_...``."""
    base = f"{db.database_name(server)}_{prefix}"
    return ({s: db.with_database(server, f"{base}_src_{s}") for s in SOURCES},
            db.with_database(server, f"{base}_ground_truth"),
            db.with_database(server, f"{base}_warehouse"))


def _loaded_scale(url: str) -> int | None:
    with db.connect(url) as conn:
        row = conn.execute("select scale from public.bench_info").fetchone()
    return row[0] if row else None


def ensure_loaded(url: str, sources: dict[str, str], scale: int, *, reload: bool = False
                  ) -> float | None:
    """Load every source table (a full refresh, as kho's ingest step runs it) and the
    reference data into the warehouse at ``url``, unless it already holds ``scale``
    (``reload``: the sources were just seeded again). Seconds taken, or None if kept."""
    warehouse.prepare_database(url)
    migrations.upgrade(url)
    with db.connect(url) as conn:
        conn.execute("create table if not exists public.bench_info (scale integer)")
    if not reload and _loaded_scale(url) == scale:
        return None
    started = time.perf_counter()
    for contract, result in load_tables(url, [(c, sources[c.source]) for c in CONTRACTS],
                                        IngestSettings(full_refresh=True)):
        if isinstance(result, BaseException):
            raise RuntimeError(f"{contract.raw_table}: {result}") from result
    load_reference(url)
    with db.connect(url) as conn:
        conn.execute("delete from public.bench_info")
        conn.execute("insert into public.bench_info values (%s)", (scale,))
    return time.perf_counter() - started
