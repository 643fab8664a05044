"""QA pass 10, D21: a buyer asking where the parcel is, while it is stuck, is answered by the parcel (since when it
has not moved, that the shop is chasing the carrier by name), not by an after-sale case on the order; the case is
mentioned only aside, without asking them to send back goods that have not arrived."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from xiaodian.inquiries.diagnosis import Diagnosis, order_facts, status_code
from xiaodian.inquiries.replies import FORBIDDEN, draft
from xiaodian.inquiries.matching import AfterSaleFact, LogisticsFact, OrderFacts, Tracking

TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=TZ)
RETURN_CASE = AfterSaleFact(status="待买家退货", kind="退货退款", case_id="7100", deadline=NOW + timedelta(days=3),
                            status_key="waiting_buyer_return", kind_key="return_refund", whose_move="buyer")


def order(state: str = "in_transit", anomalies: tuple[str, ...] = ("物流停滞",), status: str = "shipped",
          after_sale: AfterSaleFact | None = RETURN_CASE) -> OrderFacts:
    return OrderFacts(
        order_id="6979412056524507425", status=status, created_at=NOW - timedelta(days=6),
        paid_at=NOW - timedelta(days=6), shipped_at=NOW - timedelta(days=5), items=(("1", "五常大米 5kg", 1),),
        tracking=(Tracking(carrier="圆通速递", tracking_no="YT1", shipped_at=NOW - timedelta(days=5)),),
        logistics=LogisticsFact(state=state, label="运输中", last_event_at=datetime(2026, 11, 25, 9, 30, tzinfo=TZ),
                                last_event="快件已到达【杭州转运中心】", anomalies=anomalies),
        after_sale=after_sale)


def reply(o: OrderFacts, intent: str = "logistics", lang: str = "zh") -> tuple[str, str]:
    code = status_code(o, intent, NOW)
    d = Diagnosis(code, {**order_facts(o, NOW), "identity_confirmed": True}, o, True)
    return code, draft(d, lang=lang, intent=intent)


def test_a_stalled_parcel_with_a_return_case_is_answered_by_the_parcel():
    code, text = reply(order())
    assert code == "found_shipped"
    assert "11月25日 09:30以后一直没有新的物流更新" in text and "联系圆通速递" in text
    assert text.index("物流更新") < text.index("售后申请")  # the case comes second
    assert "寄出" not in text and "寄回" not in text and "之前" not in text
    assert not any(word in text for word in FORBIDDEN)


def test_the_english_reply_names_the_stall_and_the_carrier():
    _code, text = reply(order(), lang="en")
    assert "has not moved since Nov 25, 09:30" in text and "YTO Express" in text
    assert "send" not in text.lower()


@pytest.mark.parametrize(("state", "anomalies", "words"), [
    ("pending", ("揽收超时",), "还没有揽收"), ("refused", (), "拒收"), ("returned", (), "退回"),
    ("problem", (), "疑难件")])
def test_other_parcel_troubles_are_said_as_they_are(state, anomalies, words):
    code, text = reply(order(state=state, anomalies=anomalies))
    assert code == "found_shipped" and words in text and "圆通速递" in text


def test_a_question_about_the_case_still_gets_the_case():
    code, text = reply(order(), intent="after_sale_status")
    assert code == "found_after_sale" and "待买家退货" in text


def test_a_moving_parcel_with_an_open_case_still_gets_the_case():
    code, _text = reply(order(anomalies=()))
    assert code == "found_after_sale"


def test_a_stalled_parcel_without_a_case_says_so_too():
    code, text = reply(order(after_sale=None))
    assert code == "found_shipped" and "联系圆通速递" in text and "售后" not in text
