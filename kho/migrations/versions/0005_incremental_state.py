"""incremental state: the reference data's version, the basis of the incremental models

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table if not exists reference.versions (
            -- admin_units: the units of both generations and the crosswalk, loaded together
            name text primary key,
            -- sha256 of every row loaded, in load order: equal digests, equal tables
            content_sha256 text not null,
            -- the version of the package the rows were read from (vietnamadminunits)
            package_version text not null,
            row_counts jsonb not null,
            loaded_at timestamptz not null default now()
        )""")
    op.execute("""
        create table if not exists kho_meta.incremental_basis (
            -- dbt_staging: the incremental staging models
            name text primary key,
            -- sha256 of what their rows were computed with (their SQL, the macros, the
            -- reference data): a build on another basis is a full one
            content_sha256 text not null,
            recorded_at timestamptz not null default now()
        )""")
