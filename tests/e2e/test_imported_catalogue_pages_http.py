"""A desk filled only from the sample order export (QA pass 6): the products it names are in the order list's 商品
filter and under 商品发货时效 for a promise (#3), and the 客服工作台's diagnosis heading shows the Chinese label
without the machine code (#16; the code stays as a data attribute)."""

from __future__ import annotations

import re

from xiaodian.channels.exportfile.service import import_order_file

from ..conftest import NOW, SAMPLES, csrf_of

TITLES = ("【新米】五常大米 稻花香2号 5kg 真空装", "东北长粒香大米 10斤 家庭装", "有机黄小米 小黄米 2袋装 1kg",
          "压榨一级花生油 5L", "高筋小麦粉 面包粉 5斤")


def _import(ctx, shop_id):
    import_order_file(ctx.sessions, shop_id=shop_id, path=SAMPLES / "douyin_orders_export.csv", cipher=ctx.cipher,
                      now=NOW)


def test_the_imported_products_are_in_the_product_filter_and_the_promise_list(ctx, shop_id, owner_client):
    _import(ctx, shop_id)
    orders = owner_client.get("/orders").text
    select = re.search(r'<select[^>]*name="product_id".*?</select>', orders, re.S).group(0)
    assert all(title in select for title in TITLES) and 'value="3512000000000000104"' in select
    forecast = owner_client.get("/shipping/forecast").text
    promises = forecast[forecast.index('id="products"'):]
    assert all(title in promises for title in TITLES)
    assert "/shipping/products/3512000000000000101/promise" in promises


def test_the_diagnosis_heading_shows_no_machine_code(ctx, shop_id, owner_client):
    _import(ctx, shop_id)
    form = {"message": "我这个月20号拍了2份五常大米，怎么还没发货", "phone": "5601",
            "csrf_token": csrf_of(owner_client, "/inquiries")}
    page = owner_client.post("/inquiries", data=form).text
    heading = re.search(r'<p class="inq-code"[^>]*>.*?</p>', page, re.S).group(0)
    assert 'data-code="found_awaiting_shipment"' in heading
    assert "found_awaiting_shipment</" not in heading and "<code>" not in heading
