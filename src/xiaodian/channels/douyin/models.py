"""Tables of the Douyin connection: one connection per shop (secret and tokens encrypted, the write switch, the
sync cursor and health), the raw push batches and their messages (the inbox), and the shipping outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...db import Base, BigId, UTCDateTime


class DouyinConnection(Base):
    """A shop's self-use (自用型) app. ``sync_cursor`` is the update_time the order sync has fully covered."""

    __tablename__ = "douyin_connections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), unique=True)
    platform_shop_id: Mapped[str] = mapped_column(String(40))
    app_key: Mapped[str] = mapped_column(String(64), unique=True)
    app_secret_enc: Mapped[str] = mapped_column(Text)
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Writes back to the platform (logisticsAdd, afterSale.operate) stay off until the owner turns them on.
    write_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    aftersale_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)  # JSON: method, code, msg, sub_code, sub_msg
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DouyinPushBatch(Base):
    """The raw body of one verified push exactly as received, stored before anything is parsed or applied."""

    __tablename__ = "douyin_push_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raw_body: Mapped[str] = mapped_column(Text)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    new_messages: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))


class DouyinInbox(Base):
    """One push message, once per msg_id (the platform re-sends until it hears success).

    ``state``: pending (to apply, again at ``next_attempt_at`` after a failure), done, failed (gave up after
    the attempts limit; shown to the owner and retried by hand), deferred (a tag whose consumer is not built yet:
    kept, never dropped), ignored (a tag the desk does not use).
    """

    __tablename__ = "douyin_inbox"
    __table_args__ = (
        UniqueConstraint("shop_id", "msg_id"),
        Index("ix_douyin_inbox_shop_state_next", "shop_id", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("douyin_push_batches.id"))
    msg_id: Mapped[str] = mapped_column(String(64))
    tag: Mapped[str] = mapped_column(String(8))
    data: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(300))


# The kinds of tracking upload in the outbox: a whole order (order.logisticsAdd) or a parcel of some of its SKU
# orders (order.logisticsAddSinglePack); see outbox.py.
UPLOAD_WHOLE, UPLOAD_PARTIAL = "logistics_add", "logistics_pack"
UPLOAD_KINDS = (UPLOAD_WHOLE, UPLOAD_PARTIAL)


class DouyinOutbox(Base):
    """A write to the platform waiting to be sent (a tracking upload, or an after-sale decision). Unique per
    shipment, so a waybill is never uploaded twice however often shipping or the job runs."""

    __tablename__ = "douyin_outbox"
    __table_args__ = (UniqueConstraint("shop_id", "kind", "ref"), Index("ix_douyin_outbox_state", "shop_id", "state"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[str] = mapped_column(String(24))  # UPLOAD_KINDS, or aftersale_operate (operate.KIND)
    ref: Mapped[str] = mapped_column(String(64))  # the shipment id
    order_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending / sent / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
