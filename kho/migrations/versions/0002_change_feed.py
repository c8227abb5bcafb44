"""change feed: what each publication changed in the published master records

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from pathlib import Path

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind().connection.driver_connection
    conn.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))
