"""PostgreSQL: the 售后中 index carries the order id, so the tab's count is an index-only scan

The 售后中 count has a part for orders the after-sales desk has no case for: orders whose export 售后状态 text
names an open stage AND NOT EXISTS a case for them. The anti-join needs each order's id; SQLite keeps the rowid in
every index, PostgreSQL does not, so it fetched every such order from the heap: 63 ms of the 66 ms tab bar at
1M orders with 30,000 of them (benchmarks/RESULTS.md). With INCLUDE (id) it stays in the index. SQLite is left as
it is (nothing to gain, and a re-created index would lose its planner statistics).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_orders_shop_after_sale", table_name="orders")
    op.create_index("ix_orders_shop_after_sale", "orders", ["shop_id", "after_sale_status"],
                    postgresql_include=["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_orders_shop_after_sale", table_name="orders")
    op.create_index("ix_orders_shop_after_sale", "orders", ["shop_id", "after_sale_status"])
