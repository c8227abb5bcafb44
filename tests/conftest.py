"""Shared test helpers: running the real ``kho`` CLI against real warehouses."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from kho import db

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_MARIADB = "mysql+pymysql://root@127.0.0.1:3306/"


def pytest_addoption(parser):
    parser.addoption("--api-executor", choices=("compiled", "resolvers"), default="compiled",
                     help="which executor the graph's tests (tests/api) read through: the "
                          "compiled one (with the resolvers for what it does not cover), or "
                          "the resolvers alone (KHO_API_COMPILER=off)")


def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist with ``--dist loadscope``, the tests sharing a deployment run on
    one worker, in order: a module's tests together, and the package tests/api (one
    deployment for all). (xdist's own ``loadgroup`` marks nothing under pytest 9.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class DeploymentScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            return "tests/api" if path.startswith("tests/api/") else path

    return DeploymentScheduling(config, log)


def stable_id(namespace: str, key: str) -> str:
    """kho's documented ID derivation for natural keys (dbt macro ``stable_id``)."""
    return str(uuid.UUID(hashlib.md5(f"{namespace}:{key}".encode()).hexdigest()))


def person_id(warehouse_url: str, anchor: str) -> str:
    """kho's documented person-ID derivation (dbt macro ``person_id``), keyed with the
    installation's secret."""
    with psycopg.connect(warehouse_url) as conn:
        key = conn.execute("select value from kho_secrets.keys "
                           "where name = 'person_id_key'").fetchone()[0]
    return str(uuid.UUID(hashlib.md5(f"{key}:person:{anchor}".encode()).hexdigest()))


def local_server_available() -> bool:
    try:
        with psycopg.connect(LOCAL_SERVER, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def local_mariadb_available() -> bool:
    import pymysql

    try:
        pymysql.connect(host="127.0.0.1", port=3306, user="root", connect_timeout=2).close()
        return True
    except pymysql.err.OperationalError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Deployment:
    """A kho installation under test: its environment and where its warehouse is."""

    name: str
    env: dict[str, str]
    home: Path

    def kho(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "kho.cli", *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"kho {' '.join(args)} exited {result.returncode}\n"
                                 f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    @property
    def warehouse_url(self) -> str:
        return self.kho("warehouse", "url").stdout.strip()

    def source_url(self, source: str) -> str:
        url = self.warehouse_url
        return db.with_database(url, f"{db.database_name(url)}_src_{source}")


def make_deployment(kind: str, home: Path) -> Deployment:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KHO_") and k != "DAGSTER_HOME"}
    env["KHO_HOME"] = str(home)
    if kind == "server":
        if not local_server_available():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
        name = f"kho_test_{uuid.uuid4().hex[:8]}"
        env["KHO_WAREHOUSE_URL"] = db.with_database(LOCAL_SERVER, name)
    return Deployment(kind, env, home)


def teardown_deployment(deployment: Deployment) -> None:
    for name, url in deployment.env.items():
        if name.startswith("KHO_SOURCE_") and db.backend(url) == "mysql":
            db.drop_database(url)
    if "KHO_WAREHOUSE_URL" in deployment.env:
        url = deployment.env["KHO_WAREHOUSE_URL"]
        name = db.database_name(url)
        with psycopg.connect(LOCAL_SERVER, autocommit=True) as conn:
            databases = [r[0] for r in conn.execute(
                "select datname from pg_database where datname like %s", (f"{name}%",))]
        for database in databases:
            db.drop_database(db.with_database(url, database))
    else:
        deployment.kho("warehouse", "stop")


@contextmanager
def running_api(deployment: Deployment, env: dict[str, str] | None = None,
                workers: int = 1) -> Iterator[str]:
    """``kho serve`` of a deployment on a free port (with more environment, workers);
    yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kho.cli", "serve", "--port", str(port), "--workers",
         str(workers)], env={**deployment.env, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"kho serve did not come up:\n{process.stdout.read()}")
        time.sleep(0.3)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def graphql(base: str, query: str, variables: dict | None = None,
            headers: dict[str, str] | None = None) -> dict:
    response = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}},
                          headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def create_client(deployment: Deployment, name: str, *grants: str, agency: str = "kho tests",
                  extra: tuple[str, ...] = ()) -> str:
    """``kho clients create``; the API key it prints."""
    args = ["clients", "create", name, "--agency", agency, *extra]
    for grant in grants:
        args += ["--grant", grant]
    output = deployment.kho(*args).stdout
    match = re.search(r"^\s+(kho_[a-z0-9]{12}_\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def bearer(key: str, purpose: str | None = None) -> dict[str, str | bytes]:
    """Headers of an agency client's request; the purpose goes as UTF-8, as a Vietnamese
    purpose would."""
    headers: dict[str, str | bytes] = {"Authorization": f"Bearer {key}"}
    if purpose:
        headers["X-Purpose"] = purpose.encode()
    return headers


def kho_fails(deployment: Deployment, *args: str, timeout: float = 120
              ) -> subprocess.CompletedProcess:
    """A ``kho`` command that must fail; its output."""
    result = subprocess.run([sys.executable, "-m", "kho.cli", *args], env=deployment.env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode != 0, f"kho {' '.join(args)} succeeded:\n{result.stdout}"
    return result
