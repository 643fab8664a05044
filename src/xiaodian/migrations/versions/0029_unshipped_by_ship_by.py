"""The deadline views read the unshipped orders in ship-by order from one partial index

待发货 holds two statuses since it counts 部分发货 too (备货中 and 部分发货 both still owe a parcel by the ship-by).
ix_orders_shop_ship_by is ordered by status first, so "both statuses, most urgent first, first 50" could not be read
from it in order: PostgreSQL sorted every unshipped order of the shop for each page (about 60 ms at 130,000 unshipped
orders, against 0.16 ms for one status). This index holds only the unshipped orders, by shop, ship-by and row id, the
order the views list them in; the views' counts and the forecast's deadlines read it alone. Shipped, completed and
cancelled orders (most of a shop) are not in it, so an import pays little for it.

The query must state the predicate with the statuses as constants (shipping.queries.unshipped).

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

PREDICATE = "status IN ('awaiting_shipment', 'partially_shipped')"


def upgrade() -> None:
    op.create_index("ix_orders_unshipped_by_ship_by", "orders", ["shop_id", "ship_by", "id"],
                    sqlite_where=sa.text(PREDICATE), postgresql_where=sa.text(PREDICATE))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first():
        bind.exec_driver_sql("ANALYZE ix_orders_unshipped_by_ship_by")  # see 0013: an index without statistics misleads


def downgrade() -> None:
    op.drop_index("ix_orders_unshipped_by_ship_by", table_name="orders")
