"""The buyer values an order has had and replaced, as keyed digests, so that an older snapshot cannot bring one back

A merchant who uploads the morning's export again after the evening's (the same file twice, the wrong one of two
downloads) put back the address the buyer had moved away from, logged a second 买家修改收货地址 in the buyer's name
and had the ship form tell the packer to print the old address (QA pass 6, #2). Intake now records, whenever a later
snapshot replaces the delivery address (with its region), the phone or the name, a keyed digest of the replaced
value here (blind-index key, never the value: buyer data stays encrypted at rest); a snapshot that gives one of
them again without moving the order's status on is an older one and keeps the current receiver
(orders/later_snapshot.keep_current_buyer). Changes recorded before this revision have no digest: there is no
plaintext of the replaced value left to take one from.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("replaced_buyer_digests", sa.Text(), nullable=True))  # no table rebuild


def downgrade() -> None:
    op.drop_column("orders", "replaced_buyer_digests")
