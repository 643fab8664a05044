"""When the buyer last changed the delivery address (推送 105, or a later export with another address)

A buyer may change the address once after paying (domain.md, ui.md); a parcel labelled before the change goes to
the old address. Intake now compares a later snapshot's address with the stored one and, when it moved, records
the time here and an ``address_changed`` event (masked before → after) in the order's timeline, so the list, the
order and the ship form can say so before anyone ships.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("address_changed_at", sa.DateTime(), nullable=True))  # no table rebuild


def downgrade() -> None:
    op.drop_column("orders", "address_changed_at")
