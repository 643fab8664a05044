"""Tables of the order aggregate: shop orders, SKU orders, shipments (tracking numbers), events, products."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint,
                        false, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, BigId, UTCDateTime


class Product(Base):
    """A product the shop sells, with English names/aliases so buyers writing in English are understood."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("shop_id", "product_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    product_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    aliases: Mapped[str | None] = mapped_column(Text)  # JSON list of other names (pinyin, English)
    category: Mapped[str | None] = mapped_column(String(50))
    ship_promise: Mapped[str | None] = mapped_column(String(40))  # e.g. 48h, next_day, days:5
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Order(Base):
    """A shop order (店铺单). Buyer PII is stored encrypted with masked copies and blind indexes."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id"),
        # newest first; the status and 售后中 flag ride along for a text search's tab counts (migration 0019)
        Index("ix_orders_shop_sort", "shop_id", "sort_key", "status", "in_after_sale"),
        Index("ix_orders_shop_status_sort", "shop_id", "status", "sort_key"),
        # a buyer's orders newest first straight from the index (migration 0012)
        Index("ix_orders_shop_phone", "shop_id", "phone_hash", "sort_key"),
        Index("ix_orders_shop_last4", "shop_id", "phone_last4_hash", "sort_key"),
        Index("ix_orders_shop_paid", "shop_id", "paid_at"),
        Index("ix_orders_shop_ship_by", "shop_id", "status", "ship_by"),
        # 待发货 / 24小时内需发货 / 已超时 most urgent first (migration 0029): only the unshipped orders, in ship-by
        # order across both unshipped statuses (shipping.queries.unshipped repeats the predicate word for word).
        Index("ix_orders_unshipped_by_ship_by", "shop_id", "ship_by", "id",
              sqlite_where=text("status IN ('awaiting_shipment', 'partially_shipped')"),
              postgresql_where=text("status IN ('awaiting_shipment', 'partially_shipped')")),
        # 售后中 tab count (migration 0002); on PostgreSQL it carries the id for an index-only count (0016)
        Index("ix_orders_shop_after_sale", "shop_id", "after_sale_status", postgresql_include=["id"]),
        # the orders in the 售后中 tab, newest first: its page and its count under filters (migration 0017)
        Index("ix_orders_shop_in_after_sale", "shop_id", "in_after_sale", "sort_key",
              sqlite_where=text("in_after_sale = 1"), postgresql_where=text("in_after_sale")),
        # The 旗标 filter (migration 0022): only flagged orders, so unflagged imports pay nothing for it.
        Index("ix_orders_shop_flag", "shop_id", "flag_colour", "sort_key",
              sqlite_where=text("flag_colour <> 0"), postgresql_where=text("flag_colour <> 0")),
        # The 改地址 filter (migration 0024): only orders whose address changed, a few in a thousand; with the status
        # and the change's time, so that counting them (the home page's card, the tabs) reads the index alone.
        Index("ix_orders_shop_address_changed", "shop_id", "sort_key", "status", "address_changed_at",
              sqlite_where=text("address_changed_at IS NOT NULL"),
              postgresql_where=text("address_changed_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24))
    platform_status_code: Mapped[int | None] = mapped_column(Integer)
    # Newest-first key: created time in seconds, shifted, plus the low bits of id (unique, sortable).
    sort_key: Mapped[int | None] = mapped_column(BigInteger, unique=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ship_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ship_by_source: Mapped[str | None] = mapped_column(String(16))
    ship_promise: Mapped[str | None] = mapped_column(String(40))  # the promise a derived ship_by came from (0004)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pay_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    post_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    buyer_name_enc: Mapped[str | None] = mapped_column(Text)
    buyer_name_masked: Mapped[str | None] = mapped_column(String(40))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    phone_hash: Mapped[str | None] = mapped_column(String(32))
    phone_last4_hash: Mapped[str | None] = mapped_column(String(32))
    address_enc: Mapped[str | None] = mapped_column(Text)
    address_masked: Mapped[str | None] = mapped_column(String(100))
    province: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(30))
    district: Mapped[str | None] = mapped_column(String(30))

    buyer_note: Mapped[str | None] = mapped_column(Text)
    merchant_note: Mapped[str | None] = mapped_column(Text)
    flag_colour: Mapped[int] = mapped_column(SmallInteger, default=0)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    after_sale_status: Mapped[str | None] = mapped_column(String(40))
    # In the 售后中 tab: set by database triggers from the order's cases and its 售后状态 text (migration 0017),
    # never by the code; a write to it is put right again.
    in_after_sale: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # When a later snapshot brought another delivery address (migration 0023); the event has masked before → after
    address_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Keyed digests of the delivery places, phones and names a later snapshot replaced (migration 0031): an older
    # file that gives one again cannot bring it back (later_snapshot.keep_current_buyer)
    replaced_buyer_digests: Mapped[str | None] = mapped_column(Text)
    order_type: Mapped[str | None] = mapped_column(String(40))

    items_summary: Mapped[str] = mapped_column(Text, default="")
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="import")
    content_hash: Mapped[str | None] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan", lazy="selectin"
    )


class OrderItem(Base):
    """A SKU order (商品单). A single-SKU order's child id equals its parent id."""

    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("shop_id", "sku_order_id"),
                      # orders of a product without scanning every order (the inquiry assistant, migration 0013)
                      Index("ix_order_items_shop_product", "shop_id", "product_id", "order_pk"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_order_id: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str | None] = mapped_column(String(32))
    merchant_code: Mapped[str | None] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(300))
    spec: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    after_sale_status: Mapped[str | None] = mapped_column(String(40))

    order: Mapped[Order] = relationship(back_populates="items")


class Shipment(Base):
    """A tracking number put on (part of) an order: what was shipped, with which carrier, when.

    ``kind`` 'order' is the order's own parcel (what its status, shipped_at, tracking list, export and write-back
    read: ORDER_PARCEL); 'resend' is a parcel an after-sale case sends the buyer (补寄, an exchange or repaired
    item, migration 0030), which logistics watches like any other and which no other order may carry the number
    of, but which changes none of the order's own shipping facts."""

    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_shop_tracking", "shop_id", "tracking_no"),
                      Index("ix_shipments_shop_shipped", "shop_id", "shipped_at"),
                      Index("ix_shipments_aftersale_case", "aftersale_case_id",
                            sqlite_where=text("aftersale_case_id IS NOT NULL"),
                            postgresql_where=text("aftersale_case_id IS NOT NULL")))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier_code: Mapped[str | None] = mapped_column(String(32))
    carrier_name: Mapped[str | None] = mapped_column(String(50))
    tracking_no: Mapped[str] = mapped_column(String(40))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16), default="import")
    kind: Mapped[str] = mapped_column(String(8), default="order", server_default="order")
    aftersale_case_id: Mapped[int | None] = mapped_column(BigInteger)  # kind 'resend': its case (no FK, see 0030)


# The order's own parcels (every reader of its shipping facts filters with this; logistics and the duplicate-number
# checks read every kind).
ORDER_PARCEL = Shipment.kind == "order"
RESEND = "resend"


class OrderEvent(Base):
    """One line of an order's timeline: what happened, when, through which channel, by whom."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_at", "order_pk", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(16))  # import / web / api / cli / job / sync / demo
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # JSON


class OrderStatusCount(Base):
    """Orders per shop and status, maintained by database triggers (migration 0009), never by the code:
    the tab bar reads it instead of counting every order on each request."""

    __tablename__ = "order_status_counts"

    shop_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class OrderAfterSaleCount(Base):
    """Orders per shop in the 售后中 tab (orders.in_after_sale), maintained by database triggers (migration 0017),
    never by the code: the tab bar reads it instead of counting the tab's orders on each request."""

    __tablename__ = "order_after_sale_counts"

    shop_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger)
