"""Logistics tables: tracking events (the facts), one parcel row per shipment (the projection of its events plus
polling bookkeeping), anomalies with their action history, and raw Kuaidi100 pushes as received.
Every table carries shop_id so the schema can be distributed by shop."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint,
                        text)
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, BigId, UTCDateTime


class TrackingEvent(Base):
    """One carrier scan of one package. The unique key (package, time, text digest) is what makes a push, a
    poll and a file carrying the same scan store it once."""

    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("shipment_id", "at", "digest"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    code: Mapped[int | None] = mapped_column(Integer)  # the carrier's raw Kuaidi100 state code
    state: Mapped[str] = mapped_column(String(16))  # normalised (domain.ParcelState)
    location: Mapped[str | None] = mapped_column(String(100))
    context: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(32))  # md5 of the text, for the unique key
    source: Mapped[str] = mapped_column(String(16))  # push / poll / file / demo
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Parcel(Base):
    """A package's current logistics picture: the projection of its events (state only moves forward), the
    scan bookkeeping (when to look again) and the Kuaidi100 bookkeeping (last successful poll, back-off,
    subscription). Derived: it can always be rebuilt from tracking_events."""

    __tablename__ = "logistics_parcels"
    __table_args__ = (
        Index("ix_logistics_parcels_shop_tracking", "shop_id", "tracking_no"),
        Index("ix_logistics_parcels_shop_check", "shop_id", "next_check_at"),
        Index("ix_logistics_parcels_shop_changed", "shop_id", "changed_at"),
        Index("ix_logistics_parcels_shop_watch", "shop_id", "watch", "shipment_id"),
        Index("ix_logistics_parcels_shop_poll", "shop_id", "next_poll_at"),
    )

    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier_code: Mapped[str | None] = mapped_column(String(32))
    tracking_no: Mapped[str] = mapped_column(String(40))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    state: Mapped[str] = mapped_column(String(16), default="pending")
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_code: Mapped[int | None] = mapped_column(Integer)
    last_context: Mapped[str | None] = mapped_column(Text)
    last_location: Mapped[str | None] = mapped_column(String(100))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)

    watch: Mapped[bool] = mapped_column(Boolean, default=True)  # the full scan looks at it
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # new events (incremental scan)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # next threshold (incremental scan)

    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last *successful* Kuaidi100 query
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    poll_failures: Mapped[int] = mapped_column(SmallInteger, default=0)
    poll_error: Mapped[str | None] = mapped_column(String(200))
    subscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subscription: Mapped[str | None] = mapped_column(String(16))  # subscribed / polling / shutdown / abort / failed
    subscription_message: Mapped[str | None] = mapped_column(String(200))
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Anomaly(Base):
    """One case to act on. ``open_kind`` equals ``kind`` while the case is active and is NULL once closed. The
    unique index on the shipment of the active cases (open_kind set) keeps one active case per package on both
    databases (migration 0034, QA pass 9, #10: one parcel had a 退回 and a 物流停滞 case open at once, with buyer
    messages that contradicted each other); the case carries the parcel's most telling cause (rules.PRECEDENCE)
    and changes kind when a more telling one appears. The unique (shipment, kind, basis_at) makes rescans, and two
    scanners at once, idempotent, and keeps a case the merchant closed from being raised again on the same facts."""

    __tablename__ = "logistics_anomalies"
    __table_args__ = (
        UniqueConstraint("shipment_id", "kind", "basis_at"),
        UniqueConstraint("shipment_id", "open_kind"),
        Index("uq_logistics_anomalies_one_active", "shipment_id", unique=True,
              sqlite_where=text("open_kind IS NOT NULL"), postgresql_where=text("open_kind IS NOT NULL")),
        Index("ix_logistics_anomalies_shop_status", "shop_id", "status", "severity_level", "detected_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    open_kind: Mapped[str | None] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(12))
    severity_level: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(20))
    basis_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evidence: Mapped[str] = mapped_column(Text)  # JSON (rules.evidence_text renders it)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    ignored_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))


class AnomalyAction(Base):
    """Who moved a case where, when, and why (the worklist shows it; the audit log has it too)."""

    __tablename__ = "logistics_anomaly_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    anomaly_id: Mapped[int] = mapped_column(ForeignKey("logistics_anomalies.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(24))  # detected / escalated / contacted_carrier / … / auto_resolved
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))


class Kuaidi100Push(Base):
    """A push exactly as received (after its signature checked), stored before anything else is done with it,
    so nothing the carrier told us is lost if processing fails; unprocessed rows are replayed by the poll job."""

    __tablename__ = "kuaidi100_pushes"
    __table_args__ = (Index("ix_kuaidi100_pushes_processed", "processed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    param: Mapped[str] = mapped_column(Text)
    sign: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(200))


class AnomalyThresholds(Base):
    """The owner's anomaly thresholds for one shop, in hours (migration 0014). No row: the environment settings
    (XIAODIAN_LOGISTICS_*), whose defaults are the desk's assumptions. Written only through logistics.thresholds
    (validated whole, audited before → after)."""

    __tablename__ = "logistics_thresholds"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), primary_key=True)
    pickup_warning: Mapped[float] = mapped_column(Float)
    pickup_timeout: Mapped[float] = mapped_column(Float)
    pickup_serious: Mapped[float] = mapped_column(Float)
    stalled_warning: Mapped[float] = mapped_column(Float)
    stalled_timeout: Mapped[float] = mapped_column(Float)
    stalled_serious: Mapped[float] = mapped_column(Float)
    suspected_lost: Mapped[float] = mapped_column(Float)
    locker_uncollected: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
