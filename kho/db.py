"""Database URLs and connections shared by the CLI, the pipelines and the API.

Users give plain URLs (``postgresql://...``, ``mysql://...``); each layer picks its
driver: psycopg 3 for PostgreSQL, PyMySQL for MariaDB/MySQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import URL, make_url

_SQLALCHEMY_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}


def parse(url: str) -> URL:
    return make_url(url)


def backend(url: str) -> str:
    """``postgresql`` or ``mysql``, whatever driver the URL names."""
    name = parse(url).get_backend_name()
    return "mysql" if name in {"mysql", "mariadb"} else "postgresql"


def sqlalchemy_url(url: str) -> URL:
    parsed = parse(url)
    driver = _SQLALCHEMY_DRIVERS.get(parsed.drivername)
    if driver is None and "+" not in parsed.drivername:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r} in {redact(url)}")
    return parsed.set(drivername=driver or parsed.drivername)


def libpq_url(url: str) -> str:
    """A URL psycopg and libpq accept (no ``+driver`` suffix)."""
    parsed = parse(url)
    if backend(url) != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {redact(url)}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    return parse(url).set(database=database).render_as_string(hide_password=False)


def database_name(url: str) -> str:
    name = parse(url).database
    if not name:
        raise ValueError(f"the URL names no database: {redact(url)}")
    return name


def redact(url: str) -> str:
    return parse(url).render_as_string(hide_password=True)


def create_engine(url: str, **kwargs) -> sa.Engine:
    return sa.create_engine(sqlalchemy_url(url), **kwargs)


@contextmanager
def connect(url: str, **kwargs) -> Iterator[psycopg.Connection]:
    with psycopg.connect(libpq_url(url), **kwargs) as conn:
        yield conn


def _mysql_server_engine(url: str) -> sa.Engine:
    """An engine on the MySQL/MariaDB server itself, with no database selected."""
    parsed = sqlalchemy_url(url)
    server = sa.URL.create(parsed.drivername, username=parsed.username,
                           password=parsed.password, host=parsed.host, port=parsed.port,
                           query=parsed.query)
    return sa.create_engine(server)


def ensure_database(url: str) -> bool:
    """Create the database the URL names if the server lacks it; True when created."""
    name = database_name(url)
    if backend(url) == "mysql":
        engine = _mysql_server_engine(url)
        with engine.connect() as conn:
            exists = conn.execute(
                sa.text("select 1 from information_schema.schemata where schema_name = :n"),
                {"n": name},
            ).first()
            if not exists:
                conn.execute(sa.text(f"create database `{name}` character set utf8mb4"))
        engine.dispose()
        return not exists
    with connect(with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return not exists


def drop_database(url: str) -> None:
    name = database_name(url)
    if backend(url) == "mysql":
        engine = _mysql_server_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text(f"drop database if exists `{name}`"))
        engine.dispose()
        return
    with connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
