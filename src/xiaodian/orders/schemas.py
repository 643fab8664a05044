"""The ORDER JSON shape shared by the CLI and the API (a stable interface: add fields, never rename)."""

from __future__ import annotations

from pydantic import BaseModel

from ..clock import iso
from .models import Order, Shipment


class ItemOut(BaseModel):
    sku_order_id: str
    product_id: str | None
    product_name: str
    spec: str | None
    quantity: int
    unit_price_fen: int
    amount_fen: int


class BuyerOut(BaseModel):
    phone_masked: str | None
    name_masked: str | None
    province: str | None
    city: str | None
    district: str | None
    address_masked: str | None = None


class TrackingOut(BaseModel):
    carrier: str | None
    tracking_no: str


class ViolationOut(BaseModel):
    kind: str
    late_by_seconds: int
    points: int
    compensation_fen: int


class OrderOut(BaseModel):
    order_id: str
    status: str
    platform_status_code: int | None
    created_at: str | None
    paid_at: str | None
    ship_by: str | None
    shipped_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    pay_amount_fen: int
    post_amount_fen: int
    items: list[ItemOut]
    buyer: BuyerOut
    tracking: list[TrackingOut]
    buyer_note: str | None
    merchant_note: str | None
    flag_colour: int
    after_sale_status: str | None
    cancel_reason: str | None
    # Shipping (issue 4)
    ship_by_source: str | None = None
    ship_by_explanation: str | None = None
    overdue: bool = False
    violation: ViolationOut | None = None
    # Logistics (issue 5): the packages' state and the worst anomaly being worked on ({kind, severity})
    logistics_state: str | None = None
    anomaly: dict | None = None
    # Several shops (issue 8): the order's shop, given on a list over several shops (shop=all) and on the detail.
    shop_id: int | None = None
    # When the buyer last changed the delivery address (a later snapshot brought another one), or null
    address_changed_at: str | None = None


class OrderPage(BaseModel):
    total: int
    # True when PostgreSQL stopped counting a very common product-name match at the cap: "at least total".
    total_is_capped: bool = False
    page: int
    page_size: int
    orders: list[OrderOut]


class EventOut(BaseModel):
    at: str | None
    kind: str
    from_status: str | None
    to_status: str | None
    source: str
    actor: str | None
    detail: str | None


class OrderDetailOut(OrderOut):
    events: list[EventOut]


def order_out(order: Order, shipments: list[Shipment], violation=None, now=None, logistics: dict | None = None) -> OrderOut:
    """``violation`` is the order's shipping_violations row (or None); ``now`` decides ``overdue``."""
    from ..logistics.views import order_logistics_fields
    from ..shipping.views import order_shipping_fields

    return OrderOut(
        **order_shipping_fields(order, violation, now),
        **order_logistics_fields(order, logistics),
        order_id=order.order_id,
        status=order.status,
        platform_status_code=order.platform_status_code,
        created_at=iso(order.created_at),
        paid_at=iso(order.paid_at),
        ship_by=iso(order.ship_by),
        shipped_at=iso(order.shipped_at),
        completed_at=iso(order.completed_at),
        cancelled_at=iso(order.cancelled_at),
        pay_amount_fen=order.pay_amount_fen,
        post_amount_fen=order.post_amount_fen,
        items=[
            ItemOut(sku_order_id=i.sku_order_id, product_id=i.product_id, product_name=i.product_name, spec=i.spec,
                    quantity=i.quantity, unit_price_fen=i.unit_price_fen, amount_fen=i.amount_fen)
            for i in order.items
        ],
        buyer=BuyerOut(phone_masked=order.phone_masked, name_masked=order.buyer_name_masked,
                       province=order.province, city=order.city, district=order.district,
                       address_masked=order.address_masked),
        tracking=[TrackingOut(carrier=s.carrier_name or s.carrier_code, tracking_no=s.tracking_no) for s in shipments],
        buyer_note=order.buyer_note,
        merchant_note=order.merchant_note,
        flag_colour=order.flag_colour,
        after_sale_status=order.after_sale_status,
        cancel_reason=order.cancel_reason,
        address_changed_at=iso(order.address_changed_at),
    )
