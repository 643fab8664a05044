"""待发货 is every order with items still to ship, 部分发货 included (domain.md §1: a partly shipped order still owes a
parcel by its ship-by). QA #4: partly shipped orders were in 24h需发货 and 超时未发货 but not in 待发货, its count
(the home card, the tab) or its bulk-ship template, so the counts did not nest and the forecast planned 170 orders
where the tab said 164. Here the view, its count (kept by the status counters), the template and the forecast agree,
and 24h需发货 and 超时未发货 are parts of 待发货."""

from __future__ import annotations

from datetime import timedelta

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter
from xiaodian.orders import service as orders_service
from xiaodian.shipping import reports, service, template
from xiaodian.shipping.listing import view_page
from xiaodian.shipping.queries import view_counts, view_total

from ..conftest import NOW
from ..factories import make_record

OWNER = Principal(None, "owner", "owner", "cli")


def oid(i: int) -> str:
    return f"69384597040226590{i:02d}"


def _seed(ctx, shop_id) -> str:
    """Awaiting orders due in 2 h, 30 h and overdue; one partly shipped on import, overdue; one with two items of
    which the desk ships one (partly shipped by the desk, due in 5 h); one shipped."""
    two = [ItemRecord(sku_order_id=oid(90), product_name="高筋小麦粉", quantity=1, unit_price_fen=3000),
           ItemRecord(sku_order_id=oid(91), product_name="东北胚芽米", quantity=1, unit_price_fen=6000)]
    records = [make_record(oid(1), ship_by=NOW + timedelta(hours=2)),
               make_record(oid(2), ship_by=NOW + timedelta(hours=30)),
               make_record(oid(3), ship_by=NOW - timedelta(hours=1)),
               make_record(oid(4), status=OrderStatus.PARTIALLY_SHIPPED, ship_by=NOW - timedelta(hours=3),
                           shipped_at=NOW - timedelta(days=1), tracking_no="SF1234567890111"),
               make_record(oid(5), items=two, ship_by=NOW + timedelta(hours=5)),
               make_record(oid(6), status=OrderStatus.SHIPPED, ship_by=NOW + timedelta(hours=3),
                           shipped_at=NOW - timedelta(hours=1), tracking_no="SF1234567890112")]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=records)
    with transaction(ctx.sessions) as session:
        service.ship_order(session, shop_id=shop_id, principal=OWNER, now=NOW,
                           req=service.ShipRequest(oid(5), "shunfeng", "SF5550000000001", items=[oid(90)]))
    return oid(5)


def _ids(session, shop_id, view) -> set[str]:
    return {o.order_id for o in view_page(session, shop_id, view, NOW, 1, 100).orders}


def test_awaiting_holds_every_order_with_items_still_to_ship_and_the_other_views_nest(ctx, shop_id):
    _seed(ctx, shop_id)
    expected = {oid(1), oid(2), oid(3), oid(4), oid(5)}
    with ctx.sessions() as session:
        awaiting, due, overdue = (_ids(session, shop_id, v) for v in ("awaiting", "due24h", "overdue"))
        counts = view_counts(session, shop_id, NOW)
        assert awaiting == expected
        assert due == {oid(1), oid(5)} and overdue == {oid(3), oid(4)}
        assert due <= awaiting and overdue <= awaiting
        assert counts["awaiting"] == view_total(session, shop_id, "awaiting", NOW) == len(expected)
        assert reports.forecast_report(session, shop_id, NOW)["awaiting"] == counts["awaiting"]
        searched = orders_service.list_data(session, shop_id=shop_id, cipher=ctx.cipher, flt=OrderFilter(
            view="awaiting", now=NOW, page=1, page_size=50)).model()
        assert {o.order_id for o in searched.orders} == expected and searched.total == len(expected)
        _data, rows = template.bulk_template(session, shop_id, "awaiting", NOW, cipher=ctx.cipher)
        assert rows == len(expected)


def test_the_awaiting_count_follows_an_order_through_partial_and_full_shipment(ctx, shop_id):
    partial = _seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        service.ship_order(session, shop_id=shop_id, principal=OWNER, now=NOW,
                           req=service.ShipRequest(partial, "shunfeng", "SF5550000000002"))
    with ctx.sessions() as session:
        assert partial not in _ids(session, shop_id, "awaiting")
        assert view_counts(session, shop_id, NOW)["awaiting"] == view_total(session, shop_id, "awaiting", NOW) == 4
