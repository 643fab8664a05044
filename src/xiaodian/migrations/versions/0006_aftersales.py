"""after-sales desk (cases, reason history, communication log)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Reserved in advance so that capabilities built in parallel keep one linear migration history; the
capability's own work fills in upgrade() and downgrade().
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
