"""QA pass 9, #11: an order export says 退款中 (the platform is paying the refund): the provisional case reads 退款中
in its header and its history alike, offers no 退款 (a second refund), refuses one through the API, and is named
in words rather than by the desk's key sku:<SKU order>."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.aftersales.intake import from_order_export
from xiaodian.db import transaction
from xiaodian.orders.domain import ItemRecord, OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = f"sku:{ORDER}"


@pytest.fixture
def desk(ctx, shop_id):
    item = ItemRecord(sku_order_id=ORDER, product_name="五常大米 10kg", quantity=1, unit_price_fen=5990,
                      product_id="p1", after_sale_status="退款中")
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, items=[item], after_sale_status="退款中",
            shipped_at=NOW - timedelta(days=2))])
        assert from_order_export(session, shop_id=shop_id, order_ids=[ORDER], now=NOW, source="import",
                                 principal=Principal(None, "cs", "cs", "web")) == 1
    return ctx


def test_a_refund_under_way_reads_the_same_everywhere_and_is_not_offered_again(owner_client, desk):
    case = owner_client.get(f"/api/v1/aftersales/{CASE}").json()
    assert (case["status"], case["refund_status"], case["merchant_actions"]) == ("refunding", "refunding", [])
    page = owner_client.get(f"/aftersales/{CASE}").text
    header = page.split('class="order-head"', 1)[1].split("</header>", 1)[0]
    assert "退款中" in header and "sku:" not in header and "暂无售后单号" in header
    history = page.split('class="card timeline"', 1)[1]
    assert "→ 退款中" in history and "→ 待退款" not in history
    assert 'class="act-form act-refund"' not in page and "请勿重复退款" in page
    refused = owner_client.post(f"/api/v1/aftersales/{CASE}/actions", headers={"x-csrf-token": csrf_of(owner_client)},
                                json={"action": "refund", "refund_fen": 5990})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "refund_in_progress"
    listed = owner_client.get("/aftersales?tab=all").text.split(f'data-aftersale-id="{CASE}"', 1)[1]
    assert "暂无售后单号" in listed.split("</td>", 1)[0]
    order = owner_client.get(f"/orders/{ORDER}").text.split(f'data-aftersale-id="{CASE}"', 1)[1]
    assert "暂无售后单号" in order.split("</td>", 1)[0]
