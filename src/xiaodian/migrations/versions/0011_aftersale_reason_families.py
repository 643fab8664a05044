"""aftersale_reason_families: the owner's overrides of which buyer reasons count toward 品退率

Issue 6 says the reason → family mapping is configurable. The default follows domain.md §4 (and the
XIAODIAN_AFTERSALES_*_REASONS settings); an owner can move one reason text to the other family from
设置 → 售后设置, per shop, each change audited. Families are worked out when a report runs, never stored on a
buyer's reason, so a change applies at once to every case, past ones included.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aftersale_reason_families",
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason_text", sa.String(length=100), nullable=False),
        sa.Column("family", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_aftersale_reason_families_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "reason_text", name=op.f("pk_aftersale_reason_families")),
        sa.CheckConstraint("family IN ('quality', 'other')", name=op.f("ck_aftersale_reason_families_family")),
    )


def downgrade() -> None:
    op.drop_table("aftersale_reason_families")
