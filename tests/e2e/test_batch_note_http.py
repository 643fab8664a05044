"""批量备注 and the 旗标 filter through the list page and the API: tick orders, flag them and add a note, find them
again by flag; refusals change nothing and say why in the page's language."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

A, B, C = "6938459704022656025", "6938459704022656026", "6938459704022656027"


def _seed(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(order_id=A), make_record(order_id=B), make_record(order_id=C)])


def _api(client, method: str, url: str, body: dict):
    """An API write from the logged-in page session (which needs the page's CSRF token, as the desk's script sends)."""
    return client.request(method, url, json=body, headers={"X-CSRF-Token": csrf_of(client)})


def _batch(client, **form):
    data = {"csrf_token": csrf_of(client), "back": "/orders?tab=awaiting_shipment", **form}
    return client.post("/orders/batch-note", data=data, follow_redirects=False)


def _alert(html: str, kind: str) -> str:
    found = re.search(rf'<p class="alert {kind} batch-[a-z]+" role="[a-z]+">([^<]*)</p>', html)
    return unescape(found.group(1)) if found else ""


def test_ticked_orders_get_the_flag_and_the_note_is_added_to_each_own_note(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    _api(owner_client, "PATCH", f"/api/v1/orders/{A}/note", {"merchant_note": "缺货"})
    done = _batch(owner_client, order_id=[A, B], flag_colour="6", note_mode="append", merchant_note=" 已电话联系 ")
    assert done.status_code == 303
    target = urlsplit(done.headers["location"])
    assert target.path == "/orders" and parse_qs(target.query)["tab"] == ["awaiting_shipment"]
    page = owner_client.get(done.headers["location"])
    assert _alert(page.text, "ok") == "已修改 2 个订单的备注/旗标。"
    notes = {o: owner_client.get(f"/api/v1/orders/{o}").json()["merchant_note"] for o in (A, B, C)}
    assert notes == {A: "缺货；已电话联系", B: "已电话联系", C: None}
    red = owner_client.get("/api/v1/orders", params={"flag": "red"}).json()
    assert sorted(o["order_id"] for o in red["orders"]) == [A, B] and red["total"] == 2
    assert owner_client.get("/api/v1/orders/counts", params={"flag": "red"}).json()["counts"]["awaiting_shipment"] == 2
    audit = owner_client.get("/api/v1/audit", params={"action": "order.note"}).json()
    assert sorted(e["target_id"] for e in audit["entries"] if e["after"]["flag_colour"] == 6) == [A, B]
    timeline = owner_client.get(f"/api/v1/orders/{B}").json()["events"]
    assert [e["kind"] for e in timeline].count("note_changed") == 1

    listed = owner_client.get("/orders", params={"flag": "red"})
    assert set(re.findall(r'data-order-id="(\d+)"', listed.text)) == {A, B}
    assert '<option value="red" selected>' in listed.text
    again = _batch(owner_client, order_id=[A, B, C], flag_colour="6")  # A and B already red
    assert _alert(owner_client.get(again.headers["location"]).text, "ok") == "已修改 1 个订单的备注/旗标（2 个原本就是如此）。"


def test_a_refused_batch_changes_nothing_and_says_why(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    _api(owner_client, "PATCH", f"/api/v1/orders/{A}/note", {"merchant_note": "长" * 495})
    cases = [({"order_id": [A, "6938459704022656999"], "flag_colour": "3"}, "本店没有这些订单：6938459704022656999"),
             ({"flag_colour": "3"}, "请先勾选订单。"),
             ({"order_id": [A, B], "note_mode": "append", "merchant_note": ""}, "请选择旗标或填写备注。"),
             ({"order_id": [B, A], "note_mode": "append", "merchant_note": "已电话联系", "flag_colour": "2"},
              f"订单 {A} 的备注追加后会超过 500 个字符")]
    for form, words in cases:
        response = _batch(owner_client, **form)
        assert response.status_code == 303
        shown = _alert(owner_client.get(response.headers["location"]).text, "error")
        assert words in shown, (form, shown)
    assert owner_client.get(f"/api/v1/orders/{B}").json()["merchant_note"] is None  # B came first: not written
    assert owner_client.get("/api/v1/orders", params={"flag": "any"}).json()["total"] == 0
    forged = owner_client.post("/orders/batch-note", data={"order_id": A, "flag_colour": "6"})
    assert forged.status_code == 403  # no CSRF token


def test_the_api_batch_and_its_refusals(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    done = _api(owner_client, "POST", "/api/v1/orders/notes", {"order_ids": [A, C], "merchant_note": "<b>优先</b>"})
    assert done.status_code == 200 and done.json() == {"updated": [A, C], "unchanged": []}
    assert owner_client.get(f"/api/v1/orders/{C}").json()["merchant_note"] == "<b>优先</b>"  # replaced by default
    refusals = [({"order_ids": [], "flag_colour": 1}, 422, "validation_failed"),
                ({"order_ids": [A] * 201, "flag_colour": 1}, 422, "validation_failed"),
                ({"order_ids": [A], "flag_colour": 7}, 422, "validation_failed"),
                ({"order_ids": [A], "note_mode": "prepend", "merchant_note": "x"}, 422, "validation_failed"),
                ({"order_ids": [A]}, 422, "nothing_to_change"),
                ({"order_ids": [A, "nope"], "flag_colour": 1}, 404, "orders_not_found")]
    for body, status, code in refusals:
        response = _api(owner_client, "POST", "/api/v1/orders/notes", body)
        assert response.status_code == status and response.json()["error"]["code"] == code, (body, response.text)
    assert owner_client.get("/api/v1/orders", params={"flag": "any"}).json()["total"] == 0


def test_a_flag_filter_that_cannot_be_read_is_named(owner_client, ctx, shop_id):
    _seed(ctx, shop_id)
    page = owner_client.get("/orders", params={"flag": "pink"})
    assert page.status_code == 200
    assert re.search(r'<li data-field="flag">旗标：“pink”不在可选范围内（有旗标（任意颜色）, 灰, ', page.text)
    api = owner_client.get("/api/v1/orders", params={"flag": "pink"})
    assert api.status_code == 422 and "flag" in api.text
    export = owner_client.get("/api/v1/exports/orders", params={"format": "csv", "flag": "pink"})
    assert export.status_code == 422 and export.json()["error"]["details"]["field"] == "flag"
    assert _api(owner_client, "POST", "/api/v1/orders/notes", {"order_ids": [B], "flag_colour": 5}).status_code == 200
    csv = owner_client.get("/api/v1/exports/orders", params={"format": "csv", "flag": "orange"}).text
    assert B in csv and A not in csv and C not in csv


def test_the_api_batch_over_several_shops_is_all_or_nothing(owner_client, ctx, shop_id):
    """``orders`` with their shop ids: the list of all shops' batch through the API. An order id two shops share is
    told apart by its shop; an unknown shop or an unknown order in any shop changes nothing anywhere."""
    from xiaodian.accounts.models import Shop

    _seed(ctx, shop_id)
    with transaction(ctx.sessions) as session:
        second = Shop(name="第二家店", platform_shop_id="7654399", created_at=NOW)
        session.add(second)
        session.flush()
        second = second.id
        upsert_orders(session, shop_id=second, cipher=ctx.cipher, now=NOW, records=[make_record(order_id=A)])

    def flags():
        listed = owner_client.get("/api/v1/orders", params={"shop": "all", "page_size": 200}).json()["orders"]
        return {(o["shop_id"], o["order_id"]): o["flag_colour"] for o in listed}

    before = flags()
    refusals = [({"orders": [{"shop_id": second, "order_id": A}, {"shop_id": 987654, "order_id": B}],
                  "flag_colour": 3}, 404, "orders"),
                ({"orders": [{"shop_id": second, "order_id": A}, {"shop_id": second, "order_id": B}],
                  "flag_colour": 3}, 404, "orders"),  # B is the first shop's only
                ({"orders": [{"shop_id": second, "order_id": A}], "order_ids": [A], "flag_colour": 3}, 422, "orders"),
                ({"flag_colour": 3}, 422, "order_ids"),
                ({"orders": [{"shop_id": second, "order_id": A}] * 201, "flag_colour": 3}, 422, None)]
    for body, status, field in refusals:
        response = _api(owner_client, "POST", "/api/v1/orders/notes", body)
        assert response.status_code == status, (body, response.text)
        if field:
            assert response.json()["error"]["details"]["field"] == field, response.text
    assert flags() == before
    done = _api(owner_client, "POST", "/api/v1/orders/notes", {
        "orders": [{"shop_id": second, "order_id": A}, {"shop_id": shop_id, "order_id": C}], "flag_colour": 4})
    assert done.status_code == 200 and done.json() == {"updated": [A, C], "unchanged": []}
    after = flags()
    assert after[(second, A)] == 4 and after[(shop_id, C)] == 4 and after[(shop_id, A)] == before[(shop_id, A)]
