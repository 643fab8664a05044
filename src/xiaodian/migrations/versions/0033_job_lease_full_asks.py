"""Asks for a full job run are counted, so a full run under way cannot swallow one

Order intake asked the deadline scan for a full run by clearing job_leases.last_full_at. When a full scan was already
running, its release wrote last_full_at back and the ask was lost, although the orders it was about (imported,
already overdue) may have been committed after the scan read past them: they waited up to an hour for the next
full scan. Asks are now a count that a full run takes off only as many as it saw when it started.

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_leases") as batch:
        batch.add_column(sa.Column("full_asks", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    # an ask still standing is kept the older way: no full run recorded, so the next run is a full one
    op.execute("UPDATE job_leases SET last_full_at = NULL WHERE full_asks > 0")
    with op.batch_alter_table("job_leases") as batch:
        batch.drop_column("full_asks")
