"""Flagged orders by shop and flag colour: the order list's 旗标 filter

Merchants flag orders (小旗子) to mark the ones that need something — red for a problem, orange for a delay — and
then want to see them again: "every red-flagged order". Only flagged orders are indexed (a partial index), so an
import of unflagged orders pays nothing for it, and the filter reads the few flagged ones newest first.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_shop_flag", "orders", ["shop_id", "flag_colour", "sort_key"],
                    sqlite_where=sa.text("flag_colour <> 0"), postgresql_where=sa.text("flag_colour <> 0"))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first():
        bind.exec_driver_sql("ANALYZE ix_orders_shop_flag")  # see 0013: an index without statistics misleads


def downgrade() -> None:
    op.drop_index("ix_orders_shop_flag", table_name="orders")
