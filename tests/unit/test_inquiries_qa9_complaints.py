"""QA pass 9, #7: a new complaint about the goods (少了一袋 / 漏发 / 缺件, 有虫子 / 发霉 / 坏了 / 质量问题 …
要退货) is read as such (intent after_sale_status, the closest, with its kind in ``complaint``), not as a
question about a case already open; the reply follows the order's state: an order not shipped yet cannot be short
of anything."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from xiaodian.inquiries.diagnosis import diagnose
from xiaodian.inquiries.matching import AfterSaleFact, Ask, OrderFacts, Tracking, score
from xiaodian.inquiries.replies import FORBIDDEN, draft
from xiaodian.inquiries.understanding import understand

NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
DAY = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
MILLET = "3591027400000000108"


@pytest.mark.parametrize("message,kind", [
    ("我买的小米少了一袋，怎么处理？", "missing_item"), ("少发了一瓶油", "missing_item"),
    ("漏发了", "missing_item"), ("缺件了怎么办", "missing_item"), ("只收到两袋，少发了一袋", "missing_item"),
    ("东西没发全", "missing_item"),
    ("one bag is missing from my order", "missing_item"), ("I only received 2 bags, one is missing", "missing_item"),
    ("我上个月买的红枣，有虫子，要退货", "quality"), ("大米发霉了", "quality"),
    ("收到的米质量太差了，要退货", "quality"),
    ("油漏了，瓶子坏了", "quality"), ("the rice is mouldy, I want to return it", "quality"),
    ("I got the wrong item, I want an exchange", "quality"), ("米有异味，是不是过期了", "quality"),
])
def test_a_complaint_about_the_goods_is_an_after_sale_with_its_kind(message, kind):
    u = understand(message, NOW, [])
    assert (u.intent, u.complaint) == ("after_sale_status", kind)


@pytest.mark.parametrize("message", ["退款什么时候到账", "申请了退货，发霉了，退款什么时候到",
                                     "退货已经寄回去了，钱什么时候退",
                                     "I returned the mouldy rice, when do I get my money back?",
                                     "补寄的什么时候到？之前少发了一袋", "补发了吗？少了一袋"])
def test_a_question_about_a_case_already_open_is_no_new_complaint(message):
    u = understand(message, NOW, [])
    assert u.intent == "after_sale_status" and u.complaint is None


@pytest.mark.parametrize("message", ["只收到一个包裹", "少了一个包裹", "只到了一个快递", "只到了一袋"])
def test_a_missing_parcel_is_still_a_tracking_question(message):
    u = understand(message, NOW, [])
    assert u.intent == "logistics" and u.complaint is None


def test_how_much_is_missing_is_not_read_as_the_quantity_ordered():
    assert understand("我买的小米少了一袋", NOW, []).quantity is None
    assert understand("漏发了一包，只收到两包", NOW, []).quantity is None


def _order(n, status, **kw) -> OrderFacts:
    return OrderFacts(order_id=f"69795872435032241{n:02d}", status=status, created_at=kw.pop("created_at", DAY),
                      paid_at=DAY, ship_by=DAY + timedelta(days=2), items=((MILLET, "有机黄小米 小黄米", 2),), **kw)


def _run(orders, complaint, lang="zh", identity="last4", ask=Ask(product_ids=(MILLET,), product="黄小米")):
    matches = [score(o, ask, identity) for o in orders]
    d = diagnose(matches, intent="complaint", identity=identity, stated=bool(ask.product_ids), now=NOW,
                 dated=ask.date_from is not None)
    return d, draft(d, lang=lang, intent="after_sale_status", product=ask.product, complaint=complaint)


REFUND_PENDING = AfterSaleFact("待商家处理", kind="未发货仅退款", open=True, whose_move="merchant")
SHIPPED = dict(shipped_at=DAY + timedelta(days=1),
               tracking=(Tracking("中通快递", "73100000000001", DAY + timedelta(days=1)),))


def test_a_missing_item_on_an_order_not_shipped_says_it_has_not_shipped_not_the_refund():
    """QA: "我买的小米少了一袋" with 5437 picked an unshipped order and replied about its pending refund."""
    d, zh = _run([_order(1, "awaiting_shipment", after_sale=REFUND_PENDING)], "missing_item")
    assert d.code == "found_awaiting_shipment" and d.facts["after_sale"]["kind"] == "未发货仅退款"  # agent sees it
    assert "还没有发货" in zh and "不会少发" in zh and "退款" not in zh
    _, en = _run([_order(1, "awaiting_shipment", after_sale=REFUND_PENDING)], "missing_item", lang="en")
    assert "has not shipped yet" in en and "refund" not in en.lower()


def test_a_missing_item_on_a_shipped_order_asks_for_photos_and_names_the_platforms_reason():
    d, zh = _run([_order(1, "shipped", **SHIPPED)], "missing_item")
    assert d.code == "found_shipped" and "照片" in zh and "少件/漏发" in zh and "69795872435032241" in zh
    _, en = _run([_order(1, "shipped", **SHIPPED)], "missing_item", lang="en")
    assert "photos" in en and "missing item" in en


def test_a_complaint_is_about_the_order_sent_rather_than_the_one_still_to_ship():
    d, zh = _run([_order(1, "completed", completed_at=NOW - timedelta(days=3), **SHIPPED),
                  _order(2, "awaiting_shipment", created_at=DAY + timedelta(days=2))], "quality", identity="phone")
    assert d.code == "found_delivered" and d.order.order_id.endswith("01")
    assert "质量问题" in zh and "照片" in zh and "退货退款" in zh


def test_an_open_case_on_the_order_sent_is_still_what_the_reply_tells():
    case = AfterSaleFact("待商家处理", kind="退货退款", open=True, whose_move="merchant")
    d, zh = _run([_order(1, "completed", after_sale=case, **SHIPPED)], "quality")
    assert d.code == "found_after_sale" and "售后" in zh


def test_a_complaint_without_one_order_found_asks_for_the_order_and_the_photos():
    d, zh = _run([_order(1, "shipped", **SHIPPED), _order(2, "completed", **SHIPPED)], "quality",
                 ask=Ask())
    assert d.code == "not_found_need_details" and "照片" in zh


@pytest.mark.parametrize("complaint", ["missing_item", "quality"])
@pytest.mark.parametrize("status", ["awaiting_shipment", "partially_shipped", "shipped", "completed"])
def test_complaint_replies_promise_nothing(complaint, status):
    for lang in ("zh", "en"):
        _d, text = _run([_order(1, status, **({} if status == "awaiting_shipment" else SHIPPED))], complaint, lang)
        assert not any(word in text.lower() for word in FORBIDDEN)
