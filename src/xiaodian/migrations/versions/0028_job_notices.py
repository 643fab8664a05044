"""A finished export or import is announced to its asker once, even when none of their pages was open

The notice watcher of the pages followed only the jobs still open when a page was drawn. A job that finished while
its asker had no page of the desk open (an export asked for through the API at night, an import left running when
the browser was closed) was never announced. Each job now records when its asker was told (``noticed_at``); a
finished job not yet told is announced on the next page they open, for a week.

Jobs that had finished before this migration count as told: announcing months of old exports at once would help
nobody.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

TABLES = ("export_jobs", "import_jobs")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET noticed_at = finished_at WHERE status NOT IN ('queued', 'running')")
        op.create_index(f"ix_{table}_unnoticed", table, ["user_id", "noticed_at", "finished_at"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_unnoticed", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("noticed_at")
