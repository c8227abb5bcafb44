"""The PostgreSQL server's peak memory while kho resolves: kho's work happens in the server,
so the dbt process's own memory says little.

Sampled in a thread: the sum of the resident set sizes (RSS) of the server's processes (the
postmaster and all its children), every ``INTERVAL`` seconds, less the same sum just before.
Shared buffers touched by several processes count once per process, as RSS counts them.
Only a server on this machine can be sampled.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import psutil
import psycopg

from kho import db

INTERVAL = 0.2


def server_process(url: str) -> psutil.Process | None:
    """The postmaster of the server at ``url`` if it runs on this machine (its data
    directory's postmaster.pid names a process that is the parent of our backend)."""
    try:
        with db.connect(url) as conn:
            backend, data_directory = conn.execute(
                "select pg_backend_pid(), current_setting('data_directory')").fetchone()
            pid = int((Path(data_directory) / "postmaster.pid").read_text().split()[0])
            postmaster = psutil.Process(pid)
            if backend not in (child.pid for child in postmaster.children()):
                return None
            return postmaster
    except (OSError, ValueError, IndexError, psutil.Error, psycopg.Error):
        return None


def resident_bytes(postmaster: psutil.Process) -> int:
    total = 0
    for process in (postmaster, *postmaster.children(recursive=True)):
        with contextlib.suppress(psutil.NoSuchProcess):  # a backend that ended meanwhile
            total += process.memory_info().rss
    return total


class PeakMemory:
    """Use as ``with PeakMemory(postmaster) as peak: ...``; then ``peak.before`` and
    ``peak.above`` (bytes)."""

    def __init__(self, postmaster: psutil.Process):
        self._postmaster = postmaster
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.before = 0
        self.peak = 0

    @property
    def above(self) -> int:
        return max(0, self.peak - self.before)

    def _sample(self) -> None:
        while not self._stop.wait(INTERVAL):
            self.peak = max(self.peak, resident_bytes(self._postmaster))

    def __enter__(self) -> PeakMemory:
        self.before = self.peak = resident_bytes(self._postmaster)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident_bytes(self._postmaster))
