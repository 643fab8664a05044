"""Reply drafts after the QA pass of the assistant (care report): the desk asks the buyer only for what is still
missing, never again for what the message or the agent already gave (domain.md §6)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from xiaodian.inquiries.diagnosis import diagnose
from xiaodian.inquiries.matching import Ask, OrderFacts, score
from xiaodian.inquiries.replies import draft
from xiaodian.inquiries.understanding import classify_intent, normalise

NOW = datetime.fromisoformat("2026-11-24T18:00:00+08:00")
DAY = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
WUCHANG = "3591027400000000101"
DATED = Ask(date(2026, 11, 20), date(2026, 11, 20), (WUCHANG,), "五常大米", 2)


def _orders(n: int) -> list[OrderFacts]:
    return [OrderFacts(order_id=f"69795139578669{i:05d}", status="awaiting_shipment", created_at=DAY, paid_at=DAY,
                       items=((WUCHANG, "五常大米", 2),)) for i in range(n)]


def _ask(orders, ask, identity=None, intent="order_missing", dated=None):
    matches = [score(o, ask, identity) for o in orders]
    d = diagnose(matches, intent=intent, identity=identity, stated=bool(ask.date_from or ask.product_ids), now=NOW,
                 dated=ask.date_from is not None if dated is None else dated)
    return d, draft(d, lang="zh", intent=intent, product=ask.product), draft(d, lang="en", intent=intent)


def test_a_buyer_who_named_the_day_is_not_asked_for_the_order_date_again():
    for n in (1, 3):
        d, zh, en = _ask(_orders(n), DATED)
        assert d.facts["missing"] == ["order_id", "phone_last4"]
        assert "订单号" in zh and "后4位" in zh and "下单日期" not in zh and "日期" not in zh
        assert "order number" in en and "last 4 digits" in en and "date" not in en


def test_a_buyer_who_gave_the_last_4_digits_is_asked_for_the_date_only():
    # two unshipped orders for a tracking question: neither is singled out (one order alone would be answered,
    # QA pass 9, #5)
    d, zh, en = _ask(_orders(2), Ask(), identity="last4", intent="logistics")
    assert d.code == "not_found_need_details" and d.facts["missing"] == ["order_date"]
    assert "下单日期" in zh and "后4位" not in zh and "手机号" not in zh
    assert "date" in en and "last 4" not in en and "phone" not in en


def test_a_buyer_who_gave_nothing_is_asked_for_the_order_number_or_the_last_4_digits_and_the_date():
    d, zh, en = _ask([], Ask())
    assert d.facts["missing"] == ["order_id", "phone_last4", "order_date"]
    assert "订单号" in zh and "后4位" in zh and "下单日期" in zh
    assert "order number" in en and "last 4 digits" in en and "date you ordered" in en


@pytest.mark.parametrize("message", ["快递好几天没动了，怎么回事？", "快递不动了", "物流没更新", "好几天没有物流信息",
                                     "快递一直不动", "快递三天没动静了", "快递停了好几天了"])
def test_a_parcel_that_stopped_moving_is_a_logistics_question(message):
    """D16: the page's own example button read as "other" in Chinese while its English version was logistics."""
    assert classify_intent(normalise(message))[0] == "logistics"
