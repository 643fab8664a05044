"""Words on the after-sales pages say what they show (QA care D14): an after-sale status is headed 售后状态 (not
订单状态) on the 品退率 page and in the order's timeline, a finished case no longer asks the clerk to contact the
buyer, and a case that returns no money (补寄, 换货, 维修) shows no refund amount."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from xiaodian.accounts.service import Principal
from xiaodian.aftersales import service
from xiaodian.aftersales.domain import Action, ActionInput, CaseType
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record

ORDER = "6938459704022656025"
CS = Principal(None, "cs", "cs", "web")
CONTACT = "请联系买家了解发生了什么"


def _case(ctx, shop_id, aftersale_id, kind, *steps, reason="商品破损/污渍"):
    with transaction(ctx.sessions) as session:
        service.open_case(session, shop_id=shop_id, aftersale_id=aftersale_id, order_id=ORDER, sku_order_id=None,
                          case_type=kind, applied_at=NOW - timedelta(hours=4), now=NOW, source="sync", principal=None,
                          reason=service.BuyerReason(reason), refund_fen=7980)
        for action in steps:
            service.merchant_action(session, shop_id=shop_id, aftersale_id=aftersale_id, action=action, now=NOW,
                                    given=ActionInput(tracking_no="SF1234567890123"), principal=CS)


@pytest.fixture
def desk(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id=ORDER, status=OrderStatus.SHIPPED, shipped_at=NOW - timedelta(days=2))])
    _case(ctx, shop_id, "7300000000000000001", CaseType.REFUND_SHIPPED, Action.AGREE, Action.REFUND)
    _case(ctx, shop_id, "7300000000000000002", CaseType.RESEND)
    _case(ctx, shop_id, "7300000000000000003", CaseType.REFUND_SHIPPED)
    return ctx


def test_the_quality_page_heads_the_case_status_column_after_sale_status(owner_client, desk):
    page = owner_client.get("/quality-rate").text
    cases = page.split('id="cases"', 1)[1]
    assert "<th>售后状态</th>" in cases and "<th>订单状态</th>" not in cases


def test_the_order_timeline_calls_a_case_status_an_after_sale_status(owner_client, desk):
    page = owner_client.get(f"/orders/{ORDER}").text
    assert "售后状态:</span> 待商家处理 → 待退款" in page and "订单状态:</span> 待商家处理" not in page


def test_only_an_open_case_asks_the_clerk_to_contact_the_buyer(owner_client, desk):
    assert CONTACT not in owner_client.get("/aftersales/7300000000000000001").text  # 售后成功
    assert CONTACT in owner_client.get("/aftersales/7300000000000000003").text  # 待商家处理


def test_a_resend_case_shows_no_refund_amount_and_a_refund_case_does(owner_client, desk):
    resend = owner_client.get("/aftersales/7300000000000000002").text
    assert "¥79.80" not in resend
    assert "¥79.80" in owner_client.get("/aftersales/7300000000000000003").text
    listing = owner_client.get("/aftersales", params={"tab": "all"}).text
    rows = dict(re.findall(r'data-aftersale-id="(\d+)">(.*?)</tr>', listing, re.S))
    assert "¥79.80" not in rows["7300000000000000002"] and "¥79.80" in rows["7300000000000000003"]
