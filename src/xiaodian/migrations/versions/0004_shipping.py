"""shipping: settings, violations (one per order), reminders, shipment items, job leases; orders.ship_promise

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("ship_promise", sa.String(length=40), nullable=True))

    op.create_table(
        "shipping_settings",
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("capacity_per_hour", sa.Integer(), nullable=False),
        sa.Column("work_start_minute", sa.Integer(), nullable=False),
        sa.Column("work_end_minute", sa.Integer(), nullable=False),
        sa.Column("default_promise", sa.String(length=40), nullable=False),
        sa.Column("late_points", sa.Integer(), nullable=False),
        sa.Column("compensation_pct", sa.Integer(), nullable=False),
        sa.Column("compensation_min_fen", sa.BigInteger(), nullable=False),
        sa.Column("compensation_max_fen", sa.BigInteger(), nullable=False),
        sa.Column("due_soon_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shipping_settings_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shipping_settings")),
    )
    op.create_table(
        "shipping_violations",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("order_pk", BigId, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ship_by", TS, nullable=False),
        sa.Column("shipped_at", TS, nullable=True),
        sa.Column("late_by_seconds", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("compensation_fen", sa.BigInteger(), nullable=False),
        sa.Column("detected_at", TS, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.id"], name=op.f("fk_shipping_violations_order_pk_orders"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shipping_violations_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_violations")),
        sa.UniqueConstraint("order_pk", name=op.f("uq_shipping_violations_order_pk")),
    )
    op.create_index("ix_shipping_violations_shop_ship_by", "shipping_violations", ["shop_id", "ship_by"])
    op.create_table(
        "shipping_reminders",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("order_pk", BigId, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ship_by", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.id"], name=op.f("fk_shipping_reminders_order_pk_orders"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shipping_reminders_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_reminders")),
        sa.UniqueConstraint("order_pk", "kind", "ship_by", name=op.f("uq_shipping_reminders_order_pk_kind_ship_by")),
    )
    op.create_index("ix_shipping_reminders_shop_created", "shipping_reminders", ["shop_id", "created_at"])
    op.create_table(
        "shipment_items",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("shipment_id", BigId, nullable=False),
        sa.Column("order_pk", BigId, nullable=False),
        sa.Column("sku_order_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.id"], name=op.f("fk_shipment_items_order_pk_orders"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"], name=op.f("fk_shipment_items_shipment_id_shipments"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shipment_items_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_items")),
        sa.UniqueConstraint("shop_id", "sku_order_id", name=op.f("uq_shipment_items_shop_id_sku_order_id")),
    )
    op.create_index(op.f("ix_shipment_items_shipment_id"), "shipment_items", ["shipment_id"])
    op.create_index(op.f("ix_shipment_items_order_pk"), "shipment_items", ["order_pk"])
    op.create_table(
        "job_leases",
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("watermark", TS, nullable=True),
        sa.Column("last_full_at", TS, nullable=True),
        sa.Column("last_run_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_job_leases_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "name", name=op.f("pk_job_leases")),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
    op.drop_index(op.f("ix_shipment_items_order_pk"), table_name="shipment_items")
    op.drop_index(op.f("ix_shipment_items_shipment_id"), table_name="shipment_items")
    op.drop_table("shipment_items")
    op.drop_index("ix_shipping_reminders_shop_created", table_name="shipping_reminders")
    op.drop_table("shipping_reminders")
    op.drop_index("ix_shipping_violations_shop_ship_by", table_name="shipping_violations")
    op.drop_table("shipping_violations")
    op.drop_table("shipping_settings")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("ship_promise")
