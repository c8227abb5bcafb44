"""webhook subscriptions: who is sent the change feed, where they are in it, every attempt

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from pathlib import Path

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind().connection.driver_connection
    conn.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))
