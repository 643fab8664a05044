"""After-sale use cases: the one status choke point (transition), merchant actions, buyer and platform events,
the buyer's reasons (append only) and the communication log. The only API that web, CLI, jobs, import files
and (later) sync call; each call runs in the caller's transaction.

Every status change writes, in the same transaction: the case's new status and deadline, a case event, a
line in the order's timeline, an audit entry naming who (a person, or the import/sync that reported
what the buyer or the platform did), and the order's 售后状态 label (order_label.refresh). A refund before shipping
that now covers the whole unshipped order closes the order too (order_close, domain.md §1 发货前退款完结).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..clock import version_after
from ..errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from ..orders.models import Order, OrderEvent, OrderItem
from ..shipping.resend import record_resend
from ..shipping.service import check_carrier_and_number, unusual_number
from . import domain, order_close, order_label
from .domain import Action, CaseStatus, CaseType, Refusal
from .models import AfterSaleCase, AfterSaleContact, AfterSaleEvent, AfterSaleReason

CHANNELS = ("feige", "phone", "sms", "other")  # 飞鸽 / 电话 / 短信 / other
MAX_TEXT = 1000
MAX_TRACKING, MAX_CARRIER, MAX_OUTCOME = 40, 50, 200  # the columns' sizes, and the API's limits


def _refuse_too_long(field: str, value: str | None, limit: int) -> None:
    """Refuse what would otherwise be cut to fit: a note or summary loses no words without the person knowing."""
    if value is not None and len(value.strip()) > limit:
        raise ValidationFailed(f"{field}: at most {limit} characters (got {len(value.strip())})",
                               code="too_long", details={"field": field, "max_length": limit})


# Told of every merchant decision inside its transaction: (session, case, action, from_status, version, given, now).
# A sales channel registers here (Douyin queues afterSale.operate), so this capability imports no channel.
_DECISION_LISTENERS: list = []


def register_decision_listener(listener) -> None:
    """A channel that must tell its platform about the merchant's decisions (agree, reject …) registers once."""
    if listener not in _DECISION_LISTENERS:
        _DECISION_LISTENERS.append(listener)


@dataclass(frozen=True)
class BuyerReason:
    """A reason exactly as the buyer gave it on the platform."""

    text: str
    code: str | None = None
    remark: str | None = None
    evidence_count: int = 0

    def same_as(self, row: AfterSaleReason | None) -> bool:
        return row is not None and (row.text, row.code or None, row.remark or None, row.evidence_count) == (
            self.text, self.code or None, self.remark or None, self.evidence_count)


def deadlines_from(settings) -> domain.Deadlines:
    """The node durations from settings (assumptions: merchant 48 h to respond, buyer 7 days to return,
    merchant 10 days to confirm receipt)."""
    if settings is None:
        return domain.Deadlines()
    return domain.Deadlines(merchant_respond=timedelta(hours=settings.aftersales_merchant_respond_hours),
                            buyer_return=timedelta(days=settings.aftersales_buyer_return_days),
                            merchant_receive=timedelta(days=settings.aftersales_merchant_receive_days))



def _order_line(session, case: AfterSaleCase, at: datetime, now: datetime, source: str, actor: str | None,
                detail: dict) -> None:
    session.add(OrderEvent(shop_id=case.shop_id, order_pk=case.order_pk, at=at, recorded_at=now, kind="aftersale",
                           source=source, actor=actor,
                           detail=json.dumps({"aftersale_id": case.aftersale_id, "type": case.case_type, **detail},
                                             ensure_ascii=False)))


def _case_event(session, case, at, now, action: str, source, actor, frm=None, to=None, detail=None) -> None:
    session.add(AfterSaleEvent(shop_id=case.shop_id, case_id=case.id, at=at, recorded_at=now, action=action,
                               from_status=frm, to_status=to, source=source, actor=actor,
                               detail=json.dumps(detail, ensure_ascii=False) if detail else None))


def transition(session: Session, case: AfterSaleCase, *, now: datetime, source: str,
               principal: Principal | None, action: Action | None = None, target: CaseStatus | None = None,
               at: datetime | None = None, due_by: datetime | None = None, rules: domain.Deadlines | None = None,
               detail: dict | None = None, refund_status: str | None = None) -> CaseStatus:
    """THE place a case's status changes. ``action`` (a person's or an event's) is checked against the
    transition table; ``target`` (a later snapshot from a file or sync) must be reachable without going
    backwards. Raises InvalidTransition with a stable code; on success writes the status, the node deadline
    (the platform's when given, else the assumed one), a case event, the order's timeline and the audit log.
    The conditional UPDATE on modified_at refuses a concurrent change instead of overwriting it."""
    current = CaseStatus(case.status)
    kind = CaseType(case.case_type)
    try:
        if action is not None:
            new = domain.next_status(kind, current, action)
        elif target is not None and domain.can_catch_up(kind, current, target):
            new = target
        else:
            raise Refusal("stale_snapshot", f"the case is {current.value}; a snapshot cannot move it back to {target}")
    except Refusal as refusal:
        raise InvalidTransition(refusal.message, code=refusal.code,
                                details={"aftersale_id": case.aftersale_id, "status": current.value,
                                         "action": action.value if action else None}) from None
    at = at or now
    values = {"status": new.value, "modified_at": version_after(case.modified_at, now)}
    if new != current:
        values["status_since"] = at
    if new in domain.FINISHED:
        values |= {"due_by": None, "due_by_source": None, "finished_at": at}
    elif due_by is not None:
        values |= {"due_by": due_by, "due_by_source": "platform"}
    elif new != current:
        values |= {"due_by": domain.deadline_for(new, at, rules or domain.Deadlines()), "due_by_source": "assumed"}
    if new is CaseStatus.REFUNDING:  # retried: paid out again, so 退款中 rather than 待退款
        values["refund_status"] = "refunding" if action is Action.RETRY_REFUND else (refund_status or "pending")
    elif new is CaseStatus.REFUND_FAILED:
        values["refund_status"] = "failed"
    elif new is CaseStatus.SUCCEEDED and domain.FLOW_OF[kind] in (domain.Flow.REFUND, domain.Flow.RETURN_REFUND):
        values["refund_status"] = "succeeded"
    if action is Action.CANCEL:
        values["cancelled_by_buyer"] = True
    table = AfterSaleCase.__table__
    changed = session.execute(update(table).where(table.c.id == case.id, table.c.modified_at == case.modified_at)
                              .values(**values)).rowcount
    if changed != 1:
        raise Conflict(f"after-sale case {case.aftersale_id} was changed by someone else just now; reload it",
                       code="concurrent_change", details={"aftersale_id": case.aftersale_id})
    for key, value in values.items():
        setattr(case, key, value)
    session.flush()  # keep the identity map in step with the UPDATE above
    name = action.value if action else "status_synced"
    who = principal.login if principal and action and domain.ACTOR_OF[action] is domain.Actor.MERCHANT else None
    facts = {k: v for k, v in (detail or {}).items() if v not in (None, "")}
    if new is CaseStatus.REFUNDING and values.get("refund_status") == "refunding":
        facts.setdefault("refund_status", "refunding")  # the history then reads 退款中, as the case's header does
    _case_event(session, case, at, now, name, source, who, current.value, new.value, facts)
    _order_line(session, case, at, now, source, who, {"action": name, "from": current.value, "to": new.value, **facts})
    audit.record(session, principal=principal, action=f"aftersales.{name}", now=now, shop_id=case.shop_id,
                 target_type="aftersale", target_id=case.aftersale_id, before={"status": current.value},
                 after={"status": new.value, **facts})
    order_label.refresh(session, [case.order_pk])
    if new is CaseStatus.SUCCEEDED and new != current and kind is CaseType.REFUND_UNSHIPPED:
        # refunded before shipping: the platform closes an order so refunded in full, and so does the desk
        order_close.close_if_refunded(session, case, at=at, now=now, source=source, principal=principal)
    return new


def refund_progress(session: Session, case: AfterSaleCase, refund_status: str, *, at: datetime, now: datetime,
                    source: str) -> None:
    """The platform reports how an agreed refund is going without the case changing status (待退款 → 退款中):
    kept on the case and shown in its history and the order's timeline."""
    if refund_status not in ("pending", "refunding"):
        raise ValidationFailed(f"refund progress {refund_status!r} is not pending or refunding",
                               code="refund_status_invalid", details={"field": "refund_status"})
    before, case.refund_status = case.refund_status, refund_status
    detail = {"refund_status": refund_status, "previous": before}
    _case_event(session, case, at, now, "refund_progress", source, None, detail=detail)
    _order_line(session, case, at, now, source, None, {"action": "refund_progress", "refund_status": refund_status})
    order_label.refresh(session, [case.order_pk])


def append_reason(session: Session, case: AfterSaleCase, reason: BuyerReason, *, given_at: datetime, now: datetime,
                  source: str) -> AfterSaleReason | None:
    """Record a reason the buyer gave (the first, or a change the buyer made on the platform). Inserts only;
    an identical reason is not recorded twice. The desk has no way to write a reason on the buyer's behalf:
    callers are the apply/modify events reported by import files and sync."""
    text = (reason.text or "").strip()[:100]
    if not text:
        return None
    reason = BuyerReason(text, (reason.code or None), (reason.remark or None), max(int(reason.evidence_count or 0), 0))
    current = session.get(AfterSaleReason, case.current_reason_id) if case.current_reason_id else None
    if reason.same_as(current):
        return None
    seq = (session.execute(select(func.max(AfterSaleReason.seq)).where(AfterSaleReason.case_id == case.id))
           .scalar() or 0) + 1
    row = AfterSaleReason(shop_id=case.shop_id, case_id=case.id, seq=seq, text=text, code=reason.code,
                          remark=reason.remark, evidence_count=min(reason.evidence_count, 8), given_at=given_at,
                          recorded_at=now, source=source)
    session.add(row)
    session.flush()
    case.current_reason_id = row.id
    if case.first_reason_id is None:
        case.first_reason_id = row.id
    detail = {"reason": text, "seq": seq, "previous": current.text if current else None}
    _case_event(session, case, given_at, now, "reason_given" if seq == 1 else "reason_changed", source, None,
                detail=detail)
    if seq > 1:
        _order_line(session, case, given_at, now, source, None, {"action": "reason_changed", **detail})
    return row


def require_case(session: Session, shop_id: int, aftersale_id: str) -> AfterSaleCase:
    case = session.execute(select(AfterSaleCase).where(AfterSaleCase.shop_id == shop_id,
                                                       AfterSaleCase.aftersale_id == aftersale_id.strip())
                           ).scalar_one_or_none()
    if case is None:
        raise NotFound(f"after-sale case {aftersale_id} not found", details={"aftersale_id": aftersale_id})
    return case


def open_case(session: Session, *, shop_id: int, aftersale_id: str, order_id: str, sku_order_id: str | None,
              case_type: CaseType, applied_at: datetime, now: datetime, source: str, principal: Principal | None,
              reason: BuyerReason | None = None, refund_fen: int = 0, postage_fen: int = 0, quantity: int | None = None,
              due_by: datetime | None = None, rules: domain.Deadlines | None = None,
              provisional: bool = False) -> AfterSaleCase:
    """The buyer applied (push tag 200, or a case first seen in a file): a new case waiting for the merchant."""
    order = session.execute(select(Order).where(Order.shop_id == shop_id, Order.order_id == order_id)
                            ).scalar_one_or_none()
    if order is None:
        raise NotFound(f"order {order_id} not found; import the order before its after-sale cases",
                       code="order_not_found", details={"order_id": order_id})
    item = _item(order, sku_order_id)
    if session.execute(select(AfterSaleCase.id).where(AfterSaleCase.shop_id == shop_id,
                                                      AfterSaleCase.aftersale_id == aftersale_id)).first():
        raise Conflict(f"after-sale case {aftersale_id} already exists", code="case_exists")
    status = CaseStatus.WAITING_MERCHANT
    case = AfterSaleCase(shop_id=shop_id, aftersale_id=aftersale_id, provisional=provisional, order_pk=order.id,
                         sku_order_id=item.sku_order_id, product_id=item.product_id, case_type=case_type.value,
                         status=status.value, refund_status=None, refund_fen=max(refund_fen, 0),
                         postage_fen=max(postage_fen, 0), quantity=quantity or item.quantity, applied_at=applied_at,
                         status_since=applied_at, due_by=due_by or domain.deadline_for(status, applied_at,
                                                                                      rules or domain.Deadlines()),
                         due_by_source="platform" if due_by else "assumed", cancelled_by_buyer=False, source=source,
                         recorded_at=now, modified_at=now)
    session.add(case)
    session.flush()
    detail = {"action": "apply", "to": status.value, "refund_fen": case.refund_fen, "sku_order_id": item.sku_order_id}
    _case_event(session, case, applied_at, now, "apply", source, None, None, status.value, detail)
    _order_line(session, case, applied_at, now, source, None, detail)
    order_label.refresh(session, [order.id])
    audit.record(session, principal=principal, action="aftersales.apply", now=now, shop_id=shop_id,
                 target_type="aftersale", target_id=aftersale_id, after={"status": status.value, "type": case_type.value,
                                                                         "order_id": order_id})
    if reason is not None:
        append_reason(session, case, reason, given_at=applied_at, now=now, source=source)
    return case


def _item(order: Order, sku_order_id: str | None) -> OrderItem:
    if sku_order_id:
        for item in order.items:
            if item.sku_order_id == sku_order_id:
                return item
        raise ValidationFailed(f"SKU order {sku_order_id} is not part of order {order.order_id}",
                               code="item_not_in_order", details={"field": "sku_order_id"})
    if not order.items:
        raise ValidationFailed(f"order {order.order_id} has no items", code="item_not_in_order")
    return order.items[0]


def buyer_event(session: Session, case: AfterSaleCase, action: Action, *, now: datetime, at: datetime | None = None,
                source: str, principal: Principal | None = None, reason: BuyerReason | None = None,
                tracking_no: str | None = None, carrier: str | None = None, due_by: datetime | None = None,
                rules: domain.Deadlines | None = None) -> CaseStatus:
    """What the buyer did on the platform, as import or sync reports it. A modification may carry a new
    reason: that is the only way a reason changes, and it is appended, never written over."""
    if domain.ACTOR_OF[action] is not domain.Actor.BUYER:
        raise ValidationFailed(f"{action.value} is not a buyer event", code="not_a_buyer_event")
    at = at or now
    detail = {}
    if action is Action.SHIP_RETURN:
        domain_input = domain.ActionInput(tracking_no=tracking_no, carrier=carrier)
        _check(case, action, domain_input)
        case.return_tracking_no, case.return_carrier = tracking_no.strip()[:40], (carrier or None)
        detail = {"tracking_no": case.return_tracking_no, "carrier": carrier}
    new = transition(session, case, action=action, now=now, at=at, source=source, principal=principal,
                     due_by=due_by, rules=rules, detail=detail)
    if action is Action.MODIFY and reason is not None:
        append_reason(session, case, reason, given_at=at, now=now, source=source)
    return new


def platform_event(session: Session, case: AfterSaleCase, action: Action, *, now: datetime, source: str,
                   at: datetime | None = None, principal: Principal | None = None, due_by: datetime | None = None,
                   rules: domain.Deadlines | None = None) -> CaseStatus:
    """What the platform decided (auto-agree on timeout, arbitration, refund done)."""
    if domain.ACTOR_OF[action] is not domain.Actor.PLATFORM:
        raise ValidationFailed(f"{action.value} is not a platform event", code="not_a_platform_event")
    return transition(session, case, action=action, now=now, at=at, source=source, principal=principal,
                      due_by=due_by, rules=rules)


def _check(case: AfterSaleCase, action: Action, given: domain.ActionInput) -> None:
    try:
        domain.next_status(CaseType(case.case_type), CaseStatus(case.status), action)
        domain.check_input(action, given)
    except Refusal as refusal:
        error = ValidationFailed if refusal.code.endswith("_required") else InvalidTransition
        raise error(refusal.message, code=refusal.code, details={"aftersale_id": case.aftersale_id,
                                                                 "status": case.status}) from None


def merchant_action(session: Session, *, shop_id: int, aftersale_id: str, action: Action, given: domain.ActionInput,
                    principal: Principal, now: datetime, rules: domain.Deadlines | None = None) -> AfterSaleCase:
    """Agree, reject (reason code + note), confirm receipt (inspection), refund, or ship the exchange /
    re-send (tracking). The role is checked here, so warehouse staff cannot decide through any channel; shipping
    the exchange or re-send is theirs too (aftersales.ship): they pack it and hold its tracking number."""
    check(principal.role, "aftersales.ship" if action is Action.RESHIP else "aftersales.decide")
    if domain.ACTOR_OF.get(action) is not domain.Actor.MERCHANT:
        raise ValidationFailed(f"{action.value} is not something the merchant does", code="not_a_merchant_action")
    for field, value, limit in (("note", given.note, MAX_TEXT), ("tracking_no", given.tracking_no, MAX_TRACKING),
                                ("carrier", given.carrier, MAX_CARRIER)):
        _refuse_too_long(field, value, limit)
    case = require_case(session, shop_id, aftersale_id)
    _check(case, action, given)
    if action is Action.REFUND and case.status == CaseStatus.REFUNDING.value and case.refund_status == "refunding":
        raise Conflict("the platform reports this refund as under way (退款中): it settles by itself when the money "
                       "arrives; paying it again would refund twice", code="refund_in_progress",
                       details={"aftersale_id": case.aftersale_id, "status": case.status})
    if action is Action.RESHIP:
        given = _checked_reship(given)
    paid_back = _checked_refund_amount(session, case, given) if action in domain.PAYING_ACTIONS else {}
    detail: dict = {}
    if action is Action.REJECT and given.reject_code == "already_shipped" and not _has_parcel(session, case):
        raise ValidationFailed("the order has no parcel: 已发货 (refuse the parcel, return it instead) would tell the "
                               "platform something untrue; ship it first, or choose another reason",
                               code="reject_reason_untrue", details={"field": "reject_code",
                                                                      "aftersale_id": case.aftersale_id})
    if action is Action.REJECT:
        case.reject_code, case.reject_note = given.reject_code, given.note.strip()
        detail = {"reject_code": given.reject_code, "note": case.reject_note}
    elif action is Action.RECEIVE:
        case.inspection = given.inspection
        detail = {"inspection": given.inspection, "note": (given.note or "").strip() or None}
    elif action is Action.RESHIP:
        _record_resend_parcel(session, case, given, principal, now)
        case.reship_tracking_no, case.reship_carrier = given.tracking_no, given.carrier
        detail = {"tracking_no": given.tracking_no, "carrier": given.carrier}
    elif given.note:
        detail = {"note": given.note.strip()}
    if paid_back.get("refund_entered"):
        case.refund_fen = paid_back["refund_fen"]
    detail |= paid_back
    from_status, version = case.status, case.modified_at
    transition(session, case, action=action, now=now, source=principal.channel, principal=principal, rules=rules,
               detail=detail)
    for listener in _DECISION_LISTENERS:  # the platform must hear the decision, or its deadline decides for the buyer
        listener(session, case, action=action.value, from_status=from_status, version=version, given=given, now=now)
    return case


def _has_parcel(session: Session, case: AfterSaleCase) -> bool:
    """Whether the case's order has a parcel of its own (a shipment of kind 'order')."""
    from ..orders.models import ORDER_PARCEL, Shipment

    return session.execute(select(Shipment.id).where(Shipment.order_pk == case.order_pk, ORDER_PARCEL)
                           .limit(1)).first() is not None


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


@dataclass(frozen=True)
class RefundLimit:
    """The most a refund of a case may still give back, and why: what the SKU order paid, less what other cases on
    the same order already paid back (or are paying back) on it. ``earlier`` names those cases (售后单号, fen)."""

    max_fen: int
    paid_fen: int
    earlier: tuple[tuple[str, int], ...] = ()

    @property
    def refunded_fen(self) -> int:
        return sum(fen for _, fen in self.earlier)

    @property
    def refunded_by(self) -> list[str]:
        return [case_id for case_id, _ in self.earlier]

    def details(self) -> dict:
        """The error details a refused amount carries: the page and the API name the cases that used the rest."""
        return {"max_fen": self.max_fen, "paid_fen": self.paid_fen, "refunded_fen": self.refunded_fen,
                "refunded_by": self.refunded_by}


# the refund of a case in these statuses is paid out, or being paid: its money is no longer the buyer's to claim
_MONEY_GIVEN = (CaseStatus.SUCCEEDED.value, CaseStatus.REFUNDING.value, CaseStatus.REFUND_FAILED.value)


def refund_limit(session: Session, case: AfterSaleCase) -> RefundLimit:
    """What the case's SKU order paid, the most a refund of it gives back: a single-item order's paid amount
    (postage included, which a refund before shipping returns too); an item of a larger order, its own amount,
    never more than the whole order paid. Money other cases already gave back is taken off, on the item and on the
    order: a buyer who had ¥30 back for a crushed bag cannot then have the full ¥89 back for the same item, which
    the platform would refuse and the desk would have shown as settled."""
    paid = session.execute(select(Order.pay_amount_fen).where(Order.id == case.order_pk)).scalar_one() or 0
    items = session.execute(select(OrderItem.sku_order_id, OrderItem.amount_fen)
                            .where(OrderItem.order_pk == case.order_pk)).all()
    own = paid if len(items) <= 1 else min(next((amount for sku, amount in items if sku == case.sku_order_id), paid),
                                           paid)
    others = session.execute(
        select(AfterSaleCase.aftersale_id, AfterSaleCase.sku_order_id, AfterSaleCase.refund_fen)
        .where(AfterSaleCase.order_pk == case.order_pk, AfterSaleCase.id != case.id,
               AfterSaleCase.case_type.in_([t.value for t in domain.REFUND_TYPES]), AfterSaleCase.refund_fen > 0,
               AfterSaleCase.status.in_(_MONEY_GIVEN))
        .order_by(AfterSaleCase.aftersale_id)).all()
    same_item = len(items) <= 1
    on_item = [(a, fen) for a, sku, fen in others if same_item or sku == case.sku_order_id]
    item_left = own - sum(fen for _, fen in on_item)
    order_left = paid - sum(fen for _, _, fen in others)
    if item_left <= order_left:  # name the refunds that bound it: the item's own, or the whole order's
        return RefundLimit(max_fen=max(item_left, 0), paid_fen=own, earlier=tuple(on_item))
    return RefundLimit(max_fen=max(order_left, 0), paid_fen=paid, earlier=tuple((a, fen) for a, _, fen in others))


def refund_amount_from_yuan(value: str | None) -> int | None:
    """An amount a person typed in yuan (238, 238.00, ¥238.00) as fen for ActionInput.refund_fen; blank is None.
    The web form and the CLI take yuan, as the platform shows it; the API takes fen, as all its money."""
    from ..channels.exportfile.values import BadValue, fen

    if not (value or "").strip():
        return None
    try:
        return fen(value.strip(), "the refund amount")
    except BadValue as exc:
        raise ValidationFailed(exc.message, code="refund_amount_invalid", details={"field": "refund_fen"}) from None


def _checked_refund_amount(session: Session, case: AfterSaleCase, given: domain.ActionInput) -> dict:
    """The amount a refund (or a retried one) pays back, for its history and audit line. A case whose amount is
    not known (opened from an order export, which carries none) is never refunded as ¥0.00: the person gives the
    amount the buyer applied for, as the platform shows it, more than ¥0.00 and at most what the SKU order paid
    (422 refund_amount_required / refund_amount_invalid, naming the most allowed). A known amount (the after-sale
    export's or sync's) is the platform's: a different one given is refused rather than written over it."""
    ids = {"aftersale_id": case.aftersale_id, "field": "refund_fen"}
    if domain.refund_amount_known(case.case_type, case.refund_fen):
        if given.refund_fen is not None and given.refund_fen != case.refund_fen:
            raise ValidationFailed(f"this case's refund amount is known ({_yuan(case.refund_fen)}, as the platform "
                                   "reported it); leave the amount out", code="refund_amount_invalid",
                                   details={**ids, "refund_fen": case.refund_fen})
        return {"refund_fen": case.refund_fen}
    limit = refund_limit(session, case)
    by = ", ".join(limit.refunded_by)
    given_back = f", less {_yuan(limit.refunded_fen)} already refunded by case {by}" if limit.earlier else ""
    if limit.max_fen <= 0:
        raise ValidationFailed(f"nothing is left to refund on this item: other cases already refunded "
                               f"{_yuan(limit.refunded_fen)} of the {_yuan(limit.paid_fen)} it was paid "
                               f"(case {by})", code="refund_amount_invalid",
                               details={**ids, **limit.details()})
    if given.refund_fen is None:
        raise ValidationFailed(
            "the refund amount of this case is not known (the order export does not carry it): give the amount the "
            f"buyer applied for, as the platform's after-sale page shows it (at most {_yuan(limit.max_fen)}, what the "
            f"item was paid{given_back}), or import the after-sale export first", code="refund_amount_required",
            details={**ids, **limit.details()})
    if not 0 < given.refund_fen <= limit.max_fen:
        raise ValidationFailed(f"the refund amount must be more than ¥0.00 and at most {_yuan(limit.max_fen)} (what "
                               f"the item was paid{given_back}); got {_yuan(given.refund_fen)}",
                               code="refund_amount_invalid", details={**ids, **limit.details()})
    return {"refund_fen": given.refund_fen, "refund_entered": True}


def _checked_reship(given: domain.ActionInput) -> domain.ActionInput:
    """A re-send / exchange parcel is a parcel like any other: the buyer and the platform track it by carrier and
    number, so it passes shipping's own checks (a carrier from the desk's list, a number of 8–32 letters or digits;
    422 naming the field) and, like a single shipment, a number unusual for its carrier ships only once the person
    confirms (409 confirmation_required). Returns the input with the carrier's code and the normalised number."""
    carrier, number, warnings = check_carrier_and_number(given.carrier or "", given.tracking_no or "")
    if warnings and not given.confirm_warnings:
        raise unusual_number(carrier, number, warnings)
    return replace(given, carrier=carrier.code, tracking_no=number)


def _record_resend_parcel(session: Session, case: AfterSaleCase, given: domain.ActionInput, principal: Principal,
                         now: datetime) -> None:
    """The parcel goes to the buyer who already had one failure: logistics must watch it like any shipped parcel
    (a shipment row of kind 'resend', shipping.resend), and its number must be one no order already carries."""
    from ..shipping.domain import find_carrier

    order_id = session.execute(select(Order.order_id).where(Order.id == case.order_pk)).scalar_one()
    carrier = find_carrier(given.carrier)
    record_resend(session, shop_id=case.shop_id, order_pk=case.order_pk, order_id=order_id,
                  aftersale_case_id=case.id, carrier_code=given.carrier,
                  carrier_name=carrier.name if carrier else given.carrier, tracking_no=given.tracking_no, now=now,
                  source=principal.channel)


def add_contact(session: Session, *, shop_id: int, aftersale_id: str, channel: str, summary: str,
                outcome: str | None, principal: Principal, now: datetime) -> AfterSaleContact:
    """Log a conversation with the buyer. Talking is to understand and solve the problem; the log has no
    field for a reason, because the desk never asks a buyer to change one."""
    check(principal.role, "aftersales.decide")
    case = require_case(session, shop_id, aftersale_id)
    if channel not in CHANNELS:
        raise ValidationFailed(f"channel must be one of {', '.join(CHANNELS)}", details={"field": "channel"})
    summary = (summary or "").strip()
    if not summary:
        raise ValidationFailed("write a short summary of the conversation", code="summary_required",
                               details={"field": "summary"})
    _refuse_too_long("summary", summary, MAX_TEXT)
    _refuse_too_long("outcome", outcome, MAX_OUTCOME)
    row = AfterSaleContact(shop_id=shop_id, case_id=case.id, at=now, channel=channel, summary=summary,
                           outcome=(outcome or "").strip() or None, actor=principal.login)
    session.add(row)
    session.flush()
    _case_event(session, case, now, now, "contact", principal.channel, principal.login,
                detail={"channel": channel, "outcome": row.outcome})
    audit.record(session, principal=principal, action="aftersales.contact", now=now, shop_id=shop_id,
                 target_type="aftersale", target_id=case.aftersale_id,
                 after={"channel": channel, "summary": row.summary, "outcome": row.outcome})
    return row


class RefundHolds(set):
    """The order ids a refund stops from shipping (a set, as before), and ``agreed``: those of them whose refund the
    shop has already agreed (待退款 / 退款失败: the money is still to be paid), which close when it is paid. Every
    other one is still the buyer's request waiting for the shop's (or the platform's) decision. The warehouse is
    told apart: "refund pending, reject it to ship" would be wrong advice on an agreed refund (QA pass 10, D13)."""

    def __init__(self, held=(), agreed=()):
        super().__init__(held)
        self.agreed: frozenset[str] = frozenset(agreed) & frozenset(self)


# A refund the merchant agreed and has not paid out yet: the order is not to ship, and nothing is left to decide.
REFUND_AGREED = frozenset({CaseStatus.REFUNDING, CaseStatus.REFUND_FAILED})


def refund_pending_orders(session: Session, shop_id: int, order_ids: Sequence[str]) -> RefundHolds:
    """The order ids among ``order_ids`` that pending_refund_blocker refuses to ship (the same rule, in two reads
    per 900 ids), so a deadline view, the ship form and the pick list can say so before anyone packs the box; with
    ``.agreed``, those whose every blocking refund is agreed already (REFUND_AGREED, or the export's 待退款 /
    退款中)."""
    from ..shipping.service import AGREED_REFUND_TEXTS, PENDING_REFUND_TEXTS

    unique = list(dict.fromkeys(order_ids))
    blocked: set[str] = set()
    by_case: set[str] = set()  # held by a case of the desk's: agreed unless one of them is still undecided
    undecided: set[str] = set()
    agreed_texts: set[str] = set()
    for start in range(0, len(unique), 900):
        chunk = unique[start:start + 900]
        with_cases: set[str] = set()
        for order_id, status, case_type in session.execute(
                select(Order.order_id, AfterSaleCase.status, AfterSaleCase.case_type)
                .join(AfterSaleCase, AfterSaleCase.order_pk == Order.id)
                .where(Order.shop_id == shop_id, Order.order_id.in_(chunk))):
            with_cases.add(order_id)
            if domain.case_blocks_shipping(status, case_type):
                blocked.add(order_id)
                by_case.add(order_id)
                if CaseStatus(status) not in REFUND_AGREED:
                    undecided.add(order_id)
        for order_id, text in session.execute(
                select(Order.order_id, Order.after_sale_status)
                .where(Order.shop_id == shop_id, Order.order_id.in_(chunk), Order.after_sale_status.is_not(None))):
            if order_id not in with_cases and text.strip() in PENDING_REFUND_TEXTS:
                blocked.add(order_id)
                if text.strip() in AGREED_REFUND_TEXTS:
                    agreed_texts.add(order_id)
    return RefundHolds(blocked, (by_case - undecided) | agreed_texts)


def refund_pending_unshipped(session: Session, shop_id: int, unshipped_pks: Collection[int]) -> set[int]:
    """Those of ``unshipped_pks`` (row ids of the shop's unshipped orders) that pending_refund_blocker refuses to
    ship: the forecast leaves them out of the packing plan (packing them is wasted work until the refund is
    refused). The same rule for a whole shop at once, without reading order rows: the open refund cases (few, by
    status), and the row ids under the export's pending 售后状态 texts from their index (a shop can hold tens of
    thousands of shipped orders 售后中; reading each one's status cost ~100 ms at 1M orders), kept when unshipped
    and the desk has no case for them."""
    from ..shipping.service import PENDING_REFUND_TEXTS

    unshipped = unshipped_pks if isinstance(unshipped_pks, (set, frozenset)) else set(unshipped_pks)
    blocked = {pk for pk in session.execute(
        select(AfterSaleCase.order_pk)
        .where(AfterSaleCase.shop_id == shop_id, AfterSaleCase.status.in_([s.value for s in domain.BLOCKS_SHIPPING]),
               AfterSaleCase.case_type.in_([t.value for t in domain.REFUND_TYPES]))).scalars() if pk in unshipped}
    by_text = [pk for pk in session.execute(
        select(Order.id).where(Order.shop_id == shop_id,
                               Order.after_sale_status.in_(sorted(PENDING_REFUND_TEXTS)))).scalars() if pk in unshipped]
    for start in range(0, len(by_text), 900):
        chunk = by_text[start:start + 900]
        with_case = set(session.execute(select(AfterSaleCase.order_pk).where(AfterSaleCase.order_pk.in_(chunk)))
                        .scalars())
        blocked.update(pk for pk in chunk if pk not in with_case)
    return blocked


def pending_refund_blocker(session: Session, order: Order) -> tuple[str, str] | None:
    """A pending refund on an unshipped order blocks shipping (domain.md §4) until the merchant rejects it.
    An order whose cases the desk has never seen falls back to the export's 售后状态 text."""
    rows = session.execute(select(AfterSaleCase.aftersale_id, AfterSaleCase.status, AfterSaleCase.case_type)
                           .where(AfterSaleCase.order_pk == order.id)).all()
    blocking = [(aftersale_id, status) for aftersale_id, status, case_type in rows
                if domain.case_blocks_shipping(status, case_type)]
    undecided = [(aftersale_id, status) for aftersale_id, status in blocking
                 if CaseStatus(status) not in REFUND_AGREED]
    if undecided:
        aftersale_id, status = undecided[0]
        return ("refund_pending", f"the buyer has asked for a refund (after-sale {aftersale_id}, "
                                  f"{status.replace('_', ' ')}); "
                                  "reject the refund request before shipping")
    if blocking:  # agreed already: nothing to reject (QA pass 10, D13: the API still advised rejecting it)
        aftersale_id, status = blocking[0]
        return ("refund_pending", f"the refund is agreed (after-sale {aftersale_id}, {status.replace('_', ' ')}): "
                                  "do not ship; the order closes when the refund is paid")
    if not rows:
        from ..shipping.service import AGREED_REFUND_TEXTS, PENDING_REFUND_TEXTS

        text = (order.after_sale_status or "").strip()
        if text in AGREED_REFUND_TEXTS:
            return ("refund_pending", f"the refund is agreed ({text}): do not ship; the order closes when the refund "
                                      "is paid")
        if text in PENDING_REFUND_TEXTS:
            return ("refund_pending", f"the buyer has asked for a refund ({order.after_sale_status}); reject the "
                                      "refund request before shipping")
    return None
