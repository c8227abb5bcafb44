"""When dbt builds the incremental models in full rather than from the last build.

The staging models of agency tables are incremental (``dbt_project.yml``): a build
normalises only the raw rows loaded since the last one; so are the entity-resolution models
that take up only the person mentions changed since (``macros/incremental_mentions.sql``).
That is right only while the rows already built were computed the way a build would compute
them now, from the raw tables they were read from. Their *basis* is a digest of everything
they are computed with: the staging and intermediate SQL, the macros, the project file, the
reference data's version
(``reference.versions``) and the identity (oid) of every raw table: a raw table dropped
and loaded anew has lost the marks of the rows its source deleted meanwhile. kho records
the basis of the last successful build in ``kho_meta.incremental_basis``; a build on
another basis (a new release, new reference data, a raw table made anew), a full-refresh
run, and the first build are full builds.
The basis is forgotten when a full build starts and recorded when a build succeeds, so a
full build that failed is followed by another full build.

The entity-resolution match weights (``int_persons__match_weights``) are estimated once and
kept, in the schema ``entity_resolution``, by full builds too. Their basis is that of the
staging models without the raw tables' identities, plus the persons' intermediate SQL:
when it changes, or none is recorded, kho drops the table before the build, which so
estimates them again. With none recorded (a first build, a restored backup, which holds
the weights but not the basis) the weights kept are kept, and those missing estimated.
"""

from __future__ import annotations

import hashlib

from psycopg import sql

from kho import db
from kho.settings import DBT_PROJECT_DIR

BASIS_NAME = "dbt_staging"
STAGING_FILES = ("models/staging", "macros", "dbt_project.yml")
BASIS_FILES = (*STAGING_FILES, "models/intermediate")
WEIGHTS_BASIS_NAME = "match_weights"
WEIGHTS_BASIS_FILES = (*STAGING_FILES, "models/intermediate/persons")
WEIGHTS_TABLE = ("entity_resolution", "int_persons__match_weights")


def basis_digest(warehouse_url: str, files: tuple[str, ...] = BASIS_FILES,
                 raw_tables: bool = True) -> str:
    digest = hashlib.sha256()
    for entry in files:
        path = DBT_PROJECT_DIR / entry
        for file in sorted([path] if path.is_file() else path.rglob("*")):
            if file.is_file():
                digest.update(f"{file.relative_to(DBT_PROJECT_DIR)}\n".encode())
                digest.update(file.read_bytes())
    with db.connect(warehouse_url, autocommit=True) as conn:
        for name, version in conn.execute(
                "select name, content_sha256 from reference.versions order by name"):
            digest.update(f"reference {name} {version}\n".encode())
        for schema, table, oid in conn.execute(
                "select n.nspname, c.relname, c.oid::bigint from pg_class c "
                "join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname like 'raw\\_%%' and c.relkind = 'r' order by 1, 2"
        ) if raw_tables else ():
            digest.update(f"raw {schema}.{table} {oid}\n".encode())
    return digest.hexdigest()


def _recorded(warehouse_url: str, name: str) -> str | None:
    with db.connect(warehouse_url, autocommit=True) as conn:
        row = conn.execute("select content_sha256 from kho_meta.incremental_basis "
                           "where name = %s", (name,)).fetchone()
    return row[0] if row else None


def full_build_reason(warehouse_url: str, full_refresh: bool, basis: str) -> str | None:
    """Why this build must be a full one, or None when it can be incremental."""
    if full_refresh:
        return "the run is a full refresh"
    recorded = _recorded(warehouse_url, BASIS_NAME)
    if recorded is None:
        return "no build has recorded its basis yet"
    if recorded != basis:
        return ("the staging or intermediate SQL, the macros, the reference data or a raw "
                "table changed since the last build")
    return None


def weights_basis_digest(warehouse_url: str) -> str:
    return basis_digest(warehouse_url, WEIGHTS_BASIS_FILES, raw_tables=False)


def reestimate_weights_reason(warehouse_url: str, basis: str) -> str | None:
    """Why this build must estimate the match weights again, or None to keep them. With
    no basis recorded there is nothing to hold them to: none kept (dbt estimates them), or
    ones a restore brought back (kept)."""
    recorded = _recorded(warehouse_url, WEIGHTS_BASIS_NAME)
    if recorded is not None and recorded != basis:
        return "the SQL, the macros or the reference data they are computed with changed"
    return None


def drop_weights(warehouse_url: str) -> None:
    """Drop the kept match weights (the build estimates them again) and forget their
    basis: should this build fail after estimating them, the next keeps what it estimated
    rather than estimating again; should it fail before, the next finds none and does."""
    forget_basis(warehouse_url, WEIGHTS_BASIS_NAME)
    with db.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(*WEIGHTS_TABLE)))


def forget_basis(warehouse_url: str, name: str = BASIS_NAME) -> None:
    with db.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("delete from kho_meta.incremental_basis where name = %s", (name,))


def record_basis(warehouse_url: str, basis: str, name: str = BASIS_NAME) -> None:
    with db.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("""
            insert into kho_meta.incremental_basis (name, content_sha256) values (%s, %s)
            on conflict (name) do update set content_sha256 = excluded.content_sha256,
                recorded_at = now()""", (name, basis))
