"""The idempotent upsert every intake path uses, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent, OrderItem
from xiaodian.orders.queries import OrderFilter, search_orders

from ..conftest import NOW
from ..factories import make_record


def _upsert(ctx, shop_id, records):
    with transaction(ctx.sessions) as session:
        return upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)


def test_same_snapshot_twice_creates_once_then_changes_nothing(ctx, shop_id):
    first = _upsert(ctx, shop_id, [make_record()])
    second = _upsert(ctx, shop_id, [make_record()])
    assert (first.created, first.updated, first.unchanged) == (1, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 1)
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(Order)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(OrderItem)).scalar_one() == 1


def test_later_snapshot_moves_status_forward_and_adds_timeline_events(ctx, shop_id):
    _upsert(ctx, shop_id, [make_record()])
    shipped = make_record(status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(hours=3), carrier="顺丰速运",
                          tracking_no="SF1234567890123")
    result = _upsert(ctx, shop_id, [shipped])
    assert result.updated == 1
    with ctx.sessions() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.status == "shipped"
        kinds = [e.kind for e in session.execute(select(OrderEvent).order_by(OrderEvent.id)).scalars()]
    # the status change dated by the shipping time says it all: no "shipped" event beside it (QA pass 14, #5)
    assert kinds == ["created", "paid", "status_changed", "tracking_added"]


def test_older_snapshot_cannot_move_a_shipped_order_back(ctx, shop_id):
    _upsert(ctx, shop_id, [make_record(status=OrderStatus.SHIPPED, shipped_at=NOW)])
    result = _upsert(ctx, shop_id, [make_record(status=OrderStatus.AWAITING_SHIPMENT)])
    # an older file: skipped and counted unchanged, with a warning, not rejected (QA pass 14, #8)
    assert not result.rejected and result.unchanged == 1
    assert [w.code for w in result.warnings] == ["older_snapshot_skipped"]
    with ctx.sessions() as session:
        assert session.execute(select(Order.status)).scalar_one() == "shipped"


def test_buyer_phone_is_encrypted_at_rest_and_searchable_by_blind_index(ctx, shop_id):
    _upsert(ctx, shop_id, [make_record(phone="13812345678")])
    with ctx.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("select * from orders")) for v in row)
    assert "13812345678" not in dump and "王小明" not in dump
    assert "138****5678" in dump
    with ctx.sessions() as session:
        for query in ("13812345678", "+86 138-1234-5678", "5678"):
            total, rows = search_orders(session, shop_id, OrderFilter(query=query), ctx.cipher)
            assert total == 1, query
        total, _ = search_orders(session, shop_id, OrderFilter(query="13812345679"), ctx.cipher)
        assert total == 0


def test_sku_order_id_owned_by_another_order_is_rejected(ctx, shop_id):
    _upsert(ctx, shop_id, [make_record(order_id="6938459704022656025")])
    other = make_record(order_id="6938459704022656026")
    other.items[0].sku_order_id = "6938459704022656025"
    result = _upsert(ctx, shop_id, [other])
    assert [r.code for r in result.rejected] == ["sku_order_id_conflict"]
