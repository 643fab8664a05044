"""QA pass 9, #6, against a database: a masked phone (in the form or the message) finds the buyer's orders by its
last 4 digits, narrowed by its first 3 against the orders' masked copies, instead of every order of the product;
the order search box reads it as its last 4 digits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.db import transaction
from xiaodian.demo.shop import DEMO_PRINCIPAL
from xiaodian.inquiries import service
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.queries import OrderFilter, search_page

from ..conftest import NOW
from ..factories import make_record

BUYER = "13712340754"
SAME_LAST4 = "18699990754"  # another buyer whose phone ends the same


@pytest.fixture
def orders(ctx, shop_id):
    records = [make_record(order_id="6938459704022650001", phone=BUYER, created_at=NOW - timedelta(days=2)),
               make_record(order_id="6938459704022650002", phone=SAME_LAST4, created_at=NOW - timedelta(days=1))]
    # many other buyers' orders of the same product: a message naming it must not match them all
    records += [make_record(order_id=f"69384597040226{k:05d}", phone=f"1391234{k:04d}",
                            created_at=NOW - timedelta(hours=k + 1)) for k in range(30)]
    with transaction(ctx.sessions) as session:
        assert not upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW).rejected
    return records


def _ask(ctx, shop_id, message, phone=None):
    with transaction(ctx.sessions) as session:
        return service.answer(session, DEMO_PRINCIPAL, shop_id=shop_id, message=message, phone=phone, now=NOW,
                              cipher=ctx.cipher, record=False)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("message,phone", [("你好，我的手机号是+86 137 **** 0754，我的订单什么时候发货", None),
                                           ("我的订单什么时候发货", "137****0754"),
                                           ("我的订单什么时候发货", "+86 １３７ ＊＊＊＊ ０７５４")])
def test_a_masked_phone_finds_the_buyers_order_and_not_the_other_buyer_with_the_same_last_4(ctx, shop_id, orders,
                                                                                           message, phone):
    a = _ask(ctx, shop_id, message, phone)
    assert [m.order_id for m in a.matches] == ["6938459704022650001"]
    assert a.diagnosis.code == "found_awaiting_shipment" and a.diagnosis.order.order_id == "6938459704022650001"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_last_4_alone_still_finds_both_buyers(ctx, shop_id, orders):
    a = _ask(ctx, shop_id, "我的订单什么时候发货", "0754")
    assert {m.order_id for m in a.matches} == {"6938459704022650001", "6938459704022650002"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_masked_phone_with_an_order_number_of_another_prefix_is_a_mismatch(ctx, shop_id, orders):
    with transaction(ctx.sessions) as session:
        a = service.answer(session, DEMO_PRINCIPAL, shop_id=shop_id, message="什么时候发货", phone="137****0754",
                           order_id="6938459704022650002", now=NOW, cipher=ctx.cipher, record=False)
    assert a.diagnosis.code == "phone_mismatch"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("typed", ["137****0754", "+86 137 **** 0754", "１３７＊＊＊＊０７５４"])
def test_the_order_search_finds_a_masked_phone_by_its_last_4_and_first_3(ctx, shop_id, orders, typed):
    with ctx.sessions() as session:
        found = search_page(session, shop_id, OrderFilter(query=typed), ctx.cipher)
        by_last4 = search_page(session, shop_id, OrderFilter(query="0754"), ctx.cipher)
    # the last 4 alone find both buyers; the masked phone's first 3 (137) leave the other one (186…) out
    assert {"6938459704022650001", "6938459704022650002"} <= {o.order_id for o in by_last4.orders}
    assert {o.order_id for o in found.orders} == {"6938459704022650001"} and found.total == 1
