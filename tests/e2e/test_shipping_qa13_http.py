"""QA pass 13 on the warehouse's shipping pages.

#2: an order whose refund the shop has agreed is refused in the bulk preview (and on the ship form's POST) with the
agreed wording (已同意退款，不要发货), not the pending request's 拒绝退款 advice; the API says which in its details.
#7: such a row of the deadline list has no live 发货 button (greyed, or 去售后处理 for a refund still to decide), and
the tabs can say how many of their orders a refund holds (tests/unit/test_shipping_qa13_view_tabs.py).
#12: the wrong-format warning names the carrier's usual numbers and the carrier the number looks like, on the ship
form, in the bulk preview and in the API's message.
#13: the bulk table's carrier column does not wrap (快递公司 names broke mid-word at 1366 px).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service

from ..conftest import NOW, csrf_of, login
from ..factories import make_record
from .test_shipping_qa10_refund_agreed_http import AGREED, ASKED, EXPORT_AGREED, _shop

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

PLAIN = "6938459704022610009"
H = timedelta(hours=1)


def _plain(ctx, shop_id, ship_by=NOW + 30 * H):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(PLAIN, status=OrderStatus.AWAITING_SHIPMENT, ship_by=ship_by)])


def _preview(client, rows: str):
    csrf = csrf_of(client, "/shipping/bulk")
    page = client.post("/shipping/bulk", data={"csrf_token": csrf},
                       files={"file": ("bulk.csv", ("订单号,快递公司,快递单号\r\n" + rows).encode(), "text/csv")})
    assert page.status_code == 200
    return page.text


def _ship_form_alert(client, order_id: str, carrier: str, number: str, code: str) -> tuple[str, str]:
    """The ship form posted with this carrier and number, refused (409): its CSRF token and the alert's text."""
    token = csrf_of(client, f"/shipping/orders/{order_id}/ship")
    form = client.post(f"/shipping/orders/{order_id}/ship", data={
        "csrf_token": token, "carrier": carrier, "tracking_no": number})
    assert form.status_code == 409
    return token, form.text.split(f'data-code="{code}"', 1)[1].split("</div>", 1)[0]


def _bulk_row(page: str, order_id: str) -> str:
    body = page.split('class="grid verdicts"', 1)[1]
    return next(tr for tr in body.split("<tr")[1:] if order_id in tr)


def test_the_bulk_preview_does_not_advise_rejecting_an_agreed_refund(ctx, shop_id, owner_client):
    _shop(ctx, shop_id)
    page = _preview(owner_client, f"{AGREED},中通快递,73130000000218\r\n{EXPORT_AGREED},中通快递,73130000000219\r\n"
                                  f"{ASKED},中通快递,73130000000220\r\n")
    for order_id in (AGREED, EXPORT_AGREED):
        row = _bulk_row(page, order_id)
        assert "已同意退款，不要发货" in row and "拒绝" not in row, row
        assert "订单号：" in row  # still said against its column
    assert "拒绝退款" in _bulk_row(page, ASKED) and "已同意退款" not in _bulk_row(page, ASKED)


def test_the_ship_form_post_and_the_api_tell_an_agreed_refund(ctx, shop_id, owner_client):
    _shop(ctx, shop_id)
    token, alert = _ship_form_alert(owner_client, AGREED, "zhongtong", "73130000000218", "refund_pending")
    assert "已同意退款，不要发货" in alert and "拒绝" not in alert
    said = {}
    for order_id in (ASKED, AGREED, EXPORT_AGREED):
        error = owner_client.post(f"/api/v1/orders/{order_id}/shipments", headers={"x-csrf-token": token},
                                  json={"carrier": "zhongtong", "tracking_no": "73100000000999"}).json()["error"]
        said[order_id] = (error["code"], error["details"]["refund_agreed"])
        if "(after-sale " in error["message"]:  # the case's status in words, not its code (QA pass 15, #8)
            assert "_" not in error["message"].split("(after-sale ", 1)[1].split(")", 1)[0]
    assert said == {ASKED: ("refund_pending", False), AGREED: ("refund_pending", True),
                    EXPORT_AGREED: ("refund_pending", True)}


def test_a_held_row_of_the_deadline_list_has_no_live_ship_button(app, users, ctx, shop_id):
    from fastapi.testclient import TestClient

    _shop(ctx, shop_id)
    _plain(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "owner")
        owner = client.get("/shipping?view=awaiting").text
        owner_home = client.get("/").text
        login(client, "warehouse")
        warehouse = client.get("/shipping?view=awaiting").text
        warehouse_home = client.get("/").text

    def action(page, order_id):
        return page.split(f'data-order-id="{order_id}"', 1)[1].split("</tr>", 1)[0].split('class="c-act"', 1)[1]

    for page in (owner, warehouse):
        assert 'class="button primary ship"' in action(page, PLAIN)
        for order_id in (AGREED, EXPORT_AGREED):
            cell = action(page, order_id)
            assert "/ship?" not in cell and "disabled" in cell and "已同意退款" in cell
    # a refund still to decide: to its case for the owner, who may decide it; greyed for the warehouse, who may not
    assert f'href="/aftersales?tab=all&amp;order_id={ASKED}"' in action(owner, ASKED)
    assert "去售后处理" in action(owner, ASKED)
    assert "disabled" in action(warehouse, ASKED) and "/aftersales" not in action(warehouse, ASKED)
    # the home page's 最急待发 rows alike (the same cell)
    assert "disabled" in action(owner_home, AGREED) and "去售后处理" in action(owner_home, ASKED)
    assert "disabled" in action(warehouse_home, ASKED) and 'class="button primary ship"' in action(owner_home, PLAIN)


def test_the_refund_held_counts_follow_the_views_and_the_forecast(ctx, shop_id, owner_client):
    _shop(ctx, shop_id)  # three held orders, ship-by within 1-3 h
    _plain(ctx, shop_id, NOW - H)  # overdue, not held
    with ctx.sessions() as session:
        counts = service.refund_held_counts(session, shop_id, NOW)
    assert counts == {"awaiting": 3, "due24h": 3, "overdue": 0}
    assert owner_client.get("/api/v1/forecast").json()["refund_pending"] == counts["awaiting"]
    tabs = owner_client.get("/shipping?view=awaiting").text.split('aria-label="发货视图"', 1)[1].split("</nav>", 1)[0]
    held = {v: tabs.split(f'data-view="{v}"', 1)[1].split("</a>", 1)[0] for v in ("awaiting", "due24h", "overdue")}
    assert 'data-held="3"' in held["awaiting"] and 'data-held="3"' in held["due24h"]  # 其中 3 单退款中
    assert "data-held" not in held["overdue"]  # the overdue order is not held
    with ctx.sessions() as session:
        assert service.refund_held_counts(session, shop_id, NOW + 2 * H + timedelta(minutes=1)) == {
            "awaiting": 3, "due24h": 1, "overdue": 2}


def test_the_wrong_format_warning_names_the_usual_shape_and_the_likely_carrier(ctx, shop_id, owner_client):
    _plain(ctx, shop_id)
    token, alert = _ship_form_alert(owner_client, PLAIN, "shunfeng", "YT1234567890123", "confirmation_required")
    assert "顺丰速运单号一般为 SF+13位数字。" in alert and "该单号像圆通速递的单号，是否选错了快递公司？" in alert
    api = owner_client.post(f"/api/v1/orders/{PLAIN}/shipments", headers={"x-csrf-token": token},
                            json={"carrier": "shunfeng", "tracking_no": "YT1234567890123"}).json()["error"]
    assert "SF Express numbers are usually SF followed by 13 digits" in api["message"]
    assert "its shape is that of YTO Express numbers" in api["message"]
    assert api["details"]["looks_like"] == ["yuantong"] and api["details"]["usual"] == "SF followed by 13 digits"
    # the bulk preview: the same words; the carrier column kept on one line
    row = _bulk_row(_preview(owner_client, f"{PLAIN},顺丰速运,YT1234567890123\r\n"), PLAIN)
    assert "顺丰速运单号一般为 SF+13位数字。" in row and "该单号像圆通速递的单号" in row
    assert '<td class="spec-cell">顺丰速运</td>' in row
    text = f"订单号,快递公司,快递单号\r\n{PLAIN},顺丰速运,YT1234567890123\r\n"
    report = owner_client.post("/api/v1/shipments/bulk", headers={"x-csrf-token": token}, data={"dry_run": "true"},
                               files={"file": ("b.csv", text.encode(), "text/csv")}).json()
    assert "its shape is that of YTO Express numbers" in report["held"][0]["message"]  # unconfirmed: held, saying why


def test_english_pages_say_it_once(ctx, shop_id, owner_client):
    _plain(ctx, shop_id)
    owner_client.cookies.set("lang", "en")
    token = csrf_of(owner_client, f"/shipping/orders/{PLAIN}/ship")
    form = owner_client.post(f"/shipping/orders/{PLAIN}/ship", data={
        "csrf_token": token, "carrier": "shunfeng", "tracking_no": "YT1234567890123"})
    alert = form.text.split('data-code="confirmation_required"', 1)[1].split("</div>", 1)[0]
    assert alert.count("SF followed by 13 digits") == 1 and "YTO Express" in alert
