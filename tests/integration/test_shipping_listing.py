"""The deadline views' lean read path (shipping.listing) says exactly what the order list and the ORM builder
(orders.schemas.order_out) say: the same ORDER JSON, field for field, page by page, in both languages, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.logistics.ingest import Scan, find_parcels, record_scans
from xiaodian.orders import service as orders_service
from xiaodian.orders.domain import ItemRecord
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter
from xiaodian.shipping import listing, service
from xiaodian.shipping.jobs import scan_shop
from xiaodian.web.i18n import current_language

from ..conftest import NOW
from ..factories import make_record

H = timedelta(hours=1)
CLERK = Principal(None, "warehouse", "warehouse", "web")
OWNER = Principal(None, "owner", "owner", "web")


def _fixture(ctx, shop_id) -> None:
    records = []
    for i in range(30):  # more than one page of 20 in every view
        records.append(make_record(f"69384597040226{i:05d}", ship_by=NOW + (i - 8) * H + timedelta(minutes=7 * i),
                                   buyer_note="尽快发货" if i % 3 == 0 else None))
    records.append(make_record("6938459704022699001", items=[
        ItemRecord(sku_order_id="6938459704022699011", product_name="五常大米 稻花香2号", spec="5kg", quantity=2,
                   unit_price_fen=8990, product_id="3512000000000000101"),
        ItemRecord(sku_order_id="6938459704022699012", product_name="小米 黄小米 <b>新米</b>", spec=None, quantity=1,
                   unit_price_fen=2590, product_id="3512000000000000102")], ship_by=NOW + 3 * H))
    records.append(make_record("6938459704022699002", paid_at=NOW - 40 * H))  # ship-by derived from the promise
    records.append(make_record("6938459704022699003", ship_by=NOW - 2 * H, after_sale_status="售后关闭"))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    scan_shop(ctx.sessions, shop_id, NOW, full=True)  # derives ship-by, records overdue violations
    with transaction(ctx.sessions) as session:  # partly shipped, with a parcel that has been picked up
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW - 30 * timedelta(minutes=1),
                           req=service.ShipRequest("6938459704022699001", "zhongtong", "73123456789012",
                                                   ["6938459704022699011"]))
        orders_service.update_merchant_note(session, OWNER,
                                            shop_id=shop_id, order_id="6938459704022699001", note="先发大米",
                                            flag_colour=2, now=NOW)
    with transaction(ctx.sessions) as session:
        parcel = find_parcels(session, shop_id, "73123456789012", NOW)[0]
        record_scans(session, parcel, [Scan(NOW - 10 * timedelta(minutes=1), "【五常市】中通快递 已揽收", 1, "五常市")],
                     source="file", now=NOW)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_lean_deadline_list_equals_the_order_list_for_every_view_and_page(ctx, shop_id, lang):
    _fixture(ctx, shop_id)
    token = current_language.set(lang)
    try:
        seen = set()
        for view in ("awaiting", "due24h", "overdue"):
            for page in (1, 2, 3):
                with ctx.sessions() as session:
                    before = orders_service.list_orders(session, shop_id=shop_id, cipher=ctx.cipher, flt=OrderFilter(
                        view=view, now=NOW + 5 * timedelta(minutes=1), page=page, page_size=20)).model_dump()
                    lean = listing.view_page(session, shop_id, view, NOW + 5 * timedelta(minutes=1), page,
                                             20).as_json()
                assert lean == before, (view, page)
                with ctx.sessions() as session:  # and what the ORM builder (orders.schemas.order_out) says
                    for order in lean["orders"]:
                        built = orders_service.order_detail(session, shop_id=shop_id, order_id=order["order_id"],
                                                            now=NOW + 5 * timedelta(minutes=1)).model_dump()
                        assert {k: v for k, v in built.items() if k not in ("events", "shop_id")} == {
                            k: v for k, v in order.items() if k != "shop_id"}, order["order_id"]
                seen.update((o["status"], bool(o["violation"]), bool(o["tracking"]), o["logistics_state"],
                             o["ship_by_source"]) for o in lean["orders"])
    finally:
        current_language.reset(token)
    # The fixture really covers what the JSON can say: a violation, a partial shipment with a picked-up parcel,
    # a derived ship-by, several pages.
    assert ("awaiting_shipment", True, False, None, "platform") in seen
    assert ("partially_shipped", False, True, "picked_up", "platform") in seen
    assert any(source == "promise" for *_rest, source in seen)


def test_the_lean_total_is_the_view_count(ctx, shop_id):
    _fixture(ctx, shop_id)
    from xiaodian.shipping.queries import view_counts

    with ctx.sessions() as session:
        counts = view_counts(session, shop_id, NOW)
        for view in ("awaiting", "due24h", "overdue"):
            assert listing.view_page(session, shop_id, view, NOW).total == counts[view] > 0
        assert listing.view_page(session, shop_id, "due24h", NOW, page=99).orders == []


def test_without_deadlines_an_order_says_the_same_but_the_screen_only_fields(ctx, shop_id):
    """What an export reads (orders_data(deadlines=False)): every field as the list has it, except those only a
    screen shows, which are null."""
    from sqlalchemy import select

    from xiaodian.orders.listing import COLUMNS, orders_data
    from xiaodian.orders.models import Order

    _fixture(ctx, shop_id)
    screen_only = {"ship_by_source", "ship_by_explanation", "overdue", "violation", "logistics_state", "anomaly"}
    with ctx.sessions() as session:
        rows = session.execute(select(*COLUMNS).where(Order.shop_id == shop_id).order_by(Order.sort_key)).all()
        full = orders_data(session, rows, NOW)
        lean = orders_data(session, rows, NOW, deadlines=False)
    assert len(lean) == len(full) == 33
    assert any(o["violation"] for o in full) and any(o["logistics_state"] for o in full)  # something to leave out
    for a, b in zip(full, lean):
        assert all(b[k] is None for k in screen_only)
        assert {k: v for k, v in a.items() if k not in screen_only} == {
            k: v for k, v in b.items() if k not in screen_only}
