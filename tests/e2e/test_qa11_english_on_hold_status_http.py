"""QA pass 11, #10: the English name of 待处理 (paid, held by the platform: pre-sale, risk check) is "Paid, on hold",
on the order list's tab and in the status column: "Pending" read as "payment pending", which is 待支付 ("Unpaid").
The Chinese stays 待处理."""

from __future__ import annotations

import re

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record


def held_order(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[make_record(
            order_id="6938459704022656999", status=OrderStatus.PAID_PENDING)])


def tab(page: str) -> str:
    return re.search(r'data-tab="paid_pending">([^<]*)<', page).group(1)


def test_the_held_status_reads_paid_on_hold_in_english_and_stays_chinese_in_chinese(ctx, shop_id, owner_client):
    held_order(ctx, shop_id)
    owner_client.get("/lang/en")
    page = owner_client.get("/orders").text
    assert tab(page) == "Paid, on hold"
    assert '<span class="status status-paid_pending">Paid, on hold (risk review)</span>' in page
    assert ">Pending" not in page
    detail = owner_client.get("/orders/6938459704022656999").text
    assert "Paid, on hold (risk review)" in detail
    owner_client.get("/lang/zh")
    page = owner_client.get("/orders").text
    assert tab(page) == "待处理" and "待处理（风控审核）" in page
