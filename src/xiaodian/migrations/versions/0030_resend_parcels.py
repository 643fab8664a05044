"""A parcel an after-sale case sends the buyer (补寄 re-send, or an exchange / repaired item) is a shipment row of
its own kind

Logistics watches parcels keyed by a shipments row (logistics_parcels, tracking_events and anomalies all point at
one), and a re-send had none: its carrier and number lived only on the case (aftersale_cases.reship_*), so a lost
or refused re-send, the buyer's second failure, raised no anomaly. Such a parcel is now a shipments row with kind
'resend' and the case it belongs to; every reader that means "the order's own parcels" (its status, shipped_at,
tracking list, export columns, write-back) reads kind 'order' only, while the duplicate-number checks and logistics
read every kind. aftersale_case_id has no foreign key so that SQLite adds both columns without rebuilding the
table (as 0023 did); only the after-sales service writes it, with the case's own id.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

PREDICATE = "aftersale_case_id IS NOT NULL"


def upgrade() -> None:
    op.add_column("shipments", sa.Column("kind", sa.String(length=8), server_default="order", nullable=False))
    op.add_column("shipments", sa.Column("aftersale_case_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_shipments_aftersale_case", "shipments", ["aftersale_case_id"],
                    sqlite_where=sa.text(PREDICATE), postgresql_where=sa.text(PREDICATE))


def downgrade() -> None:
    op.drop_index("ix_shipments_aftersale_case", table_name="shipments")
    with op.batch_alter_table("shipments") as batch_op:
        batch_op.drop_column("aftersale_case_id")
        batch_op.drop_column("kind")
