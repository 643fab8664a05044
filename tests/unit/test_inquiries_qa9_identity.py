"""QA pass 9, #5: when the buyer's phone (or its last 4 digits) leaves one order, or one order the question is
about, the desk answers from it (and lets the buyer correct it); with orders of theirs listed it never tells them
there is no such order in the shop."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from xiaodian.inquiries.diagnosis import diagnose
from xiaodian.inquiries.matching import Ask, OrderFacts, score
from xiaodian.inquiries.replies import FORBIDDEN, draft

NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
DAY = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
WUCHANG = "3591027400000000101"
DAOHUA = "3591027400000000105"
OTHER_SHOP = "别的店铺"


def order(n: int, status="awaiting_shipment", created_at=DAY, pid=WUCHANG, name="【新米】正宗五常大米") -> OrderFacts:
    return OrderFacts(order_id=f"69795139578669{n:05d}", status=status, created_at=created_at,
                      paid_at=None if status == "unpaid" else created_at + timedelta(minutes=2),
                      ship_by=created_at + timedelta(days=3), items=((pid, name, 1),))


def run(orders, ask=Ask(), identity="last4", intent="ship_status", lang="zh"):
    matches = [score(o, ask, identity) for o in orders]
    d = diagnose(matches, intent=intent, identity=identity, stated=bool(ask.date_from or ask.product_ids), now=NOW,
                 dated=ask.date_from is not None)
    return d, draft(d, lang=lang, intent=intent, product=ask.product)


@pytest.mark.parametrize("intent", ["change_address", "other", "ship_status", "logistics"])
def test_the_only_order_of_the_last_4_digits_is_answered_with_a_way_to_correct_it(intent):
    only = order(1, status="unpaid", created_at=NOW - timedelta(minutes=25))
    d, zh = run([only], intent=intent)
    assert d.code == "found_unpaid" and d.confirmed and d.order.order_id == only.order_id
    assert d.facts["picked"] == "only_order"
    assert only.order_id in zh and "下单日期" not in zh and "不是这笔订单" in zh
    _, en = run([only], intent=intent, lang="en")
    assert only.order_id in en and "not the order you mean" in en and "date you ordered" not in en


def test_an_address_change_on_the_only_unshipped_order_says_it_can_still_be_changed():
    d, zh = run([order(1)], intent="change_address")
    assert d.code == "found_awaiting_shipment" and "申请修改地址" in zh


@pytest.mark.parametrize("intent,status", [("ship_status", "awaiting_shipment"),
                                           ("change_address", "awaiting_shipment"),
                                           ("logistics", "shipped"), ("cancel_order", "paid_pending")])
def test_the_one_order_the_question_is_about_among_many_is_answered(intent, status):
    others = [order(i, status="completed", created_at=DAY - timedelta(days=i)) for i in range(2, 10)]
    wanted = order(1, status=status)
    d, zh = run([*others, wanted], intent=intent)
    assert d.confirmed and d.order.order_id == wanted.order_id
    assert d.facts["picked"] == "only_order_for_intent" and "不是这笔订单" in zh


def test_two_orders_the_question_could_be_about_still_ask_for_the_date():
    d, zh = run([order(1), order(2, created_at=DAY - timedelta(days=1))], intent="ship_status")
    assert d.code == "not_found_need_details" and d.facts["missing"] == ["order_date"] and "下单日期" in zh


def test_a_question_naming_no_state_with_several_orders_asks_for_the_date():
    d, _ = run([order(1), order(2, status="completed")], intent="other")
    assert d.code == "not_found_need_details"


def test_a_full_phone_with_one_unshipped_order_among_others_is_answered_and_may_be_corrected():
    others = [order(i, status="completed", created_at=DAY - timedelta(days=i)) for i in range(2, 5)]
    d, zh = run([*others, order(1)], identity="phone")
    assert d.code == "found_awaiting_shipment" and d.facts["picked"] == "only_order_for_intent"
    assert "不是这笔订单" in zh


def test_an_order_found_by_what_the_buyer_said_needs_no_correction_note():
    ask = Ask(date(2026, 11, 20), date(2026, 11, 20), (WUCHANG,), "五常大米")
    d, zh = run([order(1)], ask=ask)
    assert d.code == "found_awaiting_shipment" and "picked" not in d.facts and "不是这笔订单" not in zh


def test_the_buyers_order_of_the_day_before_of_another_product_is_shown_to_confirm_not_another_shop():
    """QA: "我昨天下单的东北大米，地址写错了能改吗" with 0271; the buyer's order is today's 稻花香 (unpaid)."""
    theirs = order(1, status="unpaid", created_at=NOW - timedelta(minutes=25), pid=DAOHUA,
                   name="黑龙江稻花香大米 响水 新米 5kg")
    ask = Ask(date(2026, 11, 23), date(2026, 11, 23), ("3591027400000000104",), "东北大米")
    d, zh = run([theirs], ask=ask, intent="change_address")
    assert d.code == "not_found_with_details" and d.facts["orders_for_identity"] == 1
    assert d.facts["near_order"]["order_id"] == theirs.order_id
    assert OTHER_SHOP not in zh and "其他抖音账号" not in zh
    assert theirs.order_id in zh and "11月24日" in zh and "确认" in zh and "还没有付款" in zh
    _, en = run([theirs], ask=ask, intent="change_address", lang="en")
    assert theirs.order_id in en and "confirm" in en and "another shop" not in en
    for text in (zh, en):
        assert not any(word in text.lower() for word in FORBIDDEN)


def test_orders_of_the_buyer_that_fit_nothing_said_are_counted_not_sent_to_another_shop():
    ask = Ask(date(2026, 11, 10), date(2026, 11, 10), (WUCHANG,), "五常大米")
    d, zh = run([order(1), order(2, created_at=DAY - timedelta(days=5))], ask=ask, identity="phone")
    assert d.code == "not_found_with_details" and "near_order" not in d.facts
    assert OTHER_SHOP not in zh and "2笔" in zh and "订单号" in zh
    _, en = run([order(1), order(2, created_at=DAY - timedelta(days=5))], ask=ask, identity="phone", lang="en")
    assert "another shop" not in en and "2 other orders" in en


def test_several_orders_of_the_day_named_are_not_guessed_between():
    ask = Ask(date(2026, 11, 20), date(2026, 11, 20), ("3591027400000000104",), "东北大米")
    d, zh = run([order(1), order(2)], ask=ask, identity="phone")
    assert d.code == "not_found_with_details" and "near_order" not in d.facts and OTHER_SHOP not in zh


def test_no_order_at_all_for_the_phone_still_points_to_another_account_or_shop():
    ask = Ask(date(2026, 11, 20), date(2026, 11, 20), (WUCHANG,), "五常大米")
    d, zh = run([], ask=ask, identity="phone")
    assert d.code == "not_found_with_details" and "其他抖音账号" in zh
