"""QA pass 6, #3: the products an imported or synced order names become the shop's catalogue (insert-if-missing per
shop and product id), so a merchant who starts from an export file gets a working inquiry assistant, 商品 filter and
per-product ship promise; a name the merchant or the demo gave is never overwritten."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from xiaodian.channels.exportfile.service import import_order_file
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Product

from ..conftest import NOW, SAMPLES
from ..factories import make_record

SAMPLE = SAMPLES / "douyin_orders_export.csv"


def _item(sku: str, pid: str | None, title: str) -> ItemRecord:
    return ItemRecord(sku_order_id=sku, product_name=title, quantity=1, unit_price_fen=100, product_id=pid)


def _products(ctx, shop_id) -> dict[str, tuple]:
    with transaction(ctx.sessions) as session:
        return {p.product_id: (p.name, p.name_en, p.aliases) for p in session.execute(
            select(Product).where(Product.shop_id == shop_id)).scalars()}


def test_an_import_adds_each_named_product_once_and_skips_items_without_a_product_id(ctx, shop_id):
    records = [make_record(order_id="6938000000000000001", items=[
                   _item("6938000000000000001", "p-rice", "【新米】五常大米 5kg"),
                   _item("6938000000000000101", None, "赠品 小袋装")]),
               make_record(order_id="6938000000000000002",
                           items=[_item("6938000000000000002", "p-rice", "五常大米 改名")]),
               make_record(order_id="6938000000000000003", items=[_item("6938000000000000003", "p-oil", "花生油 5L")])]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    assert _products(ctx, shop_id) == {"p-rice": ("【新米】五常大米 5kg", None, None),
                                       "p-oil": ("花生油 5L", None, None)}
    with transaction(ctx.sessions) as session:  # the same orders again, and a new one with a known product
        upsert_orders(session, shop_id=shop_id, records=[*records, make_record(
            order_id="6938000000000000004", items=[_item("6938000000000000004", "p-oil", "花生油 新标题")])],
            cipher=ctx.cipher, now=NOW)
        assert session.execute(select(func.count()).select_from(Product)).scalar_one() == 2


def test_a_product_the_shop_already_has_keeps_its_names_and_promise(ctx, shop_id):
    aliases = json.dumps(["五常大米", "Wuchang rice"], ensure_ascii=False)
    with transaction(ctx.sessions) as session:
        session.add(Product(shop_id=shop_id, product_id="p-rice", name="正宗五常大米", name_en="Wuchang rice",
                            aliases=aliases, ship_promise="next_day", created_at=NOW))
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id="6938000000000000001", items=[_item("6938000000000000001", "p-rice", "导出里的另一个标题")])])
        promise = session.execute(select(Product.ship_promise)).scalar_one()
    assert _products(ctx, shop_id) == {"p-rice": ("正宗五常大米", "Wuchang rice", aliases)} and promise == "next_day"


def test_a_rejected_record_adds_no_product(ctx, shop_id):
    paid = make_record(order_id="6938000000000000001", status=OrderStatus.AWAITING_SHIPMENT,
                       items=[_item("6938000000000000001", "p-rice", "五常大米")])
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=[paid], cipher=ctx.cipher, now=NOW)
    # another order claiming the same SKU order id is rejected: its product must not appear
    clash = make_record(order_id="6938000000000000002", items=[_item("6938000000000000001", "p-tea", "龙井茶叶")])
    with transaction(ctx.sessions) as session:
        result = upsert_orders(session, shop_id=shop_id, records=[clash], cipher=ctx.cipher, now=NOW)
    assert [r.code for r in result.rejected] == ["sku_order_id_conflict"]
    assert set(_products(ctx, shop_id)) == {"p-rice"}


def test_the_sample_export_fills_the_catalogue(ctx, shop_id):
    import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLE, cipher=ctx.cipher, now=NOW)
    products = _products(ctx, shop_id)
    assert products["3512000000000000101"][0] == "【新米】五常大米 稻花香2号 5kg 真空装"
    assert products["3512000000000000104"][0] == "压榨一级花生油 5L"
    assert len(products) == 5
