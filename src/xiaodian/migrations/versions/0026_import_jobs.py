"""Import jobs: a large order export file checked and imported by a worker instead of in the upload's request

A file of a few hundred thousand orders takes minutes to check and as long again to import; a browser, or a proxy
in front of the desk, gives up on a request long before. One row per check or import: who uploaded, the parked
file, how far the worker got, and the report.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("preview_of", BigId, nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("bytes_done", sa.BigInteger(), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=40), nullable=True),
        sa.Column("error_message", sa.String(length=400), nullable=True),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_import_jobs_shop_id_shops")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_import_jobs_user_id_users")),
        sa.ForeignKeyConstraint(["preview_of"], ["import_jobs.id"], name=op.f("fk_import_jobs_preview_of_import_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
        sa.UniqueConstraint("preview_of", name=op.f("uq_import_jobs_preview_of")),
    )
    op.create_index("ix_import_jobs_shop", "import_jobs", ["shop_id", "id"])
    op.create_index("ix_import_jobs_status", "import_jobs", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_import_jobs_status", table_name="import_jobs")
    op.drop_index("ix_import_jobs_shop", table_name="import_jobs")
    op.drop_table("import_jobs")
