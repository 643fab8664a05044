"""Building the demo shop into a real database (SQLite and PostgreSQL) through the normal intake path."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from xiaodian.demo.catalogue import PRODUCTS, WUCHANG
from xiaodian.demo.generator import generate_shop
from xiaodian.demo.shop import build_demo_shop
from xiaodian.orders.models import Order, OrderEvent, Product, Shipment
from xiaodian.orders.queries import OrderFilter, search_orders

from ..conftest import NOW

N = 500


def _search(ctx, shop_id, query, **kw):
    with ctx.sessions() as session:
        total, rows = search_orders(session, shop_id, OrderFilter(query=query, **kw), ctx.cipher)
        return total, [r.order_id for r in rows]


def test_demo_build_writes_products_orders_and_a_matching_summary(ctx, shop_id):
    summary = build_demo_shop(ctx, orders=N, progress=False)
    assert summary["orders"] == summary["created"] == N and summary["rejected"] == 0
    assert summary["products"] == len(PRODUCTS) and summary["question_day"] == "2026-11-20"
    with ctx.sessions() as session:
        products = session.execute(select(Product).where(Product.shop_id == shop_id)).scalars().all()
        by_status = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        flagged = session.execute(select(func.count()).where(Order.flag_colour > 0)).scalar_one()
        sources = set(session.execute(select(OrderEvent.source).distinct()).scalars())
        shipments = session.execute(select(func.count()).select_from(Shipment)).scalar_one()
    assert len(products) == len(PRODUCTS)
    assert all(p.name_en and json.loads(p.aliases) and p.ship_promise for p in products)
    wuchang = next(p for p in products if p.product_id == WUCHANG)
    assert wuchang.name_en == "Wuchang rice" and {"五常大米", "wuchang dami"} <= set(json.loads(wuchang.aliases))
    assert by_status == {k: v for k, v in summary["by_status"].items() if v}
    assert flagged == summary["flagged"] > 0 and sources == {"demo"} and shipments > N / 2


def test_demo_orders_are_searchable_by_product_phone_last4_id_and_tracking(ctx, shop_id):
    summary = build_demo_shop(ctx, orders=N, progress=False)
    records = generate_shop(NOW, orders=N).orders  # the same shop, as pure data
    expected = sum(1 for r in records if any("五常" in i.product_name for i in r.items))
    total, _ = _search(ctx, shop_id, "五常")
    assert total == expected > 5
    total, _ = _search(ctx, shop_id, "Wuchang")  # English lives in the Product table, not in titles
    assert total == 0

    asked = next(s for s in summary["scenarios"] if s["label"] == "question_awaiting_within_promise")
    total, ids = _search(ctx, shop_id, asked["buyer_phone"])
    assert asked["order_id"] in ids and total == sum(1 for r in records if r.buyer_phone == asked["buyer_phone"])
    total, ids = _search(ctx, shop_id, asked["buyer_phone"][-4:])
    assert asked["order_id"] in ids
    assert _search(ctx, shop_id, asked["order_id"])[1] == [asked["order_id"]]

    shipped = next(r for r in records if r.tracking_no and "," not in r.tracking_no)
    assert _search(ctx, shop_id, shipped.tracking_no)[1] == [shipped.order_id]


def test_rebuilding_the_same_demo_changes_nothing(ctx, shop_id):
    first = build_demo_shop(ctx, orders=N, progress=False)
    again = build_demo_shop(ctx, orders=N, progress=False)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, N)
    assert again["by_status"] == first["by_status"]
    with ctx.sessions() as session:
        assert session.execute(select(func.count()).select_from(Order)).scalar_one() == N
        assert session.execute(select(func.count()).select_from(Product)).scalar_one() == len(PRODUCTS)


def test_demo_times_come_back_as_utc_instants(ctx, shop_id):
    build_demo_shop(ctx, orders=N, progress=False)
    records = {r.order_id: r for r in generate_shop(NOW, orders=N).orders}
    with ctx.sessions() as session:
        rows = session.execute(select(Order)).scalars().all()
    statuses = Counter()
    for row in rows:
        record = records[row.order_id]
        statuses[row.status] += 1
        assert row.created_at == record.created_at and row.paid_at == record.paid_at
        assert row.ship_by == record.ship_by and row.pay_amount_fen == record.pay_amount_fen
    assert len(statuses) == 7


def test_demo_address_changes_keep_the_platforms_six_hour_window(ctx, shop_id):
    """A buyer may change the address only within 6 hours of the order entering 备货中 (ui.md): the demo's changed
    orders must be ones a buyer could have changed, still to ship, with the change on the timeline."""
    build_demo_shop(ctx, orders=N, progress=False)
    with ctx.sessions() as session:
        changed = session.execute(select(Order).where(Order.shop_id == shop_id,
                                                      Order.address_changed_at.is_not(None))).scalars().all()
        assert len(changed) == 3
        for order in changed:
            assert order.status == "awaiting_shipment"
            assert timedelta(0) < order.address_changed_at - order.paid_at <= timedelta(hours=6), order.order_id
            kinds = set(session.execute(select(OrderEvent.kind).where(OrderEvent.order_pk == order.id)).scalars())
            assert "address_changed" in kinds


def test_a_part_shipped_demo_order_says_which_items_its_parcel_holds(ctx, shop_id):
    """QA pass 9, #1: the demo's 部分发货 orders had parcels tied to no item, so the ship form and the pick list
    offered every item again. Each shipped SKU row now names its parcel, as the platform's export does."""
    from xiaodian.orders.models import OrderItem
    from xiaodian.shipping.models import ShipmentItem
    from xiaodian.shipping.service import shipped_skus

    build_demo_shop(ctx, orders=N, progress=False)
    with ctx.sessions() as session:
        partial = session.execute(select(Order).where(Order.shop_id == shop_id,
                                                      Order.status == "partially_shipped")).scalars().all()
        assert partial
        for order in partial:
            skus = set(session.execute(select(OrderItem.sku_order_id)
                                       .where(OrderItem.order_pk == order.id)).scalars())
            shipped = shipped_skus(session, order.id)
            assert shipped and shipped < skus, order.order_id  # some, not all, of its items went
        linked = session.execute(select(func.count(func.distinct(ShipmentItem.order_pk)))).scalar_one()
        with_parcels = session.execute(select(func.count(func.distinct(Shipment.order_pk)))
                                       .where(Shipment.kind == "order")).scalar_one()
    assert linked == with_parcels  # every shipped order's parcel says what it holds
