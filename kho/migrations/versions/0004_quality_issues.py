"""data-quality issues: conflicts with master data, per owning agency, with their status

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from pathlib import Path

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind().connection.driver_connection
    conn.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))
