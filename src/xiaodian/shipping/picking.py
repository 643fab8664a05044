"""What the warehouse takes off the shelves for the pick list: each planned order's items still to ship, and the
totals per product and spec, so a picker walks the shelves once and then packs order by order.

An item already in a parcel (partial shipping) is not picked again. An item whose export row carries an after-sale
status is listed with that status beside it, for the packer to check before sealing the box. An order held by a pending
refund (aftersales.service.refund_pending_unshipped) is not planned at all: the report lists it apart.

The goods after-sales must send the buyer (换货, 补寄: 待商家发货) are packed by the same people from the same shelves:
they take their place in the list by their case's deadline and count in the totals (QA pass 13, #5). The list covers a
horizon (overdue and due within the next hours, 48 by default): the backlog of presale orders due in weeks is not
picked today (QA pass 13, #4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..orders.models import Order, OrderItem
from .models import ShipmentItem

_CHUNK = 900  # order ids per IN list (SQLite's bound-parameter limit on old builds is 999)
# The pick list's horizons, in hours (None: everything awaiting): what must leave by then, overdue orders included.
HORIZONS: tuple[int | None, ...] = (24, 48, 72, None)
DEFAULT_HORIZON = 48  # today's and tomorrow's work: a 48-hour promise is the platform's common one


class _Scalars:
    """A pick-list value whose fields are all scalars."""

    def as_dict(self) -> dict:
        """The fields as a plain dict (JSON, templates). They are all scalars, so this shallow copy is what
        dataclasses.asdict gives, at a twentieth of its cost: it copies field by field, recursively, 12 µs an item
        against 0.5, for the thousands of items of a long pick list."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class PickItem(_Scalars):
    product_name: str
    spec: str | None
    quantity: int
    merchant_code: str | None
    after_sale_status: str | None


@dataclass(frozen=True)
class PickTotal(_Scalars):
    product_name: str
    spec: str | None
    merchant_code: str | None
    quantity: int
    orders: int


def items_to_pick(session: Session, shop_id: int, order_ids: Sequence[str]) -> dict[str, list[PickItem]]:
    """Each order's items not yet in a parcel, in the order's own item order, keyed by order id; an item refunded
    before shipping is not packed (its order, partly refunded, still ships the rest)."""
    from .service import refunded_skus

    found: dict[str, list[PickItem]] = {oid: [] for oid in order_ids}
    shipped = select(ShipmentItem.id).where(and_(ShipmentItem.shop_id == OrderItem.shop_id,
                                                 ShipmentItem.sku_order_id == OrderItem.sku_order_id))
    unique = list(found)
    for start in range(0, len(unique), _CHUNK):
        rows = session.execute(
            select(Order.order_id, OrderItem.product_name, OrderItem.spec, OrderItem.quantity,
                   OrderItem.merchant_code, OrderItem.after_sale_status, Order.id, OrderItem.sku_order_id)
            .join(OrderItem, OrderItem.order_pk == Order.id)
            .where(Order.shop_id == shop_id, Order.order_id.in_(unique[start:start + _CHUNK]), ~shipped.exists())
            .order_by(Order.id, OrderItem.id)).all()
        refunded = refunded_skus(session, list({row[6] for row in rows}))
        for order_id, name, spec, quantity, code, after_sale, pk, sku in rows:
            if sku not in refunded.get(pk, ()):
                found[order_id].append(PickItem(name, spec, quantity, code, after_sale))
    return found


def contents_unknown(session: Session, shop_id: int, order_ids: Sequence[str]) -> set[str]:
    """The part-shipped orders among ``order_ids`` whose parcels say nothing of the items they hold (an export with
    no number on each SKU row): all their items are listed, and the packer must check which ones already went."""
    from ..orders.models import ORDER_PARCEL, Shipment

    linked = select(ShipmentItem.id).where(ShipmentItem.order_pk == Order.id)
    parcel = select(Shipment.id).where(Shipment.order_pk == Order.id, ORDER_PARCEL)
    unique = list(dict.fromkeys(order_ids))
    found: set[str] = set()
    for start in range(0, len(unique), _CHUNK):
        found.update(session.execute(
            select(Order.order_id).where(Order.shop_id == shop_id, Order.order_id.in_(unique[start:start + _CHUNK]),
                                         Order.status == "partially_shipped", parcel.exists(), ~linked.exists())
        ).scalars())
    return found


def order_notes(session: Session, shop_id: int, order_ids: Sequence[str]) -> dict[str, dict]:
    """买家留言, 商家备注 and flag of each order that has any, keyed by order id: read by whoever packs it."""
    unique = list(dict.fromkeys(order_ids))
    found: dict[str, dict] = {}
    for start in range(0, len(unique), _CHUNK):
        rows = session.execute(
            select(Order.order_id, Order.buyer_note, Order.merchant_note, Order.flag_colour)
            .where(Order.shop_id == shop_id, Order.order_id.in_(unique[start:start + _CHUNK]),
                   or_(Order.buyer_note.is_not(None), Order.merchant_note.is_not(None), Order.flag_colour != 0)))
        for order_id, buyer_note, merchant_note, flag in rows:
            found[order_id] = {"buyer_note": buyer_note, "merchant_note": merchant_note, "flag_colour": flag}
    return found


def pick_totals(items_by_order: Iterable[Sequence[PickItem]]) -> list[PickTotal]:
    """Quantity and number of orders per (product, spec, merchant code), by product name then spec. Pure."""
    quantity: dict[tuple, int] = {}
    orders: dict[tuple, int] = {}
    for items in items_by_order:
        seen: set[tuple] = set()
        for item in items:
            key = (item.product_name, item.spec, item.merchant_code)
            quantity[key] = quantity.get(key, 0) + item.quantity
            if key not in seen:
                seen.add(key)
                orders[key] = orders.get(key, 0) + 1
    return [PickTotal(name, spec, code, quantity[(name, spec, code)], orders[(name, spec, code)])
            for name, spec, code in sorted(quantity, key=lambda k: (k[0], k[1] or "", k[2] or ""))]


@dataclass(frozen=True)
class ToSend:
    """An after-sale case whose goods the merchant sends the buyer (exchange, re-send), as the pick list packs it."""

    aftersale_id: str
    order_id: str
    case_type: str
    due_by: datetime | None
    overdue: bool
    items: tuple[PickItem, ...]


def horizon_of(value: str | None) -> int | None:
    """The pick list's horizon as chosen on the page (24, 48, 72 or all); anything else is the default."""
    text = (value or "").strip().lower()
    if text == "all":
        return None
    return int(text) if text.isdigit() and int(text) in HORIZONS else DEFAULT_HORIZON


def to_send(session: Session, shop_id: int, cases: Sequence) -> list[ToSend]:
    """The cases (aftersales CaseOut rows) as pick-list entries, each with its item's merchant code, so its goods add
    up with the orders' in the totals. A case whose item is not in the order (unknown product) is listed without
    goods to total."""
    wanted = {(c.order_id, c.sku_order_id) for c in cases}
    codes: dict[tuple[str, str], str | None] = {}
    order_ids = list({order_id for order_id, _sku in wanted})
    for start in range(0, len(order_ids), _CHUNK):
        for order_id, sku, code in session.execute(
                select(Order.order_id, OrderItem.sku_order_id, OrderItem.merchant_code)
                .join(OrderItem, OrderItem.order_pk == Order.id)
                .where(Order.shop_id == shop_id, Order.order_id.in_(order_ids[start:start + _CHUNK]))):
            if (order_id, sku) in wanted:
                codes[(order_id, sku)] = code
    return [ToSend(c.aftersale_id, c.order_id, c.type, datetime.fromisoformat(c.due_by) if c.due_by else None,
                   bool(c.overdue),
                   (PickItem(c.product_name, c.spec, c.quantity, codes.get((c.order_id, c.sku_order_id)), None),)
                   if c.product_name else ())
            for c in cases]


def in_deadline_order(rows: Iterable[dict]) -> list[dict]:
    """Pick-list rows (orders and after-sale cases, each with an ISO ``ship_by`` or None) by deadline, those without
    one last; rows with the same deadline keep their order (the plan's, orders before cases). Pure."""
    last = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda row: datetime.fromisoformat(row["ship_by"]) if row["ship_by"] else last)
