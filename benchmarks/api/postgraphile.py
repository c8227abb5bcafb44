"""The peer: PostGraphile 4 over the same bench warehouse, set up as a new user would.

Installed from npm into a scratch folder (``SCRATCH``, once; nothing at run time fetches
anything else), run as its own CLI (``--cluster-workers`` as many as kho's workers) in a
process group of its own. The marts carry their primary keys; the relations between them are
declared with PostGraphile's smart comments (``@foreignKey``), and (c) is a SQL function, in
the bench database only (``declare``): kho's own warehouse never gets them. PostGraphile
reads as the warehouse's owner, with no access rules and no access log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg import sql

from kho import db

VERSION = "4.14.1"
SCRATCH = Path(tempfile.gettempdir()) / "kho-bench-postgraphile"
SCHEMA = "bench_postgraphile"  # the bench database's schema for (c)'s function
STARTUP_SECONDS = 90
# table -> (column, referenced table, referenced column): the marts' relations.
FOREIGN_KEYS = {
    "fct_land_right": (("person_id", "dim_person", "person_id"),
                       ("organization_id", "dim_organization", "organization_id"),
                       ("land_parcel_id", "dim_land_parcel", "land_parcel_id")),
    "fct_enterprise_role": (("person_id", "dim_person", "person_id"),
                            ("organization_id", "dim_organization", "organization_id")),
}
# (c) as a user of PostGraphile writes it: a set-returning SQL function, grouped as kho's
# hand-written SQL groups.
LAND_AREA_FUNCTION = f"""
drop function if exists {SCHEMA}.land_area_by_use(text);
drop type if exists {SCHEMA}.land_area_row;
create type {SCHEMA}.land_area_row as (
    commune_code text, land_use_code text, parcel_count bigint, total_area_m2 numeric);
create function {SCHEMA}.land_area_by_use(province text)
returns setof {SCHEMA}.land_area_row language sql stable as $$
    select current_commune_code, land_use_code, count(*), sum(area_m2)
    from marts.dim_land_parcel
    where current_commune_code in (
        select admin_unit_code from marts.dim_admin_unit
        where generation = 'current' and level = 'commune' and province_code = province)
    group by 1, 2
$$;
"""


def install() -> Path:
    """The PostGraphile CLI, installed from npm into the scratch folder on first use."""
    cli = SCRATCH / "node_modules" / ".bin" / "postgraphile"
    if not cli.exists():
        SCRATCH.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix",
                                 str(SCRATCH), f"postgraphile@{VERSION}"],
                                capture_output=True, text=True)
        if result.returncode != 0 or not cli.exists():
            raise SystemExit(f"npm could not install postgraphile@{VERSION}:\n"
                             f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return cli


def declare(url: str) -> None:
    """The smart comments and (c)'s function, in the bench database (again on every run:
    a rebuild of the marts replaces the tables and their comments)."""
    with db.connect(url, autocommit=True) as conn:
        for table, keys in FOREIGN_KEYS.items():
            identifier = sql.Identifier("marts", table)
            described = conn.execute("select obj_description(%s::regclass, 'pg_class')",
                                     (f"marts.{table}",)).fetchone()[0] or ""
            description = "\n".join(line for line in described.splitlines()
                                    if not line.startswith("@"))
            tags = "\n".join(f"@foreignKey ({column}) references marts.{target} ({key})"
                             for column, target, key in keys)
            conn.execute(sql.SQL("comment on table {} is {}").format(
                identifier, sql.Literal(f"{tags}\n{description}")))
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
        conn.execute(LAND_AREA_FUNCTION)


def _answers(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=b'{"query":"{ __typename }"}',
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
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


@contextmanager
def postgraphile_server(url: str, port: int, workers: int) -> Iterator[int]:
    """PostGraphile on ``port`` over the marts of ``url``, answering, for the ``with``
    block; stopped with its workers after it."""
    cli = install()
    declare(url)
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [str(cli), "--connection", db.libpq_url(url), "--schema", f"marts,{SCHEMA}",
             "--host", "127.0.0.1", "--port", str(port), "--disable-default-mutations",
             "--disable-query-log", "--cluster-workers", str(workers)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "NODE_ENV": "production"})
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _answers(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(f"PostGraphile did not answer within {STARTUP_SECONDS} s "
                                     f"(exit code {process.poll()}); its output:\n"
                                     f"{log.read()[-4000:]}")
                time.sleep(0.3)
            yield port
        finally:
            _stop(process)
