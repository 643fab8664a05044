"""QA #10 and #12: the English pages name carriers in English (a warning said "does not look like a 京东快递 number",
the correction page's heading said 顺丰速运 and its history showed codes such as shunfeng); the ship form of an order
with no ship-by says "—" rather than a bare label; the on-time chart explains its red and blue bars."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import service

from ..conftest import NOW, csrf_of
from ..factories import make_record

OID, UNPAID = "6938459704022659201", "6938459704022659202"
CLERK = Principal(None, "owner", "owner", "web")
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _seed(ctx, shop_id, ship: bool = False) -> None:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(OID, ship_by=NOW + timedelta(hours=5)),
            make_record(UNPAID, status=OrderStatus.CANCELLED, paid_at=None, cancelled_at=NOW)])
        if ship:
            service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                               req=service.ShipRequest(OID, "shunfeng", "SF1234567890123"))


@sqlite_only
def test_the_english_ship_form_warns_with_the_carriers_english_name(ctx, shop_id, owner_client):
    _seed(ctx, shop_id)
    owner_client.get("/lang/en")
    page = owner_client.post(f"/shipping/orders/{OID}/ship", data={
        "csrf_token": csrf_of(owner_client, f"/shipping/orders/{OID}/ship"), "carrier": "jd",
        "tracking_no": "12345678", "items_listed": "1", "items": [OID]})
    assert page.status_code == 409
    assert "does not look like a JD Logistics number" in page.text and "京东快递" not in page.text


@sqlite_only
def test_the_english_correction_page_names_carriers_in_english(ctx, shop_id, owner_client):
    _seed(ctx, shop_id, ship=True)
    with transaction(ctx.sessions) as session:
        from xiaodian.shipping import corrections

        [state] = corrections.order_shipment_states(session, shop_id=shop_id, order_id=OID, now=NOW)[1]
        corrections.correct_tracking(session, shop_id=shop_id, order_id=OID, shipment_id=state.shipment_id,
                                     carrier="zhongtong", tracking_no="73123456789012", reason="wrong carrier",
                                     confirm_warnings=False, principal=CLERK, now=NOW)
    owner_client.get("/lang/en")
    page = owner_client.get(f"/shipping/orders/{OID}/tracking").text
    history = page.split("wrong carrier", 1)[0].rsplit("<tr>", 1)[1]
    assert "ZTO Express" in page.split("<h2>", 1)[1].split("</h2>", 1)[0]
    assert "SF Express" in history and "ZTO Express" in history
    assert "shunfeng" not in history and "zhongtong" not in history and "顺丰速运" not in page
    owner_client.get("/lang/zh")
    assert "中通快递" in owner_client.get(f"/shipping/orders/{OID}/tracking").text


@sqlite_only
def test_a_never_paid_orders_ship_form_shows_a_dash_for_its_ship_by(ctx, shop_id, owner_client):
    _seed(ctx, shop_id)
    page = owner_client.get(f"/shipping/orders/{UNPAID}/ship").text
    assert 'data-ship-by="none">—<' in page


@sqlite_only
def test_the_on_time_chart_has_a_legend(owner_client):
    page = owner_client.get("/shipping/health").text
    assert "按时率低于 95%" in page and "按时率不低于 95%" in page
    owner_client.get("/lang/en")
    assert "below 95% on time" in owner_client.get("/shipping/health").text
