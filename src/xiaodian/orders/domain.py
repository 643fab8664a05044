"""Order statuses, the one transition table, and the order record every intake path produces. Pure rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ..clock import FILTER_YEARS, plausible_date
from ..whole_numbers import whole_number


class OrderStatus(StrEnum):
    """The desk's names for the platform's ``order_status`` codes (domain.md §1)."""

    UNPAID = "unpaid"  # 1 待支付: created, not paid; auto-closes at order_expire_time
    PAID_PENDING = "paid_pending"  # 105 已支付: paid but held for risk review; must not ship yet
    AWAITING_SHIPMENT = "awaiting_shipment"  # 2 备货中: paid, ship-by clock running
    PARTIALLY_SHIPPED = "partially_shipped"  # 101 部分发货
    SHIPPED = "shipped"  # 3 已发货: every item has a tracking number
    COMPLETED = "completed"  # 5 已完成: buyer received or confirmed
    CANCELLED = "cancelled"  # 4 已取消/已关闭: unpaid timeout, cancelled, or refunded


PLATFORM_CODE = {
    OrderStatus.UNPAID: 1,
    OrderStatus.PAID_PENDING: 105,
    OrderStatus.AWAITING_SHIPMENT: 2,
    OrderStatus.PARTIALLY_SHIPPED: 101,
    OrderStatus.SHIPPED: 3,
    OrderStatus.COMPLETED: 5,
    OrderStatus.CANCELLED: 4,
}
STATUS_BY_CODE = {code: status for status, code in PLATFORM_CODE.items()}

# The texts the merchant back office writes into the 订单状态 column of an export.
STATUS_BY_TEXT = {
    "待支付": OrderStatus.UNPAID,
    "待确认": OrderStatus.UNPAID,
    "待付款": OrderStatus.UNPAID,
    "已支付": OrderStatus.PAID_PENDING,
    "待处理": OrderStatus.PAID_PENDING,
    "风控审核中": OrderStatus.PAID_PENDING,
    "备货中": OrderStatus.AWAITING_SHIPMENT,
    "待发货": OrderStatus.AWAITING_SHIPMENT,
    "部分发货": OrderStatus.PARTIALLY_SHIPPED,
    "已发货": OrderStatus.SHIPPED,
    "待收货": OrderStatus.SHIPPED,
    "已完成": OrderStatus.COMPLETED,
    "已签收": OrderStatus.COMPLETED,
    "已取消": OrderStatus.CANCELLED,
    "已关闭": OrderStatus.CANCELLED,
    "交易关闭": OrderStatus.CANCELLED,
}

# Direct moves. Cancellation is reachable from every open state (closing after shipping is a refund,
# main_status 22/39); nothing leaves CANCELLED.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.UNPAID: frozenset({OrderStatus.PAID_PENDING, OrderStatus.AWAITING_SHIPMENT, OrderStatus.CANCELLED}),
    OrderStatus.PAID_PENDING: frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.CANCELLED}),
    OrderStatus.AWAITING_SHIPMENT: frozenset(
        {OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.CANCELLED}
    ),
    OrderStatus.PARTIALLY_SHIPPED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.CANCELLED}),
    OrderStatus.CANCELLED: frozenset(),
}


def _closure() -> dict[OrderStatus, frozenset[OrderStatus]]:
    reach: dict[OrderStatus, frozenset[OrderStatus]] = {}
    for start in OrderStatus:
        seen: set[OrderStatus] = set()
        frontier = [start]
        while frontier:
            for nxt in TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        reach[start] = frozenset(seen)
    return reach


REACHABLE = _closure()


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    """A direct move a person or the platform may make."""
    return target in TRANSITIONS[current]


def can_catch_up(current: OrderStatus, target: OrderStatus) -> bool:
    """A later snapshot (export file, sync) may skip steps it did not see, but never go backwards."""
    return target == current or target in REACHABLE[current]


def status_from_text(text: str) -> OrderStatus | None:
    text = text.strip()
    if text in STATUS_BY_TEXT:
        return STATUS_BY_TEXT[text]
    try:
        return OrderStatus(text)
    except ValueError:
        pass
    code = whole_number(text, 4)
    return STATUS_BY_CODE.get(code) if code is not None else None


# The platform's risk review (风控审核) of a paid order usually ends within hours; one held this long is stuck, and
# only the platform can release it (QA pass 9, #8: an order 9 days in review looked like one paid this morning).
REVIEW_STUCK_HOURS = 24


def review_held_days(status: str, paid_at: datetime | str | None, now: datetime) -> int | None:
    """Whole days a paid order has been held in the platform's review (待处理 / paid_pending), once that is more than
    REVIEW_STUCK_HOURS; None otherwise. ``paid_at``: a datetime or ISO 8601 text with an offset (the API's)."""
    if status != OrderStatus.PAID_PENDING.value or not paid_at:
        return None
    paid = datetime.fromisoformat(paid_at) if isinstance(paid_at, str) else paid_at
    held = now - paid
    if held.total_seconds() < REVIEW_STUCK_HOURS * 3600:
        return None
    return max(1, held.days)


def closed_as_unpaid(cancel_reason: str | None) -> bool:
    """Whether a closed order's 取消原因 says it was never paid (超时未支付, 买家未付款…). Beside a payment time it
    contradicts the order (a pre-sale deposit paid, its balance not): the import names such rows and the assistant
    promises no refund for them."""
    return bool(cancel_reason) and ("未支付" in cancel_reason or "未付款" in cancel_reason)


# Tabs of the order list, in the order merchants see them on the platform.
TABS: tuple[str, ...] = (
    "all",
    "unpaid",
    "paid_pending",
    "awaiting_shipment",
    "partially_shipped",
    "shipped",
    "completed",
    "cancelled",
    "after_sale",
)

FLAG_COLOURS = ("none", "grey", "purple", "cyan", "green", "orange", "red")
# The list's 旗标 filter: any flag, or one colour (by name in URLs, flags and the API, e.g. flag=red).
FLAG_FILTERS = ("any", *FLAG_COLOURS[1:])
# Paid and not all shipped: a parcel may still be labelled, so a change of the delivery address matters (改地址).
TO_SHIP = frozenset({"paid_pending", "awaiting_shipment", "partially_shipped"})
# The list's 改地址 filter: orders whose buyer changed the address and that are still to ship (the warehouse's
# list: labels printed before the change must be printed again), or every order whose address ever changed.
ADDRESS_FILTERS = ("to_ship", "any")


@dataclass
class ItemRecord:
    """One SKU order (商品单) as an intake path saw it."""

    sku_order_id: str
    product_name: str
    quantity: int
    unit_price_fen: int
    product_id: str | None = None
    merchant_code: str | None = None
    spec: str | None = None
    amount_fen: int | None = None
    after_sale_status: str | None = None

    def __post_init__(self) -> None:
        if self.amount_fen is None:
            self.amount_fen = self.unit_price_fen * self.quantity


@dataclass
class OrderRecord:
    """A shop order (店铺单) snapshot from an export file, the platform, or the demo generator.

    Buyer fields are plaintext here and only here: the service encrypts them before they are stored.
    """

    order_id: str
    status: OrderStatus
    created_at: datetime
    pay_amount_fen: int
    items: list[ItemRecord] = field(default_factory=list)
    paid_at: datetime | None = None
    ship_by: datetime | None = None
    shipped_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    post_amount_fen: int | None = None  # None: the snapshot did not say (an export file without 运费)
    buyer_name: str | None = None
    buyer_phone: str | None = None  # 11 digits, or a masked copy such as 138****5678
    address: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    buyer_note: str | None = None
    merchant_note: str | None = None
    cancel_reason: str | None = None
    after_sale_status: str | None = None
    order_type: str | None = None
    carrier: str | None = None
    tracking_no: str | None = None
    platform_status_code: int | None = None
    # Export files name a parcel on the SKU rows it holds: SKU order id → the numbers on its row. None when the
    # source does not say (the platform API, the demo); the parcel then covers the order as a whole.
    item_tracking: dict[str, tuple[str, ...]] | None = None

    @property
    def platform_code(self) -> int:
        return self.platform_status_code or PLATFORM_CODE[self.status]


def tracking_numbers(cell: str | None) -> tuple[str, ...]:
    """The parcels' numbers in a 快递单号 cell or an OrderRecord's tracking_no: comma-separated (ASCII or full-width
    comma), blanks dropped, each once, in the order written."""
    return tuple(dict.fromkeys(n.strip() for n in (cell or "").replace("，", ",").split(",") if n.strip()))


def check_filter_date(field_name: str, value):
    """Returns the date if it is a plausible order date, else raises ValidationFailed naming the field."""
    from ..errors import ValidationFailed

    if value is not None and not plausible_date(value):
        raise ValidationFailed(f"{field_name}: the date must be between {FILTER_YEARS[0]} and {FILTER_YEARS[1]}",
                               details={"field": field_name})
    return value
