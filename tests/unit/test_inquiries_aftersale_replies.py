"""After-sale replies by the case's status and whose move it is (care report D2): the buyer is told what happens
next and who does it, an apology once the shop missed a deadline, the merchant's reason for a rejection, and that a
refund was made and when, in Chinese and English."""

from __future__ import annotations

from datetime import datetime

from xiaodian.inquiries.diagnosis import Diagnosis
from xiaodian.inquiries.matching import AfterSaleFact, OrderFacts
from xiaodian.inquiries.replies import FORBIDDEN, draft

DAY = datetime.fromisoformat("2026-11-20T10:00:00+08:00")
DUE = datetime.fromisoformat("2026-11-26T02:16:00+08:00")


def _replies(fact: AfterSaleFact, intent: str = "after_sale_status") -> tuple[str, str]:
    order = OrderFacts(order_id="6979494586568818955", status="shipped", created_at=DAY, paid_at=DAY,
                       items=(("1", "五常大米", 2),), after_sale=fact)
    d = Diagnosis("found_after_sale", {}, order, True)
    zh, en = draft(d, lang="zh", intent=intent), draft(d, lang="en", intent=intent)
    for text in (zh, en):
        assert not any(word in text for word in FORBIDDEN), text
    return zh, en


def test_a_passed_deadline_on_the_shops_move_is_owned_with_an_apology():
    fact = AfterSaleFact(status="待商家发货", kind="补寄", deadline=DUE, status_key="waiting_merchant_ship",
                         kind_key="resend", whose_move="merchant", overdue=True)
    zh, en = _replies(fact)
    assert "超过了处理时限（11月26日 02:16）" in zh and "很抱歉" in zh and "寄给您" in zh
    assert "has passed" in en and "Nov 26, 02:16" in en and "sorry" in en.lower()
    assert "待商家发货" not in en and "Waiting for merchant to ship" in en and "Re-send" in en


def test_a_deadline_still_ahead_is_given_without_an_apology_for_lateness():
    fact = AfterSaleFact(status="待商家同意", deadline=DUE, status_key="waiting_merchant", kind_key="return_refund",
                         whose_move="merchant", overdue=False)
    zh, en = _replies(fact)
    assert "处理时限是11月26日 02:16" in zh and "超过" not in zh
    assert "due by Nov 26, 02:16" in en and "passed" not in en


def test_waiting_for_the_buyers_return_says_the_buyer_sends_the_goods_back():
    fact = AfterSaleFact(status="待买家退货", deadline=DUE, status_key="waiting_buyer_return",
                         kind_key="return_refund", whose_move="buyer")
    zh, en = _replies(fact)
    assert "需要您把商品寄回" in zh and "退货物流单号" in zh and "11月26日 02:16之前寄出" in zh
    assert "我们会按流程尽快处理" not in zh
    assert "send the goods back" in en and "by Nov 26, 02:16" in en and "Waiting for buyer to return" in en


def test_a_refunded_case_says_the_refund_was_made_and_when_without_promising_arrival():
    refunded = datetime.fromisoformat("2026-11-28T22:27:00+08:00")
    fact = AfterSaleFact(status="售后成功", status_key="succeeded", kind_key="refund_shipped", refund_status=None,
                         open=False, refunded_at=refunded)
    zh, en = _replies(fact)
    assert "退款已于11月28日 22:27完成" in zh and "原支付方式" in zh and "银行或支付渠道" in zh
    assert "尽快处理" not in zh
    assert "refund was made on Nov 28, 22:27" in en and "bank or payment channel" in en
    for text in (zh, en):  # domain.md gives no arrival figure: none is invented
        assert not any(w in text for w in ("工作日", "小时内", "天内", "business day", "within"))


def test_an_export_only_refund_success_is_still_told_as_a_refund():
    zh, en = _replies(AfterSaleFact(status="退款成功", status_key="succeeded", open=False))
    assert "退款已经完成" in zh and "The refund was made:" in en


def test_a_rejection_gives_the_merchants_recorded_reason():
    fact = AfterSaleFact(status="商家已拒绝", deadline=DUE, status_key="rejected", kind_key="refund_shipped",
                         whose_move="buyer", overdue=True, reject_code="evidence_insufficient",
                         reject_note="照片看不出问题")
    zh, en = _replies(fact)
    assert "原因：照片看不出问题" in zh and "11月26日" not in zh
    assert "Evidence does not show the problem" in en and "Nov 26" not in en
    ahead = AfterSaleFact(status="商家已拒绝", deadline=DUE, status_key="rejected", whose_move="buyer",
                          reject_code="beyond_policy")
    zh, en = _replies(ahead)
    assert "11月26日 02:16之前" in zh and "修改申请" in zh and "Outside the after-sale policy" in en
