"""logistics_thresholds: the owner's anomaly thresholds per shop

Issue 5 says the anomaly thresholds are configurable. Until now they were environment settings only
(XIAODIAN_LOGISTICS_*); an owner now sets them per shop on 设置 → 物流异常设置 (or the API / CLI), each change
audited. No row: the environment settings apply (their defaults are the desk's assumptions). Hours, as floats.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FIELDS = ("pickup_warning", "pickup_timeout", "pickup_serious", "stalled_warning", "stalled_timeout",
          "stalled_serious", "suspected_lost", "locker_uncollected")


def upgrade() -> None:
    op.create_table(
        "logistics_thresholds",
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        *[sa.Column(name, sa.Float(), nullable=False) for name in FIELDS],
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_logistics_thresholds_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_logistics_thresholds")),
    )


def downgrade() -> None:
    op.drop_table("logistics_thresholds")
