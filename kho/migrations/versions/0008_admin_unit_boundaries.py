"""the administrative units' outlines from the operator's boundary file

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table if not exists reference.admin_unit_boundaries (
            -- current or legacy, and the unit's code (2 digits a province, 5 a commune)
            generation text not null check (generation in ('current', 'legacy')),
            admin_unit_code text not null,
            -- WGS 84 longitude / latitude, a polygon or multipolygon (pipelines/reference/
            -- boundaries.py checks and simplifies it), from KHO_ADMIN_BOUNDARIES
            boundary_wkt text not null,
            primary key (generation, admin_unit_code)
        )""")
