"""Write-audit-publish for the marts.

``dbt build`` writes every mart to the build schema (``marts_build``) and tests it there;
its on-run-end hook records the build (``marts_build.kho_build``: invocation id, status,
failed nodes). Publishing swaps the build schema in as ``marts`` in one transaction, so the
API, which reads ``marts`` only, goes from one complete, tested build to the next with
nothing in between. The schema it replaces is kept as ``marts_previous`` until the next
publication. A build that failed (an error-severity test, an error, a skipped node), a
partial build and a build whose marts are missing are refused: ``marts`` keeps serving the
last good build.

In the same transaction, :func:`pipelines.dbt.changes.record_changes` appends what the
publication changed to the change feed (``changes.events``), and
:func:`pipelines.dbt.quality_issues.record_quality_issues` brings the owning agencies'
data-quality issues and their status up to the new marts (their changes are in the feed
too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg import sql

from kho import db, warehouse
from pipelines.dbt.changes import FeedFigures, close_publication, record_changes
from pipelines.dbt.quality_issues import IssueFigures, record_quality_issues

BUILD_SCHEMA = "marts_build"
PUBLISHED_SCHEMA = "marts"
PREVIOUS_SCHEMA = "marts_previous"
BUILD_TABLE = "kho_build"
# Readers of the old marts finish their statements; a publish waits for them this long.
LOCK_WAIT = timedelta(minutes=2)


class PublishRefused(RuntimeError):
    """The build cannot be published; what is published stays as it was."""


@dataclass(frozen=True)
class Publication:
    invocation_id: str
    build_started_at: datetime
    build_finished_at: datetime
    published_at: datetime
    row_counts: dict[str, int]
    publication_id: int
    changes: FeedFigures
    quality_issues: IssueFigures


def mart_models(manifest: dict) -> list[str]:
    """Names of the models under models/marts in a dbt manifest: what a build publishes."""
    return sorted(node["name"] for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and node["fqn"][1] == "marts")


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("select exists (select from pg_namespace where nspname = %s)",
                        (schema,)).fetchone()[0]


def _tables(conn: psycopg.Connection, schema: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "select tablename from pg_tables where schemaname = %s", (schema,))}


def publish(warehouse_url: str, expected_marts: list[str]) -> Publication:
    """Publish the build in ``marts_build`` as ``marts``, or raise ``PublishRefused``."""
    with db.connect(warehouse_url) as conn:
        if not _schema_exists(conn, BUILD_SCHEMA):
            raise PublishRefused(f"there is no build to publish (schema {BUILD_SCHEMA} does "
                                 f"not exist; run dbt build first)")
        if BUILD_TABLE not in _tables(conn, BUILD_SCHEMA):
            raise PublishRefused(f"{BUILD_SCHEMA} holds no record of a finished dbt build")
        build = conn.execute(sql.SQL(
            "select invocation_id, started_at, finished_at, status, failures, built, selected "
            "from {} order by finished_at desc limit 1").format(
                sql.Identifier(BUILD_SCHEMA, BUILD_TABLE))).fetchone()
        invocation_id, started_at, finished_at, status, failures, built, selected = build
        if status != "succeeded":
            shown = "; ".join(failures[:5]) + (" ..." if len(failures) > 5 else "")
            raise PublishRefused(f"dbt build {invocation_id} did not succeed ({shown}); "
                                 f"{PUBLISHED_SCHEMA} keeps the last good build")
        # Every mart must come from this build: a partial build (dbt build --select ...)
        # would otherwise publish its marts beside older ones.
        missing = sorted(set(expected_marts) - (set(built) & _tables(conn, BUILD_SCHEMA)))
        if missing:
            raise PublishRefused(f"dbt build {invocation_id} (select: {selected or 'all'}) "
                                 f"did not build {', '.join(missing)}; only a complete build "
                                 f"is published")
        counts = {}
        for mart in sorted(expected_marts):
            counts[mart] = conn.execute(sql.SQL("select count(*) from {}").format(
                sql.Identifier(BUILD_SCHEMA, mart))).fetchone()[0]

        conn.execute(sql.SQL("set local lock_timeout = {}").format(
            sql.Literal(f"{int(LOCK_WAIT.total_seconds() * 1000)}ms")))
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(
            sql.Identifier(PREVIOUS_SCHEMA)))
        if _schema_exists(conn, PUBLISHED_SCHEMA):
            conn.execute(sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(PUBLISHED_SCHEMA), sql.Identifier(PREVIOUS_SCHEMA)))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(
            sql.Identifier(BUILD_SCHEMA), sql.Identifier(PUBLISHED_SCHEMA)))
        warehouse.grant_reads(conn)  # the new marts schema comes without the API's grants
        publication_id, published_at = conn.execute("""
            insert into kho_meta.publications (invocation_id, build_started_at,
                                               build_finished_at, marts)
            values (%s, %s, %s, %s) returning publication_id, published_at
        """, (invocation_id, started_at, finished_at,
              psycopg.types.json.Jsonb(counts))).fetchone()
        feed = record_changes(conn, publication_id)
        issues = record_quality_issues(conn, publication_id)
        close_publication(conn, publication_id, feed)
    return Publication(invocation_id, started_at, finished_at, published_at, counts,
                       publication_id, feed, issues)
