"""The order's after-sale label on the order list, the order page and the API: it follows the case (QA orders D3)
and is shown in the page's language with the After-sales panel's names (QA orders D4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW, csrf_of
from ..factories import make_record

ORDER = "6938459704022656025"
CASE = "7200000000000000001"


@pytest.fixture
def agreed(ctx, shop_id, owner_client):
    """A shipped order whose refund the merchant has just agreed to through the API."""
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=1),
            after_sale_status="待商家处理")])
        service.open_case(session, shop_id=shop_id, aftersale_id=CASE, order_id=ORDER, sku_order_id=None,
                          case_type=CaseType.REFUND_SHIPPED, applied_at=NOW - timedelta(hours=4), now=NOW,
                          source="sync", principal=None, refund_fen=8990)
    done = owner_client.post(f"/api/v1/aftersales/{CASE}/actions", headers={"x-csrf-token": csrf_of(owner_client)},
                             json={"action": "agree"})
    assert done.status_code == 200
    return owner_client


def test_after_agreeing_the_api_list_and_page_say_refund_pending(agreed):
    assert agreed.get(f"/api/v1/orders/{ORDER}").json()["after_sale_status"] == "待退款"
    for url in ("/orders?tab=after_sale", f"/orders/{ORDER}"):
        page = agreed.get(url).text
        assert '<span class="tag">售后: 待退款</span>' in page and "售后: 待商家处理" not in page


def test_the_english_pages_name_the_after_sale_stage_in_english(agreed):
    agreed.get("/lang/en")
    for url in ("/orders?tab=after_sale", f"/orders/{ORDER}"):
        page = agreed.get(url).text
        assert '<span class="tag">After-sale: Refund pending</span>' in page and "After-sale: 待" not in page
