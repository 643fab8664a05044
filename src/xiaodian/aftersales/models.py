"""After-sale tables: cases, the buyer's reasons (append-only), each case's history, the communication log
and deadline reminders. Every table carries shop_id so the schema can be distributed by shop."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, BigId, UTCDateTime


class AfterSaleCase(Base):
    """One after-sale case (售后单) on one SKU order. ``status`` changes only through service.transition();
    the buyer's reasons live in AfterSaleReason, and the case points at the first and the latest one."""

    __tablename__ = "aftersale_cases"
    __table_args__ = (
        UniqueConstraint("shop_id", "aftersale_id"),
        Index("ix_aftersale_cases_shop_status_due", "shop_id", "status", "due_by"),
        Index("ix_aftersale_cases_shop_applied", "shop_id", "applied_at"),
        Index("ix_aftersale_cases_shop_sku", "shop_id", "sku_order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    aftersale_id: Mapped[str] = mapped_column(String(40))  # the platform's id; "sku:<id>" while provisional
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)  # seen only in an order export so far
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_order_id: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str | None] = mapped_column(String(32))
    case_type: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    refund_status: Mapped[str | None] = mapped_column(String(16))  # pending / refunding / succeeded / failed
    refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    postage_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_since: Mapped[datetime] = mapped_column(UTCDateTime)
    due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the platform's status_deadline (逾期时间)
    due_by_source: Mapped[str | None] = mapped_column(String(16))  # platform / assumed
    return_carrier: Mapped[str | None] = mapped_column(String(50))
    return_tracking_no: Mapped[str | None] = mapped_column(String(40))
    reship_carrier: Mapped[str | None] = mapped_column(String(50))
    reship_tracking_no: Mapped[str | None] = mapped_column(String(40))
    inspection: Mapped[str | None] = mapped_column(String(20))
    reject_code: Mapped[str | None] = mapped_column(String(32))
    reject_note: Mapped[str | None] = mapped_column(Text)
    cancelled_by_buyer: Mapped[bool] = mapped_column(Boolean, default=False)
    first_reason_id: Mapped[int | None] = mapped_column(BigInteger)
    current_reason_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime)  # also the case's version
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AfterSaleReason(Base):
    """A reason the buyer gave: the first one and every change, each with its time and source. Append-only:
    the service only inserts, and the database refuses UPDATE and DELETE (triggers of migration 0006)."""

    __tablename__ = "aftersale_reasons"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("aftersale_cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1 = the first reason
    text: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(32))
    remark: Mapped[str | None] = mapped_column(Text)
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # import / sync / demo / api (buyer events only)


class AfterSaleEvent(Base):
    """One step of a case's history (the order's timeline gets a line too)."""

    __tablename__ = "aftersale_events"
    __table_args__ = (Index("ix_aftersale_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("aftersale_cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON


class AfterSaleContact(Base):
    """The communication log: who talked to the buyer, how, what was said, what came of it."""

    __tablename__ = "aftersale_contacts"
    __table_args__ = (Index("ix_aftersale_contacts_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("aftersale_cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))  # feige / phone / sms / other
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))


class AfterSaleReminder(Base):
    """A deadline reminder: once per case, kind and deadline (a moved deadline earns a new one)."""

    __tablename__ = "aftersale_reminders"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "due_by"),
        Index("ix_aftersale_reminders_shop_created", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("aftersale_cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # due_soon / overdue
    status: Mapped[str] = mapped_column(String(24))
    due_by: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AfterSaleReasonFamily(Base):
    """The owner's override of one reason text's 品退率 family (migration 0011). Texts not listed follow the
    default mapping (domain.md §4, or the XIAODIAN_AFTERSALES_*_REASONS settings)."""

    __tablename__ = "aftersale_reason_families"
    __table_args__ = (CheckConstraint("family IN ('quality', 'other')", name="family"),)

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    reason_text: Mapped[str] = mapped_column(String(100), primary_key=True)  # normalised (no spaces, ASCII /)
    family: Mapped[str] = mapped_column(String(16))  # quality / other
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class ProductPaidCount(Base):
    """SKU orders paid per shop, product and day (UTC+8), maintained by database triggers on orders and
    order_items (migration 0015), never by the code: the 品退率 denominator sums at most 31 days of it instead
    of reading every order of the window. ``product_id`` '' stands for items without one."""

    __tablename__ = "product_paid_counts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    shop_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
