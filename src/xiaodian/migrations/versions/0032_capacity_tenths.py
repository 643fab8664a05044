"""A packing capacity with one decimal: a small shop packs 0.3 orders an hour

The forecast took a whole number of orders an hour, so a shop that ships a handful of orders a day (a real pace of
0.3–0.8 an hour) could neither save its capacity nor see its real pace planned: both were rounded up to 1, a plan
up to three times kinder than the warehouse (QA pass 6, #12). The capacity is now a number with one decimal.

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipping_settings") as batch:
        batch.alter_column("capacity_per_hour", existing_type=sa.Integer(), type_=sa.Numeric(9, 1),
                           existing_nullable=False, postgresql_using="capacity_per_hour::numeric(9,1)")


def downgrade() -> None:
    # a capacity below 1 an hour becomes 1: the smallest whole number the older code plans with
    op.execute("UPDATE shipping_settings SET capacity_per_hour = 1 WHERE capacity_per_hour < 1")
    with op.batch_alter_table("shipping_settings") as batch:
        batch.alter_column("capacity_per_hour", existing_type=sa.Numeric(9, 1), type_=sa.Integer(),
                           existing_nullable=False, postgresql_using="round(capacity_per_hour)::integer")
