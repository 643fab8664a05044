"""Rest days of the warehouse: the weekdays it does not pack

The forecast of misses packed on every day of the week, and the recent pace divided what was shipped by every day
of the window, so a warehouse that rests on Sundays was forecast to pack on Sunday and read a pace ~15 % below its
working-day pace. The owner now names the rest days; the forecast skips them and the pace counts working days only.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipping_settings") as batch:
        batch.add_column(sa.Column("rest_weekdays", sa.String(7), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("shipping_settings") as batch:
        batch.drop_column("rest_weekdays")
