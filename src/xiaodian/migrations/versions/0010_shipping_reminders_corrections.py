"""shipping: reminders can be acknowledged (and come as due_soon / due_urgent / overdue); tracking-number
corrections with their reason; settings for the urgent reminder and the correction limits

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("shipping_settings") as batch_op:
        batch_op.add_column(sa.Column("urgent_hours", sa.Integer(), nullable=False, server_default="2"))
        batch_op.add_column(sa.Column("correction_window_hours", sa.Integer(), nullable=False, server_default="24"))
        batch_op.add_column(sa.Column("max_corrections", sa.Integer(), nullable=False, server_default="2"))
    with op.batch_alter_table("shipping_reminders") as batch_op:
        batch_op.add_column(sa.Column("acknowledged_at", TS, nullable=True))
        batch_op.add_column(sa.Column("acknowledged_by", sa.String(length=64), nullable=True))
    op.create_index("ix_shipping_reminders_shop_open", "shipping_reminders", ["shop_id", "acknowledged_at", "ship_by"])
    op.create_table(
        "shipping_tracking_corrections",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("order_pk", BigId, nullable=False),
        sa.Column("shipment_id", BigId, nullable=False),
        sa.Column("old_carrier_code", sa.String(length=32), nullable=True),
        sa.Column("old_tracking_no", sa.String(length=40), nullable=False),
        sa.Column("new_carrier_code", sa.String(length=32), nullable=False),
        sa.Column("new_tracking_no", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shipping_tracking_corrections_shop_id_shops")),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.id"], ondelete="CASCADE",
                                name=op.f("fk_shipping_tracking_corrections_order_pk_orders")),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"], ondelete="CASCADE",
                                name=op.f("fk_shipping_tracking_corrections_shipment_id_shipments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_tracking_corrections")),
    )
    op.create_index("ix_shipping_tracking_corrections_shipment", "shipping_tracking_corrections", ["shipment_id"])
    op.create_index(op.f("ix_shipping_tracking_corrections_order_pk"), "shipping_tracking_corrections", ["order_pk"])


def downgrade() -> None:
    op.drop_table("shipping_tracking_corrections")
    op.drop_index("ix_shipping_reminders_shop_open", table_name="shipping_reminders")
    with op.batch_alter_table("shipping_reminders") as batch_op:
        batch_op.drop_column("acknowledged_by")
        batch_op.drop_column("acknowledged_at")
    with op.batch_alter_table("shipping_settings") as batch_op:
        batch_op.drop_column("max_corrections")
        batch_op.drop_column("correction_window_hours")
        batch_op.drop_column("urgent_hours")
