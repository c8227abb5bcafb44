"""The abusive client: anonymous (no key), sending five kinds of hostile request in turn, on a
fixed schedule, and what each got back.

Each kind is sent from a loopback address of its own (127.0.0.11 to 127.0.0.15; Linux
answers the whole of 127.0.0.0/8), so the access log's ``remote_addr`` tells its rows apart;
together they send what one address may (each address a fifth of it, so none is refused
for its rate: what is measured is what the limit lets through).
Every request opens a connection of its own, writes its head, then streams its body while the
answer is awaited: a server may answer (413, say) or cut the connection before the body is
all sent, and both count as the server's answer, not as a failure of the benchmark.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import string
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # load.py, server.py
from load import HttpConnection
from server import HOST

MB = 1 << 20
DOCUMENT_PADDING = 8 * MB  # the oversized document's `#` comment
ALIASES = 200  # introspections in one document
VARIABLE_BYTES = 1 * MB  # the large variable's string
BODY_BYTES = 50 * MB  # the streamed body
NESTING = 100_000  # arrays in arrays of the deeply nested body

INTROSPECTION = "{ types { name fields { name } } }"
LARGE_VARIABLE = ("query LargeVariable($n: String) "
                  "{ organizations(filter: {name: $n}) { totalCount } }")


def _letters(count: int) -> bytes:
    """Seeded random lowercase letters (a block of at most 1 MB, repeated): what a
    compressing store cannot shrink much."""
    block = "".join(random.Random(count).choices(string.ascii_lowercase,
                                                  k=min(count, MB))).encode()
    return (block * (count // len(block) + 1))[:count]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    address: str  # the loopback address it is sent from
    parts: tuple[bytes, ...]  # the body, in the pieces it is written in
    length: int

    def head(self, port: int) -> bytes:
        return (f"POST /graphql HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {self.length}\r\n\r\n"
                ).encode()


def _kind(number: int, key: str, label: str, *parts: bytes) -> Kind:
    return Kind(key, f"({number}) {label}", f"127.0.0.{10 + number}", parts,
                sum(len(p) for p in parts))


def kinds() -> list[Kind]:
    """The five requests, built once: the client's own work stays small beside the server's."""
    padding = _letters(DOCUMENT_PADDING)
    document = b'{"query": "query Padded { __typename }\\n#' + padding + b'"}'
    aliased = "query Aliased { " + " ".join(
        f"a{i}: __schema {INTROSPECTION}" for i in range(ALIASES)) + " }"
    variable = orjson.dumps({"query": LARGE_VARIABLE,
                             "variables": {"n": _letters(VARIABLE_BYTES).decode()}})
    chunk = _letters(MB)
    body_prefix = b'{"query": "query LargeBody { __typename }", "variables": {"pad": "'
    body_suffix = b'"}}'
    pad = BODY_BYTES - len(body_prefix) - len(body_suffix)
    nested = (b'{"query": "query Nested { __typename }", "variables": {"x": '
              + b"[" * NESTING + b"]" * NESTING + b"}}")
    return [
        _kind(1, "document", f"{DOCUMENT_PADDING // MB} MB document: a tiny query and a "
              "`#` comment", document),
        _kind(2, "introspection", f"{ALIASES} aliased __schema introspections",
              orjson.dumps({"query": aliased})),
        _kind(3, "variable", f"a {VARIABLE_BYTES // MB} MB string variable in "
              "organizations' name filter", variable),
        _kind(4, "body", f"a {BODY_BYTES // MB} MB body, streamed", body_prefix,
              *([chunk] * (pad // MB)), chunk[:pad % MB], body_suffix),
        _kind(5, "nested", f"JSON nested {NESTING:,} arrays deep", nested),
    ]


@dataclass
class Abuse:
    """What the abusive client sent over a run, and what it got back."""
    seconds: float
    answers: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def sent(self) -> int:
        return sum(sum(c.values()) for c in self.answers.values())

    def add(self, other: Abuse) -> Abuse:
        total = Abuse(self.seconds + other.seconds)
        for run in (self, other):
            for key, counter in run.answers.items():
                total.answers[key].update(counter)
                total.durations[key].extend(run.durations[key])
        return total


def _answer(status: int, body: bytes) -> str:
    """The status, with the first GraphQL error's code when the body holds one."""
    try:
        errors = orjson.loads(body).get("errors") or []
    except (orjson.JSONDecodeError, AttributeError):
        errors = []
    code = (errors[0].get("extensions") or {}).get("code") if errors else None
    return f"{status} {code}" if code else str(status)


async def _upload(writer: asyncio.StreamWriter, parts: tuple[bytes, ...]) -> None:
    for part in parts:
        writer.write(part)
        await writer.drain()


async def send(kind: Kind, port: int, timeout: float) -> str:
    """One request of ``kind`` on a connection of its own; what came of it."""
    try:
        async with asyncio.timeout(timeout):
            connection = HttpConnection(*await asyncio.open_connection(
                HOST, port, local_addr=(kind.address, 0)))
            try:
                connection.writer.write(kind.head(port))
                upload = asyncio.create_task(_upload(connection.writer, kind.parts))
                # A cut connection fails the upload too: that is the answer, read below.
                upload.add_done_callback(lambda task: task.cancelled() or task.exception())
                try:
                    # The head is written; the answer is read while the body streams.
                    return _answer(*await connection.exchange(b""))
                finally:
                    upload.cancel()
            finally:
                connection.close()
    except TimeoutError:
        return f"no answer in {timeout:g} s"
    except (OSError, EOFError):  # reset, broken pipe, closed mid-answer
        return "refused: connection cut"


async def abuse(chosen: list[Kind], port: int, per_second: float, connections: int,
                seconds: float, timeout: float) -> Abuse:
    """``connections`` clients taking turns to send ``per_second`` requests a second in all,
    the kinds in turn, for ``seconds``; a client whose answer is late sends its next request
    late (never more than ``connections`` in flight)."""
    run = Abuse(seconds)
    started = time.perf_counter()

    async def client(index: int) -> None:
        for turn in itertools.count():
            number = turn * connections + index
            if (due := started + number / per_second) >= started + seconds:
                return
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            kind = chosen[number % len(chosen)]
            begun = time.perf_counter()
            run.answers[kind.key][await send(kind, port, timeout)] += 1
            run.durations[kind.key].append(time.perf_counter() - begun)

    async with asyncio.TaskGroup() as group:
        for index in range(connections):
            group.create_task(client(index))
    return run
