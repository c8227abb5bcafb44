"""baseline: the schemas of the release before versioned migrations

Revision ID: 0001
Revises:
Create Date: 2025-07-01
"""

import secrets
from pathlib import Path

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # psycopg itself, in the migration's transaction: many statements, no parameters.
    conn = op.get_bind().connection.driver_connection
    conn.execute(Path(__file__).with_suffix(".sql").read_text(encoding="utf-8"))
    # The installation's keys, made once; a warehouse being adopted keeps its own.
    conn.execute(
        "insert into kho_secrets.keys values ('person_id_key', %s) on conflict do nothing",
        (secrets.token_hex(32),))
    conn.execute(
        "insert into api.installation (audit_hash_key) values (%s) on conflict do nothing",
        (secrets.token_bytes(32),))
