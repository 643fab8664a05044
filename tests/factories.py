"""Builders for order snapshots used across tests (plain data, no database)."""

from __future__ import annotations

from datetime import datetime, timedelta

from xiaodian.orders.domain import ItemRecord, OrderRecord, OrderStatus

from .conftest import NOW


def make_record(order_id: str = "6938459704022656025", status: OrderStatus = OrderStatus.AWAITING_SHIPMENT,
                created_at: datetime | None = None, product: str = "五常大米 稻花香2号 5kg", quantity: int = 1,
                unit_price_fen: int = 8990, phone: str | None = "13812345678", **fields) -> OrderRecord:
    created = created_at or NOW - timedelta(days=2)
    paid = fields.pop("paid_at", created + timedelta(minutes=3) if status != OrderStatus.UNPAID else None)
    items = fields.pop("items", None) or [
        ItemRecord(sku_order_id=order_id, product_name=product, quantity=quantity, unit_price_fen=unit_price_fen,
                   product_id="3512000000000000101")
    ]
    return OrderRecord(order_id=order_id, status=status, created_at=created, paid_at=paid,
                       pay_amount_fen=sum(i.amount_fen for i in items), items=items, buyer_phone=phone,
                       buyer_name=fields.pop("buyer_name", "王小明"), address=fields.pop("address", "科苑南路2666号"),
                       province=fields.pop("province", "浙江省"), city=fields.pop("city", "杭州市"),
                       district=fields.pop("district", "西湖区"), **fields)
