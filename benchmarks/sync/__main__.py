"""What the change feed costs a publication, and how fast webhooks deliver it.

    flock /tmp/kho-heavy.lock .venv/bin/python benchmarks/sync --scale 100000 --days 1

On the configured warehouse server, in databases of its own (``<db>_bench_sync_*``, since
it advances its sources): seeds the simulated sources, loads them, builds and publishes
(the first publication: a snapshot, no events); advances the sources ``--days`` days, loads
what changed, builds again (timed) and publishes, recording the change feed in the
publication's transaction. Prints the events written by kind and the feed's seconds
against the build's (goal: under 10 %).

Then delivery: a receiver on this machine (verifying every signature), a client holding
every grant, and three subscriptions to every type from the start of the feed: one to the
receiver, one to a port nothing listens on (dead), one to a path that never answers
(slow, each attempt waiting out the timeout). ``kho webhooks deliver`` runs as its own
process until the receiver holds every event; prints events per second (goal: 1,000 or
more, a day's changes in under a minute), against a plain loop that POSTs the same
messages to the same receiver from this process, unsigned and without the database.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from standardwebhooks import Webhook

from kho import db, warehouse
from pipelines.dbt.project import run_dbt
from pipelines.dbt.publish import mart_models, publish
from pipelines.master_data.ids import record_master_ids
from pipelines.sources.contracts import CONTRACTS
from pipelines.sources.extract_load import IngestSettings, load_tables
from simulated_sources.changes import advance
from simulated_sources.seed import seed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/, for prepared.py
from prepared import bench_databases, ensure_loaded

PURPOSE = "benchmarks/sync"


def build_and_publish(url: str) -> tuple[float, object]:
    with tempfile.TemporaryDirectory() as target:
        started = time.perf_counter()
        result = run_dbt(url, Path(target), "build", "--threads", "2")
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"dbt build failed:\n{result.stdout[-4000:]}")
        manifest = json.loads((Path(target) / "manifest.json").read_text())
    publication = publish(url, mart_models(manifest))
    record_master_ids(url)
    return seconds, publication


def load_changes(url: str, sources: dict[str, str]) -> None:
    for contract, result in load_tables(url, [(c, sources[c.source]) for c in CONTRACTS],
                                        IngestSettings()):
        if isinstance(result, BaseException):
            raise RuntimeError(f"{contract.raw_table}: {result}") from result


class Receiver:
    """Accepts every message on /ok (verifying it), never answers on /slow."""

    def __init__(self):
        self.events = 0
        self.messages = 0
        self.secret: str | None = None
        self.lock = threading.Lock()
        self.done = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/slow":
                    receiver.done.wait(600)
                    return
                count = len(json.loads(body)["data"]["events"])
                if receiver.secret is not None:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                with receiver.lock:
                    receiver.events += count
                    receiver.messages += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def kho(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "kho.cli", *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch", type=int, default=100, help="KHO_WEBHOOK_BATCH")
    args = parser.parse_args()

    server = warehouse.ensure_warehouse()
    sources, truth, url = bench_databases(server, "bench_sync")
    print(f"warehouse server {db.redact(server)}; {args.scale:,} persons, "
          f"{args.days} day(s) of change", flush=True)
    started = time.perf_counter()
    seed(args.scale, args.seed, sources, truth)
    db.drop_database(url)
    ensure_loaded(url, sources, args.scale, reload=True)
    warehouse.prepare_roles(url)
    print(f"seeded and loaded in {time.perf_counter() - started:.0f} s", flush=True)
    first_build, first = build_and_publish(url)
    print(f"first build {first_build:.1f} s, published as a snapshot "
          f"({first.changes.note})", flush=True)

    advance(args.days, sources, truth)
    load_changes(url, sources)
    build_seconds, publication = build_and_publish(url)
    feed = publication.changes
    events = sum(feed.events.values())
    print(f"\nchange feed of the second publication: {events:,} events "
          f"({', '.join(f'{k} {n:,}' for k, n in feed.events.items())})")
    print(f"  dbt build {build_seconds:.1f} s; the feed {feed.seconds:.2f} s in the "
          f"publication's transaction: {100 * feed.seconds / build_seconds:.1f} % of the "
          f"build (goal: under 10 %)", flush=True)

    # Delivery.
    receiver = Receiver()
    env = {**os.environ, "KHO_WAREHOUSE_URL": url, "KHO_WEBHOOK_BATCH": str(args.batch),
           "KHO_WEBHOOK_TIMEOUT": "2", "KHO_WEBHOOK_RETRY_DELAY": "0.5"}
    output = kho(env, "clients", "create", "bench-sync", "--agency", "benchmarks",
                 *[a for d in ("land", "enterprise", "civil_registry", "cadre")
                   for a in ("--grant", f"{d}:personal")])
    assert "created client" in output
    secrets = {}
    with socket.socket() as unused:  # bound and closed: nothing listens there
        unused.bind(("127.0.0.1", 0))
        dead_port = unused.getsockname()[1]
    for name, endpoint in (("ok", f"http://127.0.0.1:{receiver.port}/ok"),
                           ("dead", f"http://127.0.0.1:{dead_port}/gone"),
                           ("slow", f"http://127.0.0.1:{receiver.port}/slow")):
        output = kho(env, "subscriptions", "create", name, "--client", "bench-sync",
                     "--endpoint", endpoint, "--purpose", PURPOSE, "--after", "0")
        secrets[name] = output.strip().splitlines()[-1].strip()
    receiver.secret = secrets["ok"]
    with db.connect(url) as conn:
        total = conn.execute("select count(*) from changes.events").fetchone()[0]
        conn.execute("update changes.subscriptions set status = 'paused'")
    # The deliverer started and idle first, so that its start-up is not timed.
    process = subprocess.Popen([sys.executable, "-m", "kho.cli", "webhooks", "deliver"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    process.stdout.readline()
    time.sleep(2)
    with db.connect(url) as conn:
        conn.execute("update changes.subscriptions set status = 'active'")
    started = time.perf_counter()
    try:
        while receiver.events < total:
            if process.poll() is not None:
                raise SystemExit(f"kho webhooks deliver stopped:\n{process.stdout.read()}")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=60)
        receiver.done.set()
    with db.connect(url) as conn:
        attempts = dict(conn.execute("""
            select s.name, count(*) from changes.delivery_attempts a
            join changes.subscriptions s using (subscription_id) group by s.name""").fetchall())
    print(f"\ndelivery of {total:,} events in {receiver.messages:,} messages of up to "
          f"{args.batch}: {seconds:.2f} s, {total / seconds:,.0f} events/s (goal: 1,000 or "
          f"more); attempts meanwhile: {attempts} (dead and slow kept failing)")

    # The peer: the same messages POSTed from here, unsigned, without the database.
    bodies = []
    with db.connect(url) as conn:
        rows = conn.execute("select payload from changes.events order by cursor").fetchall()
    for i in range(0, len(rows), args.batch):
        bodies.append(json.dumps({"type": "kho.changes", "data": {"events": [
            {"attributes": r[0]} for r in rows[i:i + args.batch]]}}).encode())
    receiver.secret, receiver.events = None, 0
    started = time.perf_counter()
    with httpx.Client() as client:
        for body in bodies:
            client.post(f"http://127.0.0.1:{receiver.port}/ok", content=body,
                        headers={"content-type": "application/json"})
    plain = time.perf_counter() - started
    print(f"plain POST loop of the same messages: {plain:.2f} s, {total / plain:,.0f} "
          f"events/s; kho's delivery takes {seconds / plain:.1f}x as long")
    receiver.server.shutdown()


if __name__ == "__main__":
    main()
