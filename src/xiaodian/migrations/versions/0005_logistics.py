"""logistics desk (tracking events, anomalies, carrier contacts)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Reserved in advance so that capabilities built in parallel keep one linear migration history; the
capability's own work fills in upgrade() and downgrade().
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
