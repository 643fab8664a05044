"""A small, fully known shop for the page tests: every status, a tracking number, after-sales, shared phones.

The expectations (counts per tab, who matches which search) are computed from the same list, so a test
states a rule about the page rather than a magic number.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Product

from ..conftest import NOW
from ..factories import make_record

PRODUCTS = [
    ("3512000000000000101", "五常大米 稻花香2号 5kg", "5kg", 8990),
    ("3512000000000000102", "有机黄小米 2袋装", "2袋装", 3900),
    ("3512000000000000103", "东北大米 珍珠米 10斤", "10斤", 4590),
    ("3512000000000000104", "iPhone 15 壳 透明防摔", "透明", 1990),
    ("3512000000000000105", "非转基因 菜籽油 5L", "5L", 6800),
    ("3512000000000000106", "西湖龙井 明前茶叶 250g", "250g", 12800),
]
ENGLISH_NAMES = {"3512000000000000101": "Wuchang rice 5kg", "3512000000000000102": "Organic millet, 2 bags",
                 "3512000000000000103": "Northeast pearl rice 10 jin", "3512000000000000104": "iPhone 15 case",
                 "3512000000000000105": "Rapeseed oil 5L", "3512000000000000106": "West Lake Longjing tea 250g"}
STATUS_CYCLE = [
    OrderStatus.AWAITING_SHIPMENT, OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.UNPAID,
    OrderStatus.AWAITING_SHIPMENT, OrderStatus.CANCELLED, OrderStatus.PAID_PENDING, OrderStatus.PARTIALLY_SHIPPED,
    OrderStatus.COMPLETED,
]
ORDER_COUNT = 75
SHARED_PHONE = "13800138000"  # two orders share it: a repeat buyer
SHARED_PHONE_ORDERS = ("6938459704022656003", "6938459704022656010")
TRACKED_ORDER = "6938459704022656001"
TRACKING_NO = "SF1234567890123"
NOTE_ORDER = "6938459704022656074"  # the note-editing test changes this one; nothing else relies on its note
AFTER_SALE_ORDERS = ("6938459704022656002", "6938459704022656011")


def order_id(index: int) -> str:
    return f"69384597040226560{index:02d}"


def build_records():
    records = []
    for index in range(ORDER_COUNT):
        oid = order_id(index)
        pid, name, spec, price = PRODUCTS[index % len(PRODUCTS)]
        status = STATUS_CYCLE[index % len(STATUS_CYCLE)]
        extra = {}
        if oid == TRACKED_ORDER:
            status = OrderStatus.SHIPPED
            extra.update(carrier="顺丰速运", tracking_no=TRACKING_NO, shipped_at=NOW - timedelta(days=1))
        if oid in AFTER_SALE_ORDERS:
            status = OrderStatus.COMPLETED
            extra["after_sale_status"] = "退款中"
        if status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED) and "shipped_at" not in extra:
            extra["shipped_at"] = NOW - timedelta(days=index % 20, hours=1)
        if status == OrderStatus.COMPLETED:
            extra["completed_at"] = NOW - timedelta(hours=5)
        if status == OrderStatus.CANCELLED:
            extra["cancelled_at"] = NOW - timedelta(days=index % 20)
        if status in (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPED):
            # some overdue, some due within 24 h, some comfortable: the countdown shows all three
            extra["ship_by"] = NOW + timedelta(hours=(index % 5) * 20 - 30)
        phone = SHARED_PHONE if oid in SHARED_PHONE_ORDERS else f"139{index:08d}"
        items = [ItemRecord(sku_order_id=oid, product_name=name, spec=spec, quantity=1 + index % 3,
                            unit_price_fen=price, product_id=pid)]
        records.append(make_record(order_id=oid, status=status, created_at=NOW - timedelta(days=index % 30, hours=index),
                                   items=items, phone=phone, buyer_name="张三丰" if index % 2 else "李小龙",
                                   buyer_note="请发顺丰，谢谢" if index % 7 == 0 else None, **extra))
    return records


RECORDS = build_records()


def seed(ctx, shop_id: int) -> None:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=RECORDS, cipher=ctx.cipher, now=NOW)
        # The import made the catalogue from the orders' titles (orders.catalogue); the merchant gave English names.
        for product in session.execute(select(Product).where(Product.shop_id == shop_id)).scalars():
            product.name_en = ENGLISH_NAMES[product.product_id]


def expected_counts() -> dict[str, int]:
    by_status = Counter(r.status.value for r in RECORDS)
    counts = dict(by_status)
    counts["all"] = len(RECORDS)
    counts["after_sale"] = sum(1 for r in RECORDS if r.after_sale_status)
    return counts


def ids_where(predicate) -> set[str]:
    return {r.order_id for r in RECORDS if predicate(r)}


def ids_with_text(text: str) -> set[str]:
    return ids_where(lambda r: all(term in r.items[0].product_name for term in text.split()))
