"""How fresh the API is: from a day of source changes to the change answered, and what a
full build costs per person.

    .venv/bin/python benchmarks/freshness --scale 100000

A kho installation of its own (``KHO_HOME`` under the system's temporary directory, its
warehouse ``<db>_fresh_<scale>`` on the configured server: the embedded one unless
KHO_WAREHOUSE_URL is set), driven through the ``kho`` command as an operator would:

1. ``kho sources seed``: the seed time;
2. ``kho materialize --ingest-only``: the full load of every source;
3. ``kho materialize``: the full build (every model in full: no build before it), and its
   cost per person;
4. ``kho serve`` started, then ``kho sources advance --days 1`` and ``kho materialize``
   (incremental), while a client of the civil registry asks the API every 0.2 s for a
   child whose birth that day registered: the seconds from the start of ``advance`` to
   the first answer naming the child, split into writing the sources, ingest, reference,
   build, entity resolution, publish and master IDs (the run's ``kho/phase_seconds``
   tag).

Prints each figure, the incremental run's share of the full build, and the goals (at
1,000,000 persons a day's changes answered within 60 s; at 5,000,000 a full build under
25 minutes and a day's changes within 3 minutes). Run it under
``flock /tmp/kho-heavy.lock`` at 100,000 persons and more.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg

from kho import db, warehouse
from kho.runner import PHASE_SECONDS_TAG
from kho.settings import load_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for api/
from api.server import api_server, free_port

PROBE = "query($n: String!) { personByIdNumber(number: $n) { id } }"
GOALS = {1_000_000: "a day's changes answered within 60 s",
         5_000_000: "a full build under 25 minutes, a day's changes answered within 3 min"}


class Installation:
    """The benchmark's kho: its environment, and ``kho`` run in it, timed."""

    def __init__(self, scale: int):
        self.home = Path(tempfile.gettempdir()) / f"kho-freshness-{scale}"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("KHO_") and k != "DAGSTER_HOME"}
        self.env["KHO_HOME"] = str(self.home)
        server = load_settings().warehouse_url
        # The installation's own warehouse on the configured server; None: embedded.
        self.url = db.with_database(server, f"{db.database_name(server)}_fresh_{scale}") \
            if server else None
        if self.url:
            self.env["KHO_WAREHOUSE_URL"] = self.url

    def kho(self, *args: str) -> tuple[float, str]:
        """Seconds ``kho ARGS`` took, and what it printed."""
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "kho.cli", *args], env=self.env,
                                capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"kho {' '.join(args)} failed:\n{result.stdout[-3000:]}\n"
                             f"{result.stderr[-3000:]}")
        return seconds, result.stdout

    @property
    def warehouse_url(self) -> str:
        return self.kho("warehouse", "url")[1].strip()

    def client_key(self) -> str:
        """A civil-registry client allowed personal data: its API key."""
        _, output = self.kho("clients", "create", "freshness-probe", "--agency", "benchmark",
                             "--grant", "civil_registry:personal")
        return re.search(r"^\s+(kho_\S+)$", output, re.MULTILINE).group(1)

    def phases(self, output: str) -> dict[str, float]:
        """The run's phases, from its tags in the installation's Dagster instance."""
        from dagster import DagsterInstance

        run_id = re.search(r"\(run ([0-9a-f-]{36})\)", output).group(1)
        home = self.kho("pipelines", "home")[1].strip()
        with DagsterInstance.from_config(home) as instance:
            return json.loads(instance.get_run_by_id(run_id).tags[PHASE_SECONDS_TAG])

    def drop(self) -> None:
        """Remove the installation: its warehouse, sources and home."""
        url = self.url
        if url is None:
            if self.home.exists():
                self.kho("warehouse", "stop")
                shutil.rmtree(self.home)
            return
        name = db.database_name(url)
        with psycopg.connect(db.with_database(url, "postgres"), autocommit=True) as conn:
            databases = [r[0] for r in conn.execute(
                "select datname from pg_database where datname like %s", (f"{name}%",))]
        for database in databases:
            db.drop_database(db.with_database(url, database))


def a_birth_of(truth_url: str, civil_registry_url: str, day: str) -> str | None:
    """The personal ID of a child whose birth was registered on ``day``."""
    with psycopg.connect(truth_url) as conn:
        keys = [r[0] for r in conn.execute(
            "select record_key from changes where table_name = 'khai_sinh' and operation = "
            "'insert' and day = %s order by change_no", (day,))]
    with psycopg.connect(civil_registry_url) as conn:
        for key in keys:
            row = conn.execute("select so_dinh_danh from khai_sinh where so_dang_ky = %s",
                               (key,)).fetchone()
            if row and row[0] and re.fullmatch(r"\d{12}", row[0]):
                return row[0]
    return None


def answered(base: str, headers: dict, number: str) -> bool:
    response = httpx.post(f"{base}/graphql", json={"query": PROBE, "variables": {"n": number}},
                          headers=headers, timeout=30)
    return response.status_code == 200 and bool(
        (response.json().get("data") or {}).get("personByIdNumber"))


def watch(base: str, headers: dict, number: str, seen: dict, stop: threading.Event) -> None:
    while not stop.is_set():
        if answered(base, headers, number):
            seen["at"] = time.perf_counter()
            return
        stop.wait(0.2)


def show(label: str, seconds: float) -> None:
    print(f"  {label:<34}{seconds:9.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", action="store_true",
                        help="Keep the installation (its warehouse and sources) afterwards.")
    args = parser.parse_args()

    kho = Installation(args.scale)
    kho.drop()  # what a previous run kept
    print(f"freshness at {args.scale:,} persons, {os.cpu_count()} cores; kho home {kho.home}; "
          f"warehouse {db.redact(kho.warehouse_url)}", flush=True)
    try:
        seed_seconds, _ = kho.kho("sources", "seed", "--scale", str(args.scale),
                                  "--seed", str(args.seed))
        show("seed the sources", seed_seconds)
        load_seconds, _ = kho.kho("materialize", "--ingest-only")
        show("full load (ingest only)", load_seconds)
        build_seconds, output = kho.kho("materialize")
        full = kho.phases(output)
        show("full build (kho materialize)", build_seconds)
        for phase, seconds in full.items():
            show(f"  {phase}", seconds)
        print(f"  cost of the full build per person: "
              f"{build_seconds / args.scale * 1e6:,.0f} µs (its steps alone: "
              f"{sum(full.values()) / args.scale * 1e6:,.0f} µs)", flush=True)

        url = kho.warehouse_url
        headers = {"Authorization": f"Bearer {kho.client_key()}",
                   "X-Purpose": "benchmark: freshness of a birth registration"}
        with api_server(url, free_port(), 1, kho.env) as server:
            base = f"http://127.0.0.1:{server.port}"
            started = time.perf_counter()
            advance_seconds, advanced = kho.kho("sources", "advance", "--days", "1")
            day = re.search(r"advanced 1 day\(s\) to (\S+)", advanced).group(1)
            number = a_birth_of(warehouse.ground_truth_url(url),
                                warehouse.source_urls(url)["civil_registry"], day)
            if number is None:
                raise SystemExit(f"no birth with a personal ID was registered on {day}")
            assert not answered(base, headers, number), "the child is known before the run"
            seen: dict[str, float] = {}
            stop = threading.Event()
            watcher = threading.Thread(target=watch, args=(base, headers, number, seen, stop))
            watcher.start()
            run_seconds, output = kho.kho("materialize")
            watcher.join(timeout=60)
            stop.set()
            if "at" not in seen:
                raise SystemExit(f"the API did not answer the child {number} after the run")
            incremental = kho.phases(output)
        visible = seen["at"] - started
        print(f"one day of changes ({day}), from `kho sources advance --days 1` to the API "
              f"answering a child born that day: {visible:.1f} s", flush=True)
        show("write the sources (advance)", advance_seconds)
        for phase, seconds in incremental.items():
            show(phase, seconds)
        show("kho materialize, end to end", run_seconds)
        print(f"  incremental run / full build: {run_seconds / build_seconds:.2f}; "
              f"build phases (build + entity resolution) incremental / full: "
              f"{(incremental.get('build', 0) + incremental.get('entity resolution', 0)) / max(1e-9, full.get('build', 0) + full.get('entity resolution', 0)):.2f}",  # noqa: E501
              flush=True)
        for scale, goal in GOALS.items():
            print(f"  goal at {scale:,} persons: {goal}")
    finally:
        if not args.keep:
            kho.drop()


if __name__ == "__main__":
    main()
