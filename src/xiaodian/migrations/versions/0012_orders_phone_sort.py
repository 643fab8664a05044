"""orders: the phone and last-4 blind indexes carry sort_key, so "this buyer's newest orders" reads them in order

The inquiry assistant (and the order search) ask for a buyer's newest orders by phone or by the last 4 digits
(ORDER BY sort_key DESC LIMIT n, a date range on sort_key when the buyer names a day). With (shop_id, phone_hash)
alone the database fetches every order of that phone and sorts them: at 1M orders a repeat buyer with thousands of
orders took 1.5 s p95 (benchmarks/RESULTS-inquiries.md); with sort_key in the index it reads the newest n directly.
The new indexes keep the old names and only add a column, so every query that used the old ones can use these.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_orders_shop_phone", table_name="orders")
    op.create_index("ix_orders_shop_phone", "orders", ["shop_id", "phone_hash", "sort_key"])
    op.drop_index("ix_orders_shop_last4", table_name="orders")
    op.create_index("ix_orders_shop_last4", "orders", ["shop_id", "phone_last4_hash", "sort_key"])


def downgrade() -> None:
    op.drop_index("ix_orders_shop_last4", table_name="orders")
    op.create_index("ix_orders_shop_last4", "orders", ["shop_id", "phone_last4_hash"])
    op.drop_index("ix_orders_shop_phone", table_name="orders")
    op.create_index("ix_orders_shop_phone", "orders", ["shop_id", "phone_hash"])
