"""Platform order (order.searchList / order.orderDetail) → the desk's OrderRecord. Pure: the orders domain only.

Status from ``order_status`` through the desk's one code table (domain.md §1); amounts stay fen; Unix seconds
become tz-aware UTC; ``exp_ship_time`` is the platform's own ship-by (stored with source ``platform``). Buyer
fields: the plaintext copies when the platform gave them (they are encrypted before storage by the intake),
otherwise the masked copies, which keep last-4 search working.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ...orders.domain import STATUS_BY_CODE, ItemRecord, OrderRecord, OrderStatus

# Fields an order.searchList row must carry for the desk to take it without asking order.orderDetail.
NEEDED_FIELDS = ("order_id", "order_status", "create_time", "pay_amount", "sku_order_list", "post_addr")


class MappingError(ValueError):
    """The platform sent an order the desk cannot read; ``field`` names what was wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def needs_detail(row: dict) -> bool:
    return any(row.get(name) in (None, "") for name in NEEDED_FIELDS)


def _time(value) -> datetime | None:
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


MAX_FEN = 10 ** 15  # far above any real order; the desk's amount columns hold 64-bit integers
MAX_COUNT = 2 ** 31 - 1  # item_num: the quantity column's range
# The desk's columns' sizes (orders.models): a longer value is refused naming its field, never cut or left to the
# database to refuse (which would take the whole page of a sync with it).
MAX_LENGTH = {"order_id": 32, "sku_order_list.order_id": 32, "sku_order_list.product_id": 32,
              "sku_order_list.product_name": 300, "sku_order_list.spec": 100, "sku_order_list.code": 64,
              "post_addr.province": 30, "post_addr.city": 30, "post_addr.town": 30, "cancel_reason": 200}


def _fen(value, field: str) -> int:
    try:
        amount = int(value or 0)
    except (TypeError, ValueError):
        raise MappingError(field, f"not an amount in fen: {value!r}") from None
    if abs(amount) > MAX_FEN:
        raise MappingError(field, f"amount out of range: {value!r}")
    return amount


def _fits(value, field: str):
    if value is not None and len(str(value)) > MAX_LENGTH[field]:
        raise MappingError(field, f"longer than {MAX_LENGTH[field]} characters")
    return value


def _name(part) -> str | None:
    if isinstance(part, dict):
        return part.get("name") or None
    return part or None


def _spec(value) -> str | None:
    if isinstance(value, list):
        text = " ".join(str(s.get("value") or "") for s in value if isinstance(s, dict)).strip()
        return text or None
    return str(value) if value else None


def _count(value, field: str) -> int:
    try:
        count = int(value or 0)
    except (TypeError, ValueError):
        raise MappingError(field, f"not a whole number: {value!r}") from None
    if not 0 <= count <= MAX_COUNT:
        raise MappingError(field, f"out of range: {value!r}")
    return count


def _objects(value, field: str) -> list[dict]:
    """A list of JSON objects (sku_order_list, logistics_info); anything else names the field."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise MappingError(field, "not a list of objects")
    return value


def _items(order: dict) -> list[ItemRecord]:
    items = []
    for sku in _objects(order.get("sku_order_list"), "sku_order_list"):
        after = sku.get("after_sale_info") or {}
        if not isinstance(after, dict):
            raise MappingError("sku_order_list.after_sale_info", "not an object")
        for name in ("order_id", "product_id", "product_name", "spec", "code"):
            _fits(_spec(sku.get(name)) if name == "spec" else sku.get(name), f"sku_order_list.{name}")
        items.append(ItemRecord(
            sku_order_id=str(sku.get("order_id") or ""), product_name=str(sku.get("product_name") or ""),
            quantity=_count(sku.get("item_num"), "sku_order_list.item_num"),
            unit_price_fen=_fen(sku.get("origin_amount"), "sku_order_list.origin_amount"),
            product_id=str(sku["product_id"]) if sku.get("product_id") else None,
            merchant_code=sku.get("code") or sku.get("out_sku_id") or None, spec=_spec(sku.get("spec")),
            amount_fen=(_fen(sku.get("sum_amount"), "sku_order_list.sum_amount")
                        if sku.get("sum_amount") is not None else None),
            after_sale_status=str(after["after_sale_status"]) if after.get("after_sale_status") else None))
    if any(not i.sku_order_id for i in items):
        raise MappingError("sku_order_list", "an SKU order has no order_id")
    return items


def to_record(order: dict) -> OrderRecord:
    """Raises MappingError naming the field when the order cannot be read (never another exception: one malformed
    order must be set aside by the caller, not stop the push inbox or the sync)."""
    if not isinstance(order, dict):
        raise MappingError("shop_order_detail", "not an object")
    try:
        return _to_record(order)
    except MappingError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a shape no check above foresaw
        raise MappingError("order", f"unreadable ({type(exc).__name__}: {exc})"[:200]) from None


def _to_record(order: dict) -> OrderRecord:
    order_id = str(order.get("order_id") or "").strip()
    if not order_id.isdigit() or len(order_id) > MAX_LENGTH["order_id"]:
        raise MappingError("order_id", f"not a platform order id: {order.get('order_id')!r}")
    try:
        code = int(order.get("order_status"))
    except (TypeError, ValueError):
        raise MappingError("order_status", f"not a status code: {order.get('order_status')!r}") from None
    status = STATUS_BY_CODE.get(code)
    if status is None:
        raise MappingError("order_status", f"unknown status code {code}")
    created = _time(order.get("create_time"))
    if created is None:
        raise MappingError("create_time", "missing")
    addr = order.get("post_addr") or {}
    if isinstance(addr, dict):
        for part in ("province", "city", "town"):
            _fits(_name(addr.get(part)), f"post_addr.{part}")
    _fits(order.get("cancel_reason") or None, "cancel_reason")
    logistics = [x for x in _objects(order.get("logistics_info"), "logistics_info") if x.get("tracking_no")]
    shipped_at = _time(order.get("ship_time")) or (_time(logistics[0].get("ship_time")) if logistics else None)
    finish = _time(order.get("finish_time"))
    paid = _time(order.get("pay_time")) if status != OrderStatus.UNPAID else None
    return OrderRecord(
        order_id=order_id, status=status, platform_status_code=code, created_at=created,
        pay_amount_fen=_fen(order.get("pay_amount"), "pay_amount"),
        post_amount_fen=_fen(order.get("post_amount"), "post_amount"),
        items=_items(order), paid_at=paid,
        ship_by=_time(order.get("exp_ship_time")) if status not in (OrderStatus.UNPAID,) else None,
        shipped_at=shipped_at if status in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED,
                                            OrderStatus.COMPLETED) else None,
        completed_at=finish if status == OrderStatus.COMPLETED else None,
        cancelled_at=finish if status == OrderStatus.CANCELLED else None,
        buyer_name=order.get("post_receiver") or order.get("mask_post_receiver") or None,
        buyer_phone=order.get("post_tel") or order.get("mask_post_tel") or None,
        address=(addr.get("detail") if isinstance(addr, dict) else None) or None,
        province=_name(addr.get("province")) if isinstance(addr, dict) else None,
        city=_name(addr.get("city")) if isinstance(addr, dict) else None,
        district=_name(addr.get("town")) if isinstance(addr, dict) else None,
        buyer_note=order.get("buyer_words") or None, merchant_note=order.get("seller_words") or None,
        cancel_reason=order.get("cancel_reason") or None,
        carrier=(logistics[0].get("company_name") or logistics[0].get("company")) if logistics else None,
        tracking_no=",".join(str(x["tracking_no"]) for x in logistics) or None,
    )
