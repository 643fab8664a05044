"""QA pass 9, #8 (the inquiry part): an order held in the platform's risk review (paid_pending) past its ship-by
is described consistently (the ship-by passed while the review holds it, for N days), never as "within the
promise: no" beside "overdue: no", and the reply says how long the review has lasted."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from xiaodian.inquiries.diagnosis import diagnose, order_facts
from xiaodian.inquiries.fact_rows import fact_rows
from xiaodian.inquiries.matching import Ask, OrderFacts, score
from xiaodian.inquiries.replies import FORBIDDEN, draft

NOW = datetime.fromisoformat("2026-11-29T12:05:00+08:00")
PAID = datetime.fromisoformat("2026-11-20T12:47:46+08:00")


def held(paid=PAID, ship_by_hours=48) -> OrderFacts:
    return OrderFacts(order_id="6979515000625292870", status="paid_pending", created_at=paid - timedelta(minutes=1),
                      paid_at=paid, ship_by=paid + timedelta(hours=ship_by_hours),
                      items=(("3591027400000000101", "【新米】正宗五常大米", 2),))


def _answer(order, lang="zh"):
    d = diagnose([score(order, Ask(), "phone")], intent="ship_status", identity="phone", stated=False, now=NOW)
    return d, draft(d, lang=lang, intent="ship_status")


def test_a_review_past_the_ship_by_says_so_and_for_how_many_days():
    facts = order_facts(held(), NOW)
    assert facts["within_promise"] is False and facts["ship_by_passed_in_review"] is True
    assert facts["review_days"] == 9 and "overdue" not in facts


def test_the_reply_tells_the_buyer_the_review_has_lasted_days_and_the_ship_by_passed():
    d, zh = _answer(held())
    assert d.code == "found_paid_pending_review"
    assert "9天" in zh and "风控审核" in zh and "11月22日" in zh and "已经过了" in zh and "联系平台" in zh
    _, en = _answer(held(), "en")
    assert "9 days" in en and "Nov 22" in en and "platform" in en
    for text in (zh, en):
        assert not any(word in text.lower() for word in FORBIDDEN)


def test_a_review_of_today_keeps_the_usual_reply():
    today = NOW - timedelta(hours=2)
    d, zh = _answer(held(paid=today))
    assert d.facts["review_days"] == 0 and "ship_by_passed_in_review" not in d.facts
    assert "天了" not in zh and "审核通过后会进入备货" in zh


def test_a_long_review_within_its_presale_ship_by_does_not_say_it_passed():
    d, zh = _answer(held(ship_by_hours=24 * 30))
    assert d.facts["review_days"] == 9 and d.facts["within_promise"] is True
    assert "9天" in zh and "已经过了" not in zh


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_desk_rows_name_the_review_facts(lang):
    from xiaodian.web.i18n import current_language

    token = current_language.set(lang)
    try:
        rows = {key: (name, value) for key, name, value in fact_rows(order_facts(held(), NOW))}
    finally:
        current_language.reset(token)
    assert rows["review_days"][1] == "9" and "ship_by_passed_in_review" in rows and "overdue" not in rows
    if lang == "zh":
        assert rows["review_days"][0] == "风控审核已持续（天）" and rows["ship_by_passed_in_review"][1] == "是"
