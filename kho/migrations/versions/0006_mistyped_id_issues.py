"""data-quality issues of a new kind: a record whose personal ID is its person's mistyped

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        alter table changes.quality_issues drop constraint quality_issues_kind_check;
        alter table changes.quality_issues add constraint quality_issues_kind_check
            check (kind in ('person_conflict', 'deceased_still_active',
                            'mistyped_identity_number'))""")
