"""The pick list says what to pick: each order's items still to ship (a partly shipped order's parcel already left),
and the totals per product and spec; page, API and report agree (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders import service as orders_service
from xiaodian.orders.domain import ItemRecord
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import reports, service

from ..conftest import NOW, login
from ..factories import make_record

H = timedelta(hours=1)
CLERK = Principal(None, "warehouse", "warehouse", "web")
OWNER = Principal(None, "owner", "owner", "web")


def _items(order_id: str, *lines) -> list[ItemRecord]:
    return [ItemRecord(sku_order_id=f"{order_id[:-2]}{n:02d}", product_name=name, spec=spec, quantity=qty,
                       unit_price_fen=1000, product_id=f"35120000000000001{n:02d}", merchant_code=code,
                       after_sale_status=after_sale)
            for n, (name, spec, qty, code, after_sale) in enumerate(lines, start=11)]


def _shop(ctx, shop_id) -> None:
    partly = "6938459704022600100"
    records = [
        make_record("6938459704022600000", ship_by=NOW + 2 * H, items=_items(
            "6938459704022600000", ("五常大米 稻花香2号", "5kg", 2, "WC-5", None), ("有机小米", None, 1, None, None))),
        make_record(partly, ship_by=NOW + 3 * H, items=_items(
            partly, ("五常大米 稻花香2号", "5kg", 1, "WC-5", None), ("东北黑木耳", "250g", 4, None, "退款中"))),
        make_record("6938459704022600200", ship_by=NOW + 5 * H, buyer_note="送人的，不要放价格单", items=_items(
            "6938459704022600200", ("五常大米 稻花香2号", "5kg", 1, "WC-5", None))),
    ]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    with transaction(ctx.sessions) as session:  # the rice of the second order has left in a parcel
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW - H,
                           req=service.ShipRequest(partly, "zhongtong", "73123456789012", [partly[:-2] + "11"]))
        orders_service.update_merchant_note(session, OWNER, shop_id=shop_id, order_id="6938459704022600200",
                                            note="加送一包小米 <b>试吃</b>", flag_colour=6, now=NOW)


def test_each_order_lists_what_is_left_to_pack_and_the_totals_add_it_up(ctx, shop_id):
    _shop(ctx, shop_id)
    with ctx.sessions() as session:
        data = reports.forecast_report(session, shop_id, NOW)
    rows = {p["order_id"]: [(i["product_name"], i["spec"], i["quantity"], i["after_sale_status"]) for i in p["items"]]
            for p in data["pick_list"]}
    assert [p["order_id"] for p in data["pick_list"]] == ["6938459704022600000", "6938459704022600100",
                                                          "6938459704022600200"]
    assert rows["6938459704022600000"] == [("五常大米 稻花香2号", "5kg", 2, None), ("有机小米", None, 1, None)]
    assert rows["6938459704022600100"] == [("东北黑木耳", "250g", 4, "退款中")]  # the rice already shipped
    totals = [(t["product_name"], t["spec"], t["merchant_code"], t["quantity"], t["orders"])
              for t in data["pick_totals"]]
    assert totals == [("东北黑木耳", "250g", None, 4, 1), ("五常大米 稻花香2号", "5kg", "WC-5", 3, 2),
                      ("有机小米", None, None, 1, 1)]


def test_the_page_and_the_api_show_the_items_and_totals(app, users, ctx, shop_id):
    _shop(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        api = client.get("/api/v1/forecast").json()
        html = client.get("/shipping/picklist").text
    assert [t["quantity"] for t in api["pick_totals"]] == [4, 3, 1]
    assert api["pick_list"][1]["items"][0]["after_sale_status"] == "退款中"
    assert "拣货汇总" in html and "待打包商品" in html and "售后：退款中" in html
    totals = html.split("拣货汇总", 1)[1].split("订单（按打包顺序）", 1)[0]
    assert "五常大米 稻花香2号" in totals and "WC-5" in totals
    orders = html.split("订单（按打包顺序）", 1)[1]
    assert orders.index("6938459704022600000") < orders.index("有机小米") < orders.index("6938459704022600100")


def test_whoever_packs_reads_the_buyer_note_and_the_merchant_note(app, users, ctx, shop_id):
    """买家留言 and 商家备注 (with its flag) on the pick list, the deadline view, the home page and the ship form,
    escaped; in the report and the API too."""
    _shop(ctx, shop_id)
    with ctx.sessions() as session:
        rows = {p["order_id"]: p for p in reports.forecast_report(session, shop_id, NOW)["pick_list"]}
    noted = rows["6938459704022600200"]
    assert (noted["buyer_note"], noted["merchant_note"], noted["flag_colour"]) == (
        "送人的，不要放价格单", "加送一包小米 <b>试吃</b>", 6)
    assert (rows["6938459704022600000"]["buyer_note"], rows["6938459704022600000"]["flag_colour"]) == (None, 0)
    with TestClient(app) as client:
        login(client, "warehouse")
        assert client.get("/api/v1/forecast").json()["pick_list"][2]["merchant_note"] == "加送一包小米 <b>试吃</b>"
        pages = {path: client.get(path).text for path in (
            "/shipping/picklist", "/shipping?view=awaiting", "/shipping?view=awaiting&q=五常", "/",
            "/shipping/orders/6938459704022600200/ship")}
    for path, html in pages.items():
        assert "送人的，不要放价格单" in html, path
        assert "加送一包小米 &lt;b&gt;试吃&lt;/b&gt;" in html and "<b>试吃</b>" not in html, path
        assert 'class="flag flag-red"' in html, path


def test_a_flag_without_a_note_is_shown_too(app, users, ctx, shop_id):
    """A flag alone is the service desk's signal (e.g. cyan = 加急): it shows where the order is packed."""
    _shop(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        orders_service.update_merchant_note(session, OWNER, shop_id=shop_id, order_id="6938459704022600000",
                                            note="", flag_colour=3, now=NOW)
    with TestClient(app) as client:
        login(client, "warehouse")
        for path in ("/shipping?view=awaiting", "/shipping/picklist", "/shipping/orders/6938459704022600000/ship"):
            row = client.get(path).text.split("6938459704022600000", 1)[1].split("</tr>", 1)[0]
            assert 'class="flag flag-cyan"' in row, path

