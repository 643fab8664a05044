"""Shipping tables: per-shop settings (capacity, hours, penalties), violations, reminders, which items each
shipment holds, and job leases. Every table carries shop_id so the schema can be distributed by shop."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, BigId, UTCDateTime


class ShippingSettings(Base):
    """The owner's shipping settings; defaults are assumptions, labelled so on screen (domain.md §2)."""

    __tablename__ = "shipping_settings"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    # Migration 0032: one decimal (a small shop packs 0.3 orders an hour); read as a float, planned exactly in tenths
    capacity_per_hour: Mapped[float] = mapped_column(Numeric(9, 1, asdecimal=False), default=100)
    work_start_minute: Mapped[int] = mapped_column(Integer, default=9 * 60)
    work_end_minute: Mapped[int] = mapped_column(Integer, default=18 * 60)
    default_promise: Mapped[str] = mapped_column(String(40), default="48h")
    late_points: Mapped[int] = mapped_column(Integer, default=2)
    compensation_pct: Mapped[int] = mapped_column(Integer, default=10)
    compensation_min_fen: Mapped[int] = mapped_column(BigInteger, default=500)
    compensation_max_fen: Mapped[int] = mapped_column(BigInteger, default=5000)
    due_soon_hours: Mapped[int] = mapped_column(Integer, default=6)
    # Migration 0010: the second, urgent reminder; how long and how often a typed tracking number may be corrected
    # (the platform's own limits are not public: assumptions, shown as such).
    urgent_hours: Mapped[int] = mapped_column(Integer, default=2)
    correction_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    max_corrections: Mapped[int] = mapped_column(Integer, default=2)
    # Migration 0021: weekdays the warehouse does not pack, as digits 0 (Monday) … 6 (Sunday), e.g. "6"; "" none.
    rest_weekdays: Mapped[str] = mapped_column(String(7), default="", server_default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))


class Violation(Base):
    """One late-shipment violation per order, ever: the unique order_pk is what makes two scanners (or a
    scanner and a clerk shipping late) unable to record it twice."""

    __tablename__ = "shipping_violations"
    __table_args__ = (
        UniqueConstraint("order_pk"),
        Index("ix_shipping_violations_shop_ship_by", "shop_id", "ship_by"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # late_shipment / overdue_unshipped
    ship_by: Mapped[datetime] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_by_seconds: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(Integer)
    compensation_fen: Mapped[int] = mapped_column(BigInteger)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))  # job / web / api / cli


class Reminder(Base):
    """A deadline reminder, once per order, kind and deadline (a moved deadline earns a new one): ``due_soon``
    (ship-by within due_soon_hours, default 6 h), ``due_urgent`` (within urgent_hours, default 2 h), ``overdue``.
    Someone in the warehouse acknowledges each one (migration 0010), so none is missed."""

    __tablename__ = "shipping_reminders"
    __table_args__ = (
        UniqueConstraint("order_pk", "kind", "ship_by"),
        Index("ix_shipping_reminders_shop_created", "shop_id", "created_at"),
        Index("ix_shipping_reminders_shop_open", "shop_id", "acknowledged_at", "ship_by"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # due_soon / due_urgent / overdue
    ship_by: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))


class TrackingCorrection(Base):
    """A tracking number corrected on a shipment: what it was, what it became, why, who, through which channel.
    The shipment row holds the current number; these rows are the history (and count against the limit)."""

    __tablename__ = "shipping_tracking_corrections"
    __table_args__ = (Index("ix_shipping_tracking_corrections_shipment", "shipment_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    old_carrier_code: Mapped[str | None] = mapped_column(String(32))
    old_tracking_no: Mapped[str] = mapped_column(String(40))
    new_carrier_code: Mapped[str] = mapped_column(String(32))
    new_tracking_no: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # web / api / cli


class ShipmentItem(Base):
    """Which SKU orders a shipment (package) holds; a SKU order ships once (partial shipping by item)."""

    __tablename__ = "shipment_items"
    __table_args__ = (UniqueConstraint("shop_id", "sku_order_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_order_id: Mapped[str] = mapped_column(String(32))


class JobLease(Base):
    """Who runs a background job for a shop until when, and how far it got (the incremental watermark).
    Taken by a conditional UPDATE, so two workers never run the same job on the same shop at once."""

    __tablename__ = "job_leases"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_full_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # full runs asked for and not yet served (leases.ask_full_run): a count, so an ask made while a full run is
    # under way outlives that run's release instead of being swallowed by it
    full_asks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
