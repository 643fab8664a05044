"""Import jobs carry on where a dead worker stopped: the committed orders and the report so far, per batch

An import job whose worker died was run again from the start. The rows the first attempt had written then counted
as "unchanged" in the report (a merchant importing 300,000 new orders was told that most of them were already
there), and the second attempt read and compared every one of them again. Each batch of a job now writes, in its own
transaction, how many of the file's orders are done and the report so far.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_jobs", sa.Column("checkpoint_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("checkpoint_json")
