"""douyin open platform connection

One connection per shop (encrypted app secret and tokens, write switch default off, sync cursor and health),
raw push batches, the push inbox (one row per shop and msg_id), and the outbox of writes to the platform.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def _shop_fk(table: str):
    return sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f(f"fk_{table}_shop_id_shops"))


def upgrade() -> None:
    op.create_table(
        "douyin_connections",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("platform_shop_id", sa.String(40), nullable=False),
        sa.Column("app_key", sa.String(64), nullable=False),
        sa.Column("app_secret_enc", sa.Text(), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=True),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("token_expires_at", TS, nullable=True),
        sa.Column("write_enabled", sa.Boolean(), nullable=False),
        sa.Column("sync_cursor", TS, nullable=True),
        sa.Column("aftersale_cursor", TS, nullable=True),
        sa.Column("last_sync_at", TS, nullable=True),
        sa.Column("last_push_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _shop_fk("douyin_connections"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_douyin_connections")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_douyin_connections_shop_id")),
        sa.UniqueConstraint("app_key", name=op.f("uq_douyin_connections_app_key")),
    )
    op.create_table(
        "douyin_push_batches",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("raw_body", sa.Text(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("new_messages", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(200), nullable=True),
        _shop_fk("douyin_push_batches"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_douyin_push_batches")),
    )
    op.create_index(op.f("ix_douyin_push_batches_shop_id"), "douyin_push_batches", ["shop_id"])
    op.create_table(
        "douyin_inbox",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("batch_id", BigId, nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("tag", sa.String(8), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("order_id", sa.String(32), nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("processed_at", TS, nullable=True),
        sa.Column("outcome", sa.String(300), nullable=True),
        _shop_fk("douyin_inbox"),
        sa.ForeignKeyConstraint(["batch_id"], ["douyin_push_batches.id"],
                                name=op.f("fk_douyin_inbox_batch_id_douyin_push_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_douyin_inbox")),
        sa.UniqueConstraint("shop_id", "msg_id", name=op.f("uq_douyin_inbox_shop_id_msg_id")),
    )
    op.create_index("ix_douyin_inbox_shop_state_next", "douyin_inbox", ["shop_id", "state", "next_attempt_at"])
    op.create_table(
        "douyin_outbox",
        sa.Column("id", BigId, nullable=False),
        sa.Column("shop_id", BigId, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        _shop_fk("douyin_outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_douyin_outbox")),
        sa.UniqueConstraint("shop_id", "kind", "ref", name=op.f("uq_douyin_outbox_shop_id_kind_ref")),
    )
    op.create_index("ix_douyin_outbox_state", "douyin_outbox", ["shop_id", "state"])


def downgrade() -> None:
    op.drop_table("douyin_outbox")
    op.drop_table("douyin_inbox")
    op.drop_table("douyin_push_batches")
    op.drop_table("douyin_connections")
