"""Versioned migrations of the schemas kho owns, with Alembic, configured here (no
alembic.ini): the revisions are in ``versions/``, the version table is
``kho_meta.alembic_version``.

Every kho-owned table (``kho_secrets``, ``ingest``, ``quarantine``, ``master_data``,
``kho_meta``, ``reference``, ``api``) is created and changed only by a revision. dbt makes
its own relations (staging, intermediate, the marts, the snapshots, ``util``'s functions)
and ingestion its ``raw_<source>`` tables; neither is versioned here.

A warehouse made by the release before migrations has these tables and no version table.
The baseline is written to be run on one (``create ... if not exists``, columns and
constraints added only when missing), so upgrading adopts it without touching a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kho import db

VERSION_SCHEMA = "kho_meta"
VERSION_TABLE = "alembic_version"
# pg_advisory_xact_lock key: one upgrade at a time (every pipeline step may start one).
LOCK_ID = 0x6B686F4D
# Tables of the release before migrations: any of them present, without a version table,
# is that release's warehouse.
PREVIOUS_RELEASE_TABLES = ("kho_secrets.keys", "ingest.batches", "master_data.person_ids",
                           "master_data.person_link_reviews", "kho_meta.publications",
                           "reference.admin_units", "api.clients")
SCRIPT_LOCATION = Path(__file__).resolve().parent


class MigrationRequired(RuntimeError):
    """The warehouse is behind this release's schema; the message says what to run."""


@dataclass(frozen=True)
class Status:
    current: str | None  # None: no version table
    head: str
    pending: list[str]  # revisions an upgrade would apply, oldest first
    previous_release: bool  # kho tables without a version table

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def _config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    return config


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head() -> str:
    return _script().get_current_head()


def describe(revision: str | None) -> str:
    """A revision with its message, as the CLI prints it."""
    if revision is None:
        return "none"
    known = {s.revision: s.doc for s in _script().walk_revisions()}
    return f"{revision} ({known[revision]})" if revision in known else revision


def read_version(conn) -> tuple[str | None, bool]:
    """(version, whether the previous release's tables are there) over a psycopg or a
    SQLAlchemy connection."""
    def scalar(statement: str, params: tuple = ()):
        if hasattr(conn, "exec_driver_sql"):
            return conn.exec_driver_sql(statement, params).scalar()
        return conn.execute(statement, params).fetchone()[0]

    table = f"{VERSION_SCHEMA}.{VERSION_TABLE}"
    if scalar("select to_regclass(%s) is not null", (table,)):
        return scalar(f"select max(version_num) from {table}"), False
    found = scalar("select count(*) from unnest(%s::text[]) as t where to_regclass(t) "
                   "is not null", (list(PREVIOUS_RELEASE_TABLES),))
    return None, found > 0


def status(url: str) -> Status:
    script = _script()
    with db.connect(url) as conn:
        current, previous = read_version(conn)
    if current is not None and current not in {s.revision for s in script.walk_revisions()}:
        raise MigrationRequired(
            f"the warehouse at {db.redact(url)} is at revision {current}, which this release "
            f"does not know (its newest is {describe(script.get_current_head())}): it was "
            f"migrated by a newer kho; run that release")
    pending = [s.revision for s in script.iterate_revisions("head", current or "base")]
    return Status(current, script.get_current_head(), list(reversed(pending)), previous)


def upgrade(url: str, echo: Callable[[str], None] = lambda _: None,
            revision: str = "head") -> tuple[str | None, str]:
    """Bring the warehouse's kho-owned schemas to ``revision`` (this release's head unless
    told), in one transaction, one upgrade at a time; (from, to). Does nothing, quickly,
    when already there."""
    target = head() if revision == "head" else revision
    with db.connect(url) as conn:
        current, _ = read_version(conn)
    if current == target:
        return current, target

    from alembic import command

    engine = db.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("select pg_advisory_xact_lock(%s)", (LOCK_ID,))
            current, previous = read_version(connection)
            if current == target:
                return current, target
            if previous:
                echo("found the warehouse of a release before versioned migrations (kho "
                     "tables, no version table): adopting it, every row kept")
            connection.exec_driver_sql(f"create schema if not exists {VERSION_SCHEMA}")
            command.upgrade(_config(connection), target)
    finally:
        engine.dispose()
    return current, target


def require_current(url: str) -> None:
    """Raise ``MigrationRequired`` unless the warehouse is at this release's head."""
    found = status(url)
    if found.up_to_date:
        return
    behind = "has no kho schema yet" if found.current is None and not found.previous_release \
        else "was made by a release before versioned migrations" if found.current is None \
        else f"is at revision {describe(found.current)}"
    raise MigrationRequired(
        f"the warehouse at {db.redact(url)} {behind}; this release needs revision "
        f"{describe(found.head)} ({len(found.pending)} migration(s) pending). Run "
        f"`kho migrate` (as the warehouse owner, with the API stopped), then start it again")
