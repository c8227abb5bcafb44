"""data-quality issues in the change feed; acknowledgement through one function

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from pathlib import Path

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind().connection.driver_connection
    conn.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))
