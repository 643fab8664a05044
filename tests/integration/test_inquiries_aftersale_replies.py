"""The assistant's after-sale facts come from the after-sales capability (care report D2): whose move it is, a passed
deadline, the merchant's reject reason and when a refund was made reach the reply, with the status in the buyer's
language whatever the desk's page language is."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from xiaodian.aftersales.models import AfterSaleCase
from xiaodian.db import transaction
from xiaodian.demo.shop import DEMO_PRINCIPAL
from xiaodian.inquiries import service
from xiaodian.orders.models import Order
from xiaodian.web.i18n import current_language

from ..conftest import NOW


@pytest.fixture
def demo(ctx, shop_id, built_demo):
    built_demo(500)


def _order_of(ctx, shop_id, **where) -> tuple[str, AfterSaleCase]:
    with transaction(ctx.sessions) as session:
        wanted = [getattr(AfterSaleCase, k) == v for k, v in where.items()]
        rows = session.execute(select(Order.order_id, AfterSaleCase).join(Order, Order.id == AfterSaleCase.order_pk)
                               .where(AfterSaleCase.shop_id == shop_id, Order.status != "cancelled", *wanted)
                               .order_by(AfterSaleCase.id)).all()
        assert rows, where
        session.expunge_all()
        return rows[-1]


def ask(ctx, shop_id, message, order_id):
    with transaction(ctx.sessions) as session:
        return service.answer(session, DEMO_PRINCIPAL, shop_id=shop_id, message=message, order_id=order_id, now=NOW,
                              cipher=ctx.cipher, record=False)


def test_the_buyers_move_is_said_to_be_the_buyers(ctx, shop_id, demo):
    oid, _case = _order_of(ctx, shop_id, status="waiting_buyer_return")
    a = ask(ctx, shop_id, "我申请了退货退款，你们什么时候处理？", oid)
    assert a.diagnosis.code == "found_after_sale"
    assert "需要您把商品寄回" in a.reply and "我们会按流程尽快处理" not in a.reply
    assert a.diagnosis.facts["after_sale"]["whose_move"] == "buyer"


def test_an_english_reply_names_the_status_in_english_on_a_chinese_page(ctx, shop_id, demo):
    oid, _case = _order_of(ctx, shop_id, status="waiting_buyer_return")
    token = current_language.set("zh")
    try:
        a = ask(ctx, shop_id, "When will my return be processed?", oid)
    finally:
        current_language.reset(token)
    assert '"Waiting for buyer to return"' in a.reply and "待买家退货" not in a.reply


def test_a_rejection_gives_the_merchants_note(ctx, shop_id, demo):
    oid, case = _order_of(ctx, shop_id, status="rejected")
    a = ask(ctx, shop_id, "我的退款被拒了为什么？", oid)
    assert case.reject_note and f"原因：{case.reject_note.strip()}" in a.reply


def test_a_refunded_case_says_when_the_refund_was_made(ctx, shop_id, demo):
    oid, case = _order_of(ctx, shop_id, status="succeeded", case_type="refund_shipped")
    a = ask(ctx, shop_id, "退款什么时候到账？", oid)
    assert re.search(r"退款已于\d+月\d+日 \d\d:\d\d完成", a.reply), a.reply
    assert "原支付方式" in a.reply and "尽快处理" not in a.reply


def test_an_english_reply_names_the_product_in_english(ctx, shop_id, demo):
    """D13: the product's English name (orders.models.Product.name_en) in an English reply."""
    from xiaodian.orders.models import OrderItem, Product

    with transaction(ctx.sessions) as session:
        oid, name_en, name = session.execute(
            select(Order.order_id, Product.name_en, OrderItem.product_name)
            .join(OrderItem, OrderItem.order_pk == Order.id)
            .join(Product, (Product.product_id == OrderItem.product_id) & (Product.shop_id == Order.shop_id))
            .where(Order.shop_id == shop_id, Order.status == "shipped", Product.name_en.is_not(None))
            .order_by(Order.id)).first()
    a = ask(ctx, shop_id, "Where is my parcel? It has not moved for days.", oid)
    assert a.understanding.language == "en" and a.diagnosis.confirmed
    assert name_en.strip()[:40] in a.reply and name[:24] not in a.reply
    from xiaodian.logistics.messages import CONTACTS

    assert not [c.name for c in CONTACTS if c.name != c.name_en and c.name in a.reply], a.reply
