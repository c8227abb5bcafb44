"""The API under test: ``kho serve`` in a process group of its own, as an operator runs it,
stopped with everything it started when the benchmark ends, fails or is interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil

HOST = "127.0.0.1"
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (uvicorn's workers too), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass(frozen=True)
class ApiServer:
    process: subprocess.Popen
    port: int
    # The largest resident memory seen per worker process (pid -> bytes).
    peaks: dict[int, int] = field(default_factory=dict)

    def workers(self) -> list[psutil.Process]:
        root = psutil.Process(self.process.pid)
        return [p for p in root.children(recursive=True)
                if self._sockets(p, psutil.CONN_LISTEN)] or [root]

    async def sample_memory(self, every: float = 0.25) -> None:
        """Keep each worker's peak resident memory until cancelled."""
        workers = self.workers()
        while True:
            for worker in workers:
                with contextlib.suppress(psutil.Error):
                    rss = worker.memory_info().rss
                    self.peaks[worker.pid] = max(self.peaks.get(worker.pid, 0), rss)
            await asyncio.sleep(every)

    def peak_rss(self) -> list[int]:
        return sorted(self.peaks.values(), reverse=True)

    def _sockets(self, process: psutil.Process, status: str) -> int:
        return sum(1 for c in process.net_connections("tcp")
                   if c.laddr.port == self.port and c.status == status)

    def connections_per_worker(self) -> list[int]:
        """Open connections of each worker, most first. uvicorn's workers share one
        listening socket and a keep-alive connection stays with the one that accepted it,
        so this says how evenly the load was spread."""
        return sorted((self._sockets(p, psutil.CONN_ESTABLISHED) for p in self.workers()),
                      reverse=True)


@contextmanager
def api_server(warehouse_url: str, port: int, workers: int, env: dict[str, str]
               ) -> Iterator[ApiServer]:
    """``kho serve`` on ``port`` against ``warehouse_url``, healthy, for the ``with`` block;
    ``env`` is added to this process's environment (server settings under test)."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "kho.cli", "serve", "--host", HOST, "--port", str(port),
             "--workers", str(workers)],
            env={**os.environ, "KHO_WAREHOUSE_URL": warehouse_url, **env},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _healthy(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(
                        f"the API did not answer GET /healthz with 200 within "
                        f"{STARTUP_SECONDS} s (exit code {process.poll()}); its output:\n"
                        f"{log.read()[-4000:]}")
                time.sleep(0.2)
            yield ApiServer(process, port)
        finally:
            _stop(process)
