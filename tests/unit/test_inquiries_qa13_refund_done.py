"""QA pass 13, #10: a buyer asking about an order that was closed and refunded before shipping was told 「退款会按原
支付方式退回」, money to come, nine days after it had been paid back. The reply now says the refund was made (when, if
the after-sale case knows) and where to look for it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xiaodian.inquiries.matching import AfterSaleFact

from .test_inquiries_diagnosis import DAY, order, run

CLOSED = DAY + timedelta(minutes=40)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refund_made_is_told_in_the_past_with_its_time(lang):
    refunded = AfterSaleFact("退款成功", kind="仅退款", open=False, status_key="refunded", refunded_at=CLOSED)
    d, reply = run([order(status="cancelled", cancelled_at=CLOSED, cancel_reason="买家申请退款", after_sale=refunded)],
                   lang=lang)
    assert d.code == "found_cancelled_refunded"
    if lang == "zh":
        assert "退款已于11月20日" in reply and "完成" in reply and "会按原支付方式退回。" not in reply
    else:
        assert "The refund was made on" in reply and "goes back the way it was paid." not in reply


def test_without_a_refund_time_the_reply_still_says_it_was_sent_back():
    d, reply = run([order(status="cancelled", cancelled_at=CLOSED, cancel_reason="买家申请退款：多拍/拍错/不想要")])
    assert d.code == "found_cancelled_refunded"
    assert "已按原支付方式原路退回" in reply and "退款会按原支付方式退回" not in reply
    _, english = run([order(status="cancelled", cancelled_at=CLOSED, cancel_reason="买家申请退款")], lang="en")
    assert "was sent back the way it was paid" in english
