"""QA pass 10, D13: a 未发货仅退款 the shop has already agreed (待退款, not paid yet) is still held from shipping, but the
warehouse's pages say it is agreed ("已同意退款，不要发货", the order closes when it is paid) instead of the pending
request's "退款待处理 … 拒绝退款后再发货"; a request still waiting for the shop keeps today's words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service as aftersales
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, login
from ..factories import make_record

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

OWNER = Principal(1, "owner", "owner", "web")
H = timedelta(hours=1)
ASKED = "6938459704022610001"  # the buyer asked, the shop has not decided
AGREED = "6938459704022610002"  # the shop agreed, the refund is still to be paid
EXPORT_AGREED = "6938459704022610003"  # no case the desk has seen; the export says 待退款


def _shop(ctx, shop_id) -> None:
    records = [make_record(order_id, status=OrderStatus.AWAITING_SHIPMENT, ship_by=NOW + (i + 1) * H,
                           after_sale_status="待退款" if order_id == EXPORT_AGREED else None)
               for i, order_id in enumerate((ASKED, AGREED, EXPORT_AGREED))]
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)
    with transaction(ctx.sessions) as session:
        for order_id, aftersale_id in ((ASKED, "7000000000000010001"), (AGREED, "7000000000000010002")):
            aftersales.open_case(session, shop_id=shop_id, aftersale_id=aftersale_id, order_id=order_id,
                                 sku_order_id=None, case_type=CaseType.REFUND_UNSHIPPED, applied_at=NOW - H, now=NOW,
                                 source="sync", principal=None,
                                 reason=aftersales.BuyerReason("多拍/拍错/不想要", None, None, 0), refund_fen=8990)
    with transaction(ctx.sessions) as session:
        aftersales.merchant_action(session, shop_id=shop_id, aftersale_id="7000000000000010002", action=Action.AGREE,
                                   given=ActionInput(), principal=OWNER, now=NOW)


def _row(html: str, order_id: str) -> str:
    return html.split(order_id, 1)[1].split("</tr>", 1)[0]


def test_the_same_orders_are_held_and_the_agreed_ones_say_so(ctx, shop_id):
    _shop(ctx, shop_id)
    with ctx.sessions() as session:
        held = aftersales.refund_pending_orders(session, shop_id, [ASKED, AGREED, EXPORT_AGREED])
    assert held == {ASKED, AGREED, EXPORT_AGREED}
    assert held.agreed == {AGREED, EXPORT_AGREED}


def test_the_warehouse_pages_tell_an_agreed_refund_from_a_pending_one(app, users, ctx, shop_id):
    from fastapi.testclient import TestClient

    _shop(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        listing = client.get("/shipping?view=awaiting").text
        ship_agreed = client.get(f"/shipping/orders/{AGREED}/ship").text
        ship_asked = client.get(f"/shipping/orders/{ASKED}/ship").text
        order_agreed = client.get(f"/orders/{AGREED}").text
        order_asked = client.get(f"/orders/{ASKED}").text
    for order_id in (AGREED, EXPORT_AGREED):
        row = _row(listing, order_id)
        assert "已同意退款，不要发货" in row and "退款待处理" not in row
    assert "退款待处理，先别打包" in _row(listing, ASKED)
    # the ship page: still refused (the button disabled), but no advice to reject an agreed refund
    agreed_alert = ship_agreed.split('data-code="refund_pending"', 1)[1].split("</div>", 1)[0]
    assert "已同意退款，不要发货" in agreed_alert and "拒绝" not in agreed_alert
    assert '<button type="submit" class="primary" disabled>' in ship_agreed
    assert "拒绝退款" in ship_asked.split('data-code="refund_pending"', 1)[1].split("</div>", 1)[0]
    # the order page's do-not-ship banner
    banner = order_agreed.split('class="alert error do-not-ship"', 1)[1].split("</div>", 1)[0]
    assert "已同意退款" in banner and "拒绝" not in banner
    assert "在拒绝退款申请之前，不能发货" in order_asked.split('class="alert error do-not-ship"', 1)[1]


def test_the_bulk_ship_template_says_agreed(app, users, ctx, shop_id):
    import io

    from fastapi.testclient import TestClient
    from openpyxl import load_workbook

    _shop(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        download = client.get("/shipping/bulk/template.xlsx", params={"view": "awaiting"})
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(download.content)).active.iter_rows()]
    by_id = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_id[AGREED]["提醒"] == by_id[EXPORT_AGREED]["提醒"] == "已同意退款，不要发货"
    assert by_id[ASKED]["提醒"] == "退款待处理，先别打包"


def test_the_forecast_and_pick_list_tell_an_agreed_refund_from_a_pending_one(app, users, ctx, shop_id):
    """The orders the plan leaves out for a refund: an agreed one is not "pending: decide it first"."""
    from fastapi.testclient import TestClient

    _shop(ctx, shop_id)
    with TestClient(app) as client:
        login(client, "warehouse")
        for path in ("/shipping/forecast", "/shipping/picklist"):
            page = client.get(path).text
            held = page.split('class="grid refund-pending-list"', 1)[1].split("</table>", 1)[0]
            assert "已同意退款，不要发货" in _row(held, AGREED) and "已同意退款" in _row(held, EXPORT_AGREED)
            assert "已同意退款" not in _row(held, ASKED) and "退款待处理" in _row(held, ASKED)
        rows = {r["order_id"]: r["agreed"] for r in client.get("/api/v1/forecast").json()["refund_pending_orders"]}
    assert rows == {ASKED: False, AGREED: True, EXPORT_AGREED: True}


def test_the_api_refusal_tells_an_agreed_refund_from_a_pending_one(ctx, shop_id, owner_client):
    _shop(ctx, shop_id)
    from ..conftest import csrf_of

    token = csrf_of(owner_client)
    said = {}
    for order_id in (ASKED, AGREED, EXPORT_AGREED):
        response = owner_client.post(f"/api/v1/orders/{order_id}/shipments", headers={"x-csrf-token": token},
                                     json={"carrier": "zhongtong", "tracking_no": "73100000000999"})
        assert response.status_code >= 400 and response.json()["error"]["code"] == "refund_pending"
        said[order_id] = response.json()["error"]["message"]
    assert "reject the refund request" in said[ASKED]
    for order_id in (AGREED, EXPORT_AGREED):
        assert "refund is agreed" in said[order_id] and "reject" not in said[order_id]
