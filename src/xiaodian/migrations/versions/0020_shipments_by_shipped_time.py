"""Shipments by shop and shipping time: the warehouse's recent pace for the forecast of misses

The forecast plans every awaiting order at a packing capacity the owner types in. Beside it the forecast page now
shows the pace the warehouse actually kept over the last seven days (orders shipped per working hour), which needs
the shop's shipments of a time range: without this index, a scan of every shipment.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_shipments_shop_shipped", "shipments", ["shop_id", "shipped_at"])


def downgrade() -> None:
    op.drop_index("ix_shipments_shop_shipped", table_name="shipments")
