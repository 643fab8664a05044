"""The merchant's after-sale decisions written back with afterSale.operate (issue 8 item 4), through the same
outbox as the tracking uploads: a decision taken in the desk queues one row in the decision's own transaction (only
when the shop is connected and its write switch is on), and the sync job sends it. Without this the platform
never hears the merchant's answer, its deadline runs out and it decides for the buyer (domain.md §4).

Which decisions the platform hears (domain.md §4/§5): the first review (agree / reject the request, node 6
待商家同意) and the second review after the return arrived (node 11 待商家二次同意: confirm receipt = agree, or
reject → 29 商家二次拒绝). A reject carries the reject reason code (§5: "reject needs a reject reason code").
Paying a refund out and shipping a re-send are not afterSale.operate decisions and are not sent from here.

ASSUMPTIONS (the exact contract is not in domain.md; kept here, in one place, and followed by the local fake):
- param_json is ``{"type": <code>, "items": [{"aftersale_id", "reject_reason_code"?, "remark"?}]}``;
- the operate type codes are those in ``OPERATE_TYPES`` below (first/second review × agree/reject, refund-only
  cases apart from cases where goods move);
- the desk's reject codes (aftersales.domain.REJECT_CODES) are sent as ``reject_reason_code`` as they are;
- sub_code ``isv.aftersale-already-operated`` means the platform already holds this decision (taken there by
  hand, or our earlier answer was lost): the row counts as sent.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import DouyinConnection, DouyinOutbox

KIND = "aftersale_operate"
METHOD = "afterSale.operate"
ALREADY_DONE = frozenset({"isv.aftersale-already-operated"})

# (review, decision, goods move?) → afterSale.operate ``type``. Assumed codes (see the module docstring).
AGREE_RETURN, REJECT_RETURN = 101, 102  # first review of a case where goods come back (退货退款 / 换货 / 维修)
AGREE_AFTER_RECEIPT, REJECT_AFTER_RECEIPT = 111, 112  # second review: the return arrived (待商家二次同意)
AGREE_REFUND, REJECT_REFUND = 201, 202  # first review of a refund-only case (仅退款 / 价保)
AGREE_RESEND, REJECT_RESEND = 301, 302  # first review of a re-send (补寄)
OPERATE_TYPES = {
    ("first", "agree", "return"): AGREE_RETURN, ("first", "reject", "return"): REJECT_RETURN,
    ("first", "agree", "refund"): AGREE_REFUND, ("first", "reject", "refund"): REJECT_REFUND,
    ("first", "agree", "resend"): AGREE_RESEND, ("first", "reject", "resend"): REJECT_RESEND,
    ("second", "agree", "return"): AGREE_AFTER_RECEIPT, ("second", "reject", "return"): REJECT_AFTER_RECEIPT,
}
# The desk's case type → how goods move (aftersales.domain.CaseType values; strings, so no import of aftersales).
GOODS = {"refund_shipped": "refund", "refund_unshipped": "refund", "price_protection": "refund",
         "return_refund": "return", "exchange": "return", "repair": "return", "resend": "resend"}
# (status the decision was taken in, the desk's action) → (review, decision); anything else is not sent.
DECISIONS = {("waiting_merchant", "agree"): ("first", "agree"), ("waiting_merchant", "reject"): ("first", "reject"),
             ("waiting_receipt", "receive"): ("second", "agree"), ("waiting_receipt", "reject"): ("second", "reject")}


def operate_params(*, aftersale_id: str, case_type: str, from_status: str, action: str,
                   reject_code: str | None = None, note: str | None = None) -> dict | None:
    """The afterSale.operate param_json for a decision, or None when the platform need not hear about it."""
    decision = DECISIONS.get((from_status, action))
    goods = GOODS.get(case_type)
    code = OPERATE_TYPES.get((*decision, goods)) if decision and goods else None
    if code is None:
        return None
    item: dict = {"aftersale_id": aftersale_id}
    if decision[1] == "reject":
        item["reject_reason_code"] = reject_code
    if note:
        item["remark"] = note[:200]
    return {"type": code, "items": [item]}


def queue_aftersale_operate(session: Session, *, shop_id: int, aftersale_id: str, order_id: str, case_type: str,
                            from_status: str, action: str, version: datetime, now: datetime,
                            reject_code: str | None = None, note: str | None = None) -> int:
    """Called by the after-sales desk right after a merchant decision, in its transaction. Returns rows queued:
    0 when the shop is not connected, its writes are off, or the platform need not hear about this action.
    ``version`` is the case's modified_at before the decision: the desk's conditional update lets exactly one
    decision happen per version, so (case, version) is the decision's identity and the unique outbox key keeps it
    from being queued twice, while a later decision on the same case (rejected, the buyer re-applied, rejected
    again) is a new row."""
    enabled = session.execute(select(DouyinConnection.write_enabled)
                              .where(DouyinConnection.shop_id == shop_id)).scalar_one_or_none()
    params = operate_params(aftersale_id=aftersale_id, case_type=case_type, from_status=from_status, action=action,
                            reject_code=reject_code, note=note)
    if not enabled or params is None:
        return 0
    session.add(DouyinOutbox(shop_id=shop_id, kind=KIND, ref=f"{aftersale_id}@{version:%Y%m%d%H%M%S%f}",
                             order_id=order_id, payload=json.dumps(params, ensure_ascii=False, sort_keys=True),
                             state="pending", attempts=0, created_at=now))
    return 1
