"""The order's 售后状态 label (orders.after_sale_status and each SKU order's) kept in step with its after-sale cases.

Why: the order list, the order page, the pick list and the API show an order's after-sale stage from that column,
which an export file first filled in. Once the desk holds the order's cases, the cases are the truth (they move with
every merchant action, buyer event and platform decision), so every case change writes the label again here, in one
place: the open case that needs the merchant soonest, else the latest finished case's outcome. A stored text that
already says the same stage (a platform synonym such as 售后中 for 待商家处理) is kept as the platform wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..orders.models import Order
from . import domain, reasons
from .domain import CaseStatus
from .models import AfterSaleCase

# The platform's words for each stage (domain.md §4), all of them read back by reasons.status_from_text.
TEXT_OF = {
    CaseStatus.WAITING_MERCHANT: "待商家处理", CaseStatus.WAITING_BUYER_RETURN: "待买家退货",
    CaseStatus.WAITING_RECEIPT: "待商家收货", CaseStatus.WAITING_MERCHANT_SHIP: "待商家发货",
    CaseStatus.WAITING_BUYER_RECEIVE: "待买家收货", CaseStatus.REFUNDING: "待退款",
    CaseStatus.REFUND_FAILED: "退款失败",
    CaseStatus.REJECTED: "商家一次拒绝", CaseStatus.REJECTED_SECOND: "商家二次拒绝", CaseStatus.ARBITRATING: "平台介入",
    CaseStatus.SUCCEEDED: "售后成功", CaseStatus.CLOSED: "售后关闭",
}
REFUNDING_TEXT = "退款中"  # refund status 2: the agreed refund is on its way (待退款 is refund status 1)
BUYER_CANCELLED_TEXT = "买家撤销"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def case_text(case: AfterSaleCase) -> str:
    """One case's stage in the platform's words."""
    status = CaseStatus(case.status)
    if status is CaseStatus.REFUNDING and case.refund_status == "refunding":
        return REFUNDING_TEXT
    if status is CaseStatus.CLOSED and case.cancelled_by_buyer:
        return BUYER_CANCELLED_TEXT
    return TEXT_OF[status]


def _urgency(case: AfterSaleCase) -> tuple:
    """Open cases first; among them the merchant's move before anyone else's, then the nearest deadline; among
    finished cases the latest to finish."""
    status = CaseStatus(case.status)
    if status in domain.FINISHED:
        return (2, -(case.finished_at or case.status_since or _EPOCH).timestamp(), -case.id)
    due = case.due_by.timestamp() if case.due_by is not None else float("inf")
    return (0 if status in domain.MERCHANT_TURN else 1, due, -case.id)


def label_for(cases: Sequence[AfterSaleCase]) -> AfterSaleCase | None:
    """The case an order's label speaks for, or None when there is no case."""
    return min(cases, key=_urgency, default=None)


def _says_the_same(text: str | None, case: AfterSaleCase) -> bool:
    """Whether a stored text already names this case's stage (and, for an agreed refund, its progress)."""
    status = reasons.status_from_text(text)
    if status is None or status.value != case.status:
        return False
    if status is CaseStatus.REFUNDING:
        return reasons.REFUND_PROGRESS_BY_TEXT.get((text or "").strip(), "pending") == (case.refund_status or "pending")
    return True


def _text(stored: str | None, cases: Sequence[AfterSaleCase]) -> str | None:
    case = label_for(cases)
    if case is None:
        return stored  # no case here: what the file said stands (the 售后中 tab reads it the same way)
    return stored if _says_the_same(stored, case) else case_text(case)


def refresh(session: Session, order_pks: Iterable[int]) -> None:
    """Write the labels of these orders and of their SKU orders from their cases. Called after every case change
    (service.open_case, service.transition, service.refund_progress) and after an order import moved cases."""
    pks = sorted(set(order_pks))
    for start in range(0, len(pks), 500):
        chunk = pks[start:start + 500]
        by_order: dict[int, list[AfterSaleCase]] = {}
        for case in session.execute(select(AfterSaleCase).where(AfterSaleCase.order_pk.in_(chunk))).scalars():
            by_order.setdefault(case.order_pk, []).append(case)
        for order in session.execute(select(Order).where(Order.id.in_(list(by_order)))).scalars():
            _relabel(order, by_order[order.id])


def _relabel(order: Order, cases: list[AfterSaleCase]) -> None:
    text = _text(order.after_sale_status, cases)
    if text != order.after_sale_status:
        order.after_sale_status = text
    for item in order.items:
        own = [c for c in cases if c.sku_order_id == item.sku_order_id]
        text = _text(item.after_sale_status, own)
        if text != item.after_sale_status:
            item.after_sale_status = text


def refresh_shop(session: Session, shop_id: int) -> int:
    """Write the labels of every order of the shop that has cases; returns how many orders' labels changed. Run
    once on a database whose labels were written before they followed the cases (``xiaodian aftersales
    relabel``): until then such an order keeps a stale label until its next case change."""
    pks = list(session.execute(select(AfterSaleCase.order_pk).where(AfterSaleCase.shop_id == shop_id).distinct())
               .scalars())
    before = _labels(session, pks)
    refresh(session, pks)
    session.flush()
    return sum(1 for pk, text in _labels(session, pks).items() if before.get(pk) != text)


def _labels(session: Session, pks: list[int]) -> dict[int, tuple]:
    out: dict[int, tuple] = {}
    for start in range(0, len(pks), 500):
        for order in session.execute(select(Order).where(Order.id.in_(pks[start:start + 500]))).scalars():
            out[order.id] = (order.after_sale_status, *(i.after_sale_status for i in order.items))
    return out
