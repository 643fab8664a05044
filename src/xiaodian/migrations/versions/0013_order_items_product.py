"""order_items: an index by product, so a question about a product that seldom sells does not walk every order

The inquiry assistant finds "the orders with this product" newest first by walking orders by sort_key and
probing each one's items: quick for a product in every few orders, but a product that never or seldom sold
(a new listing) walked all of them — 6 s at 1M orders (benchmarks/RESULTS-inquiries.md). With this index it first
counts the product's items (up to a bound) and, for a rare product, reads exactly those orders.

On SQLite, when the database holds planner statistics (sqlite_stat1, written by ANALYZE), orders and order_items are
analysed again: an index created after ANALYZE has no statistics, and SQLite then takes it for a very selective one.
After 0012 re-created ix_orders_shop_phone/last4 that made "WHERE shop_id = ? ORDER BY sort_key DESC LIMIT 50" (the
order list) scan ix_orders_shop_last4 and sort every order instead of walking ix_orders_shop_sort.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_order_items_shop_product", "order_items", ["shop_id", "product_id", "order_pk"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'").first():
        bind.exec_driver_sql("ANALYZE orders")
        bind.exec_driver_sql("ANALYZE order_items")


def downgrade() -> None:
    op.drop_index("ix_order_items_shop_product", table_name="order_items")
