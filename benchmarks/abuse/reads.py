"""The normal read: benchmarks/api's scenario (a), sent by its agency client ('bench') over
keep-alive connections. An answer that is late past the timeout, or a connection the server
cuts, is an error of that read (the connection is opened again for the next), not a failure
of the benchmark: under abuse either may happen.

benchmarks/api's ``__main__.py`` is loaded as the module ``api_benchmark``: its agency
client, its requests and its checks of an answer are the ones used here.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # load.py, server.py, ...
from load import Call, HttpConnection
from scenarios import Scenario
from server import HOST

API_DIR = Path(__file__).resolve().parents[1] / "api"


def _api_benchmark():
    spec = importlib.util.spec_from_file_location("api_benchmark", API_DIR / "__main__.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


api_benchmark = _api_benchmark()


class Reader:
    """One virtual agency client: its connection, opened when needed."""

    def __init__(self, scenario: Scenario, requests: list[bytes], counter: itertools.count,
                 port: int, timeout: float):
        self.scenario, self.requests, self.counter = scenario, requests, counter
        self.port, self.timeout = port, timeout
        self.connection: HttpConnection | None = None

    async def call(self) -> str | None:
        request = self.requests[next(self.counter) % len(self.requests)]
        try:
            async with asyncio.timeout(self.timeout):
                if self.connection is None:
                    self.connection = await HttpConnection.open(HOST, self.port)
                api_benchmark.api_answer(self.scenario,
                                         *await self.connection.exchange(request))
            return None
        except api_benchmark.WrongAnswer as err:
            return str(err)
        except TimeoutError:
            self.close()
            return f"no answer in {self.timeout:g} s"
        except (OSError, EOFError) as err:
            self.close()
            return f"connection cut: {err!r}"

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def readers(scenario: Scenario, port: int, clients: int, timeout: float) -> list[Reader]:
    """``clients`` readers cycling together through the scenario's variables."""
    requests = [api_benchmark.graphql_request(scenario, v, port) for v in scenario.variables]
    counter = itertools.count()
    return [Reader(scenario, requests, counter, port, timeout) for _ in range(clients)]


def calls(chosen: list[Reader]) -> list[Call]:
    return [reader.call for reader in chosen]
