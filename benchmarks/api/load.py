"""The load: virtual clients that each send their next request when the previous answer
arrived, or on a fixed schedule, and the figures of a run.

Client, API server and PostgreSQL share the machine's cores, so the client is kept cheap:
requests are built before the run, and HTTP is spoken by hand over one keep-alive
connection per client (status line, Content-Length, body), with no HTTP library in the loop.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

# One request of a virtual client: None when the answer was right, else what was wrong.
Call = Callable[[], Awaitable[str | None]]


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to the API."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        return cls(*await asyncio.open_connection(host, port))

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send a complete request; the answer's status and body."""
        self.writer.write(request)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the API closed the connection")
        status = int(status_line.split(maxsplit=2)[1])
        length = None
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        if length is None:
            raise ConnectionError(f"an answer without Content-Length (HTTP {status})")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def post_request(host: str, port: int, path: str, body: bytes,
                 headers: dict[str, str] | None = None) -> bytes:
    """A complete ``POST`` of a JSON body, ready to write."""
    more = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{more}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


@dataclass(frozen=True)
class Run:
    latencies: list[float]  # seconds, of the requests answered in the measured window
    seconds: float
    requests: int  # every request sent, the warm-up's too
    errors: int
    first_error: str | None

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def p50_ms(self) -> float:
        return self._percentiles_ms[49]

    @property
    def p99_ms(self) -> float:
        return self._percentiles_ms[98]

    @functools.cached_property
    def _percentiles_ms(self) -> list[float]:
        return [q * 1000 for q in
                statistics.quantiles(self.latencies, n=100, method="inclusive")]


async def measure(clients: Sequence[Call], warmup: float, seconds: float,
                  rate: float | None = None) -> Run:
    """Run every client for ``warmup`` then ``seconds``; the latencies of the requests
    answered after the warm-up and before the end.

    Without ``rate`` each client sends its next request as soon as the previous answer came
    (closed loop: the figure is the most the server answers, and p50 is about clients / rps).
    With ``rate`` the clients together send ``rate`` requests a second on a fixed schedule,
    taking turns, and a latency counts from when its request was due, so a server that falls
    behind shows its queue in the figures instead of slowing the schedule down."""
    latencies: list[float] = []
    errors: list[str] = []
    sent = 0
    started = time.perf_counter()
    window, end = started + warmup, started + warmup + seconds

    async def client(index: int, call: Call) -> None:
        nonlocal sent
        for turn in itertools.count():
            if rate is None:
                due = time.perf_counter()
            else:
                due = started + (turn * len(clients) + index) / rate
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
            if due >= end:
                return
            error = await call()
            after = time.perf_counter()
            sent += 1
            if error is not None:
                errors.append(error)
            elif window <= after < end:
                latencies.append(after - due)

    async with asyncio.TaskGroup() as group:
        for index, call in enumerate(clients):
            group.create_task(client(index, call))
    return Run(latencies, seconds, sent, len(errors), errors[0] if errors else None)
