"""Cases as files and sync report them: a snapshot per case (after-sale export row, afterSale.Detail) is
upserted idempotently, and an order export's 售后状态 per SKU row opens or moves a provisional case.

A later snapshot records what changed as history: a new buyer reason is appended, a new status is reached
through service.transition (skipping steps it did not see, never going backwards), a moved deadline is
kept. Re-importing the same snapshot changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..errors import DomainError, InvalidTransition
from ..orders.models import Order, OrderItem
from . import domain, order_close, order_label, reasons, service
from .domain import CaseStatus, CaseType
from .models import AfterSaleCase, AfterSaleReason


@dataclass
class CaseSnapshot:
    """One case as the platform reports it at one moment."""

    aftersale_id: str
    order_id: str
    case_type: CaseType
    status: CaseStatus
    applied_at: datetime
    sku_order_id: str | None = None
    reason: service.BuyerReason | None = None
    refund_fen: int = 0
    postage_fen: int = 0
    quantity: int | None = None
    return_tracking_no: str | None = None
    due_by: datetime | None = None
    buyer_cancelled: bool = False
    seen_at: datetime | None = None  # when the snapshot was taken (the time of a reason change it reveals)
    refund_status: str | None = None  # pending / refunding / failed when the source says (待退款 / 退款中 / 退款失败)


def _find(session: Session, shop_id: int, snap: CaseSnapshot) -> tuple[AfterSaleCase | None, bool]:
    """The stored case the snapshot speaks of, and whether it was a provisional one the snapshot just made real."""
    case = session.execute(select(AfterSaleCase).where(AfterSaleCase.shop_id == shop_id,
                                                       AfterSaleCase.aftersale_id == snap.aftersale_id)
                           ).scalar_one_or_none()
    if case is None and snap.sku_order_id:
        # A case first seen in an order export carries a provisional id; the real one replaces it.
        case = session.execute(select(AfterSaleCase).where(AfterSaleCase.shop_id == shop_id,
                                                           AfterSaleCase.sku_order_id == snap.sku_order_id,
                                                           AfterSaleCase.provisional.is_(True))
                               .order_by(AfterSaleCase.id.desc()).limit(1)).scalar_one_or_none()
        if case is not None:
            case.aftersale_id, case.provisional, case.case_type = snap.aftersale_id, False, snap.case_type.value
            case.applied_at = min(case.applied_at, snap.applied_at)
            return case, True
    return case, False


def upsert_case(session: Session, *, shop_id: int, snap: CaseSnapshot, now: datetime, source: str,
                principal: Principal | None, rules: domain.Deadlines | None = None) -> str:
    """Returns created / updated / unchanged. Raises a DomainError (stale snapshot, unknown order) that the
    caller reports against the file row."""
    seen = snap.seen_at or now
    case, promoted = _find(session, shop_id, snap)
    if case is None:
        case = service.open_case(session, shop_id=shop_id, aftersale_id=snap.aftersale_id, order_id=snap.order_id,
                                 sku_order_id=snap.sku_order_id, case_type=snap.case_type, applied_at=snap.applied_at,
                                 now=now, source=source, principal=principal, reason=snap.reason,
                                 refund_fen=snap.refund_fen, postage_fen=snap.postage_fen, quantity=snap.quantity,
                                 due_by=snap.due_by if snap.status is CaseStatus.WAITING_MERCHANT else None,
                                 rules=rules, provisional=False)
        _catch_up(session, case, snap, now, source, principal, rules, seen)
        return "created"
    if snap.status.value != case.status and not domain.can_catch_up(CaseType(case.case_type), CaseStatus(case.status),
                                                                    snap.status):
        # checked before anything is written, so a refused row leaves no trace (no savepoint needed)
        raise InvalidTransition(f"case {case.aftersale_id} is {case.status}; this snapshot says {snap.status.value}, "
                                "which would move it backwards (an older file?)", code="stale_snapshot",
                                details={"aftersale_id": case.aftersale_id})
    changed = False
    if snap.reason is not None:
        changed |= service.append_reason(session, case, snap.reason, given_at=seen, now=now, source=source) is not None
    if snap.return_tracking_no and snap.return_tracking_no != case.return_tracking_no:
        case.return_tracking_no, changed = snap.return_tracking_no[:40], True
    if snap.refund_fen and snap.refund_fen != case.refund_fen:
        case.refund_fen, changed = snap.refund_fen, True
    if snap.status.value != case.status:
        _catch_up(session, case, snap, now, source, principal, rules, seen)
        changed = True
    else:
        if snap.due_by is not None and snap.due_by != case.due_by and snap.status not in domain.FINISHED:
            case.due_by, case.due_by_source, changed = snap.due_by, "platform", True  # tag 209: deadline moved
            service._case_event(session, case, seen, now, "deadline_changed", source, None,
                                detail={"due_by": snap.due_by.isoformat()})
        if snap.refund_status and snap.refund_status != case.refund_status and case.status == "refunding":
            service.refund_progress(session, case, snap.refund_status, at=seen, now=now, source=source)
            changed = True
    if promoted and case.status == snap.status.value == CaseStatus.SUCCEEDED.value:
        # the order export had already moved the guessed case to 售后成功; now that its type is known, a refund
        # before shipping closes the order as service.transition would have
        changed |= order_close.close_if_refunded(session, case, at=case.finished_at or seen, now=now, source=source,
                                                 principal=principal)
    if changed:
        session.flush()
    return "updated" if changed else "unchanged"


def _catch_up(session, case, snap: CaseSnapshot, now, source, principal, rules, seen) -> None:
    if snap.status.value == case.status:
        return
    if snap.status is CaseStatus.CLOSED and snap.buyer_cancelled and domain.Action.CANCEL in \
            domain.allowed_actions(CaseType(case.case_type), CaseStatus(case.status)):
        service.transition(session, case, action=domain.Action.CANCEL, now=now, at=seen, source=source,
                           principal=principal, rules=rules)
        return
    service.transition(session, case, target=snap.status, now=now, at=seen, source=source, principal=principal,
                       due_by=snap.due_by, rules=rules, detail={"via": source}, refund_status=snap.refund_status)
    if snap.buyer_cancelled and snap.status is CaseStatus.CLOSED:
        case.cancelled_by_buyer = True


def upsert_cases(session: Session, *, shop_id: int, snaps: Sequence[CaseSnapshot], now: datetime, source: str,
                 principal: Principal | None, rules: domain.Deadlines | None = None) -> list[str | DomainError]:
    """One refused snapshot leaves the others applied: upsert_case refuses before it writes anything. (No
    savepoints: under pysqlite a SAVEPOINT opening a transaction commits on RELEASE, which would break dry runs.)"""
    out: list[str | DomainError] = []
    for snap in snaps:
        try:
            out.append(upsert_case(session, shop_id=shop_id, snap=snap, now=now, source=source,
                                   principal=principal, rules=rules))
        except DomainError as exc:
            out.append(exc)
    return out


def from_order_export(session: Session, *, shop_id: int, order_ids: Sequence[str], now: datetime, source: str,
                      principal: Principal | None, rules: domain.Deadlines | None = None) -> int:
    """After an order import: every SKU row whose 售后状态 names a case stage gets a provisional case (or
    moves the one it has). The order export has no case id, type or reason, so the type is a guess and no
    reason is recorded until the after-sale export or sync says what the buyer wrote. Returns cases touched."""
    if not order_ids:
        return 0
    rows = session.execute(
        select(Order.order_id, Order.status, Order.shipped_at, OrderItem.sku_order_id, OrderItem.after_sale_status)
        .join(OrderItem, OrderItem.order_pk == Order.id)
        .where(Order.shop_id == shop_id, Order.order_id.in_(list(order_ids)),
               OrderItem.after_sale_status.is_not(None), OrderItem.after_sale_status != "")).all()
    if not rows:
        return 0
    skus = [r.sku_order_id for r in rows]
    existing: dict[str, AfterSaleCase] = {}
    for case in session.execute(select(AfterSaleCase).where(AfterSaleCase.shop_id == shop_id,
                                                            AfterSaleCase.sku_order_id.in_(skus))
                                .order_by(AfterSaleCase.id)).scalars():
        existing[case.sku_order_id] = case  # the latest case per SKU order
    touched = 0
    for r in rows:
        status = reasons.status_from_text(r.after_sale_status)
        if status is None:
            continue
        case = existing.get(r.sku_order_id)
        if case is not None:
            if case.status == status.value or not domain.can_catch_up(CaseType(case.case_type),
                                                                      CaseStatus(case.status), status):
                continue  # the desk already knows as much or more (its own actions, a later file)
            snap = CaseSnapshot(case.aftersale_id, r.order_id, CaseType(case.case_type), status, case.applied_at,
                                sku_order_id=r.sku_order_id, buyer_cancelled=r.after_sale_status
                                in reasons.BUYER_CANCEL_TEXTS,
                                refund_status=reasons.REFUND_PROGRESS_BY_TEXT.get(r.after_sale_status))
        else:
            kind = reasons.guess_type_from_order(status, r.shipped_at is not None, r.after_sale_status)
            snap = CaseSnapshot(f"sku:{r.sku_order_id}", r.order_id, kind, status, now, sku_order_id=r.sku_order_id,
                                buyer_cancelled=r.after_sale_status in reasons.BUYER_CANCEL_TEXTS,
                                refund_status=reasons.REFUND_PROGRESS_BY_TEXT.get(r.after_sale_status))
        if case is None:  # the SKU order comes from the order itself, so opening cannot be refused
            case = service.open_case(session, shop_id=shop_id, aftersale_id=snap.aftersale_id, order_id=r.order_id,
                                     sku_order_id=r.sku_order_id, case_type=snap.case_type, applied_at=now, now=now,
                                     source=source, principal=principal, rules=rules, provisional=True)
            existing[r.sku_order_id] = case
        _catch_up(session, case, snap, now, source, principal, rules, now)
        touched += 1
    # The file wrote its own 售后状态 texts; where the desk knows a later stage (its own actions), the cases win.
    order_label.refresh(session, {case.order_pk for case in existing.values()})
    return touched


def reason_history(session: Session, case_id: int) -> list[AfterSaleReason]:
    return list(session.execute(select(AfterSaleReason).where(AfterSaleReason.case_id == case_id)
                                .order_by(AfterSaleReason.seq)).scalars())
