"""A refused write-back that the platform shows done after all (the merchant shipped or decided it in the 抖店 back
office): the sync that brings that state marks the refusal ``settled``, so the warnings on the order and the case go
away, with a line saying so where the refusal was written (refusals.py) and an audit entry.

What counts as done is what the refused write aimed at, as the platform now shows it:

- a tracking upload: the platform's order holds this very waybill (the order sync's ``logistics_info``);
- an after-sale decision: the platform's case is in a status that decision leads to (``AIMS``: an agreed return
  waiting for the buyer's parcel or further on, a rejected case rejected, …). A case the platform moved elsewhere
  (closed by the buyer, arbitration) does not settle it: the refusal stays for the owner to judge.

Rows the desk held back itself (queued for a previously connected Douyin shop) are never settled this way: the
platform never answered them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...accounts import audit
from ...orders.domain import tracking_numbers
from . import operate, refusals
from .models import UPLOAD_KINDS, DouyinOutbox

SETTLED = "settled"  # the outbox state of a refused write found done on the platform

_RETURN_AGREED = frozenset({"waiting_buyer_return", "waiting_receipt", "waiting_merchant_ship",
                            "waiting_buyer_receive", "refunding", "refund_failed", "succeeded"})
_REFUND_AGREED = frozenset({"refunding", "refund_failed", "succeeded"})
_RESEND_AGREED = frozenset({"waiting_merchant_ship", "waiting_buyer_receive", "succeeded"})
# afterSale.operate type → the desk statuses (aftersales.domain.CaseStatus values) of a platform case that holds it.
AIMS = {operate.AGREE_RETURN: _RETURN_AGREED, operate.REJECT_RETURN: frozenset({"rejected"}),
        operate.AGREE_REFUND: _REFUND_AGREED, operate.REJECT_REFUND: frozenset({"rejected"}),
        operate.AGREE_RESEND: _RESEND_AGREED, operate.REJECT_RESEND: frozenset({"rejected"}),
        operate.AGREE_AFTER_RECEIPT: _REFUND_AGREED | _RESEND_AGREED,
        operate.REJECT_AFTER_RECEIPT: frozenset({"rejected_second"})}


def settle_uploads(session: Session, *, shop_id: int, tracking: Mapping[str, str | None], now: datetime) -> int:
    """``tracking``: order id → the waybills the platform's order holds (an OrderRecord's tracking_no) for the orders
    a sync just read. Settles their refused uploads of one of those waybills; returns how many."""
    shown = {order_id: set(tracking_numbers(cell)) for order_id, cell in tracking.items() if cell}
    if not shown:
        return 0
    rows = session.execute(select(DouyinOutbox).where(
        DouyinOutbox.shop_id == shop_id, DouyinOutbox.kind.in_(UPLOAD_KINDS), DouyinOutbox.state == "failed",
        DouyinOutbox.order_id.in_(list(shown)))).scalars().all()
    settled = 0
    for row in rows:
        payload = refusals.error_of(row.payload)
        if str(payload.get("logistics_code") or "") in shown[row.order_id] and _answered(row):
            _settle(session, row, payload, now, target_type="order", target_id=row.order_id)
            settled += 1
    return settled


def settle_decisions(session: Session, *, shop_id: int, aftersale_id: str, platform_status: str,
                     now: datetime) -> int:
    """The platform's case ``aftersale_id`` is now in ``platform_status`` (the desk's name for it): settles its
    refused decisions that status holds; returns how many."""
    rows = session.execute(select(DouyinOutbox).where(
        DouyinOutbox.shop_id == shop_id, DouyinOutbox.kind == operate.KIND, DouyinOutbox.state == "failed",
        DouyinOutbox.ref.like(f"{aftersale_id}@%"))).scalars().all()
    settled = 0
    for row in rows:
        payload = refusals.error_of(row.payload)
        if (refusals.aftersale_of(payload) == aftersale_id and _answered(row)
                and str(platform_status) in AIMS.get(payload.get("type"), ())):
            _settle(session, row, payload, now, target_type="aftersale", target_id=aftersale_id)
            settled += 1
    return settled


def _answered(row: DouyinOutbox) -> bool:
    return not refusals.held(refusals.error_of(row.last_error))


def _settle(session: Session, row: DouyinOutbox, payload: dict, now: datetime, *, target_type: str,
            target_id: str) -> None:
    from .service import SYNC

    row.state = SETTLED
    audit.record(session, principal=SYNC, action="douyin.refusal_settled", now=now, shop_id=row.shop_id,
                 target_type=target_type, target_id=target_id,
                 detail={"kind": row.kind, "ref": row.ref, "settled": "the platform already shows it",
                         "refused": refusals.error_of(row.last_error), "payload": json.loads(row.payload)})
    refusals.record_settled(session, row, payload, now)
