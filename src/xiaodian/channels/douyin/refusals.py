"""A write-back the platform refused, where the people who acted look (QA pass 8, #2).

The outbox (outbox.py) marks a refused tracking upload or after-sale decision ``failed``; the owner's 抖店连接 page
lists it, but the warehouse and customer service cannot open that page, and the order still read "Shipped" and the
case "商家已拒绝 … 目前商家无需操作" while the platform held neither. So, in the transaction that records the refusal:

- a tracking upload: an order event ``douyin_upload_refused`` (the tracking number, the carrier, the platform's code
  and message), and ``douyin_upload_accepted`` when the same upload is later accepted (the owner retried it);
- a decision: a case history event ``platform_refused`` (the platform's code and message), and
  ``platform_accepted`` once a retry goes through.

The pages ask ``refused_uploads`` / ``refused_decisions`` for the refusals that still stand (the outbox rows still
``failed``) and warn on the order and on the case while they do; the API carries the events in the order's timeline
and the case's history.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import UPLOAD_KINDS, DouyinOutbox
from .operate import KIND as DECISION

UPLOAD_REFUSED, UPLOAD_ACCEPTED = "douyin_upload_refused", "douyin_upload_accepted"  # order events
UPLOAD_SETTLED = "douyin_upload_settled"  # order event: a later sync found the waybill on the platform (settle.py)
# order events of an after-sale decision (its case's history has its own lines): the order's timeline tells the whole
# story of the order, and a refused refund decision is part of it
DECISION_REFUSED_ON_ORDER, DECISION_ACCEPTED_ON_ORDER, DECISION_SETTLED_ON_ORDER = (
    "douyin_decision_refused", "douyin_decision_accepted", "douyin_decision_settled")
DECISION_REFUSED, DECISION_ACCEPTED = "platform_refused", "platform_accepted"  # case history actions
ACTOR = "douyin"


def reason_of(error: dict) -> str:
    """The platform's answer as one line: its sub_code and sub_msg, then its code and msg (``isv.order-already-shipped
    订单已发货，不能重复发货 (40004 业务处理失败)``); a row held by the desk itself has only a ``msg``."""
    main = " ".join(str(error[k]) for k in ("sub_code", "sub_msg") if error.get(k))
    outer = " ".join(str(error[k]) for k in ("code", "msg") if error.get(k) not in (None, "", 0, 10000))
    if main and outer:
        return f"{main} ({outer})"
    return main or outer


def reason_in(detail: str | None) -> str:
    """The platform's reason kept in a ``platform_refused`` history event's detail (the case page's history)."""
    return str(error_of(detail).get("reason") or "")


def held(error: dict) -> bool:
    """A row the desk itself held back (the shop was connected to another Douyin shop, service.py), never answered
    by the platform: no code of the platform's in its error."""
    return not any(error.get(k) for k in ("code", "sub_code", "method"))


def error_of(last_error: str | None) -> dict:
    try:
        error = json.loads(last_error) if last_error else {}
    except ValueError:
        return {"msg": last_error}
    return error if isinstance(error, dict) else {"msg": str(error)}


def _order_pk(session: Session, shop_id: int, order_id: str) -> int | None:
    from ...orders.models import Order

    return session.execute(select(Order.id).where(Order.shop_id == shop_id, Order.order_id == order_id)
                           ).scalar_one_or_none()


def _case_id(session: Session, shop_id: int, aftersale_id: str) -> int | None:
    from ...aftersales.models import AfterSaleCase

    return session.execute(select(AfterSaleCase.id).where(AfterSaleCase.shop_id == shop_id,
                                                          AfterSaleCase.aftersale_id == aftersale_id)
                           ).scalar_one_or_none()


def _upload_detail(row: DouyinOutbox, payload: dict, reason: str | None) -> dict:
    detail = {"tracking_no": payload.get("logistics_code"), "carrier": payload.get("company_code"),
              "shipment_id": row.ref}
    if reason:
        detail["reason"] = reason
    return detail


def _decision_detail(payload: dict, reason: str | None) -> dict:
    """An order event's detail for a decision: its case (for the API; the page leaves the id out, as for every
    after-sale line) and the platform's reason; the event's kind says what happened (the case's history says which
    decision)."""
    detail = {"aftersale_id": aftersale_of(payload)}
    if reason:
        detail["reason"] = reason
    return detail


def record_refused(session: Session, row: DouyinOutbox, payload: dict, error: dict, now: datetime) -> None:
    """The platform refused ``row`` for good (it is now ``failed``): a line on the order's timeline or the case's
    history, with the platform's code and message."""
    reason = reason_of(error)
    if row.kind in UPLOAD_KINDS:
        _order_event(session, row, UPLOAD_REFUSED, _upload_detail(row, payload, reason), now)
    elif row.kind == DECISION:
        _case_event(session, row, payload, DECISION_REFUSED, {"reason": reason, "operate_type": payload.get("type")},
                    now)
        _order_event(session, row, DECISION_REFUSED_ON_ORDER, _decision_detail(payload, reason), now)


def record_accepted(session: Session, row: DouyinOutbox, payload: dict, now: datetime) -> None:
    """``row`` was sent: if an earlier try of it was refused (and written on the order or the case), say that the
    platform has it now. Nothing for a row sent the first time (every upload would add a line)."""
    if row.kind in UPLOAD_KINDS:
        pk = _order_pk(session, row.shop_id, row.order_id)
        if pk is not None and _last_upload_event(session, pk, row.ref) == UPLOAD_REFUSED:
            _order_event(session, row, UPLOAD_ACCEPTED, _upload_detail(row, payload, None), now)
    elif row.kind == DECISION:
        case_id = _case_id(session, row.shop_id, aftersale_of(payload))
        if case_id is not None and _last_decision_event(session, case_id, row.ref) == DECISION_REFUSED:
            _case_event(session, row, payload, DECISION_ACCEPTED, {"operate_type": payload.get("type")}, now)
            _order_event(session, row, DECISION_ACCEPTED_ON_ORDER, _decision_detail(payload, None), now)


def record_settled(session: Session, row: DouyinOutbox, payload: dict, now: datetime) -> None:
    """A later sync found what ``row`` aimed at already on the platform (settle.py): a line where its refusal was
    written, saying the platform has it (done there, not by the desk)."""
    if row.kind in UPLOAD_KINDS:
        _order_event(session, row, UPLOAD_SETTLED, _upload_detail(row, payload, None), now)
    elif row.kind == DECISION:
        _case_event(session, row, payload, DECISION_ACCEPTED,
                    {"operate_type": payload.get("type"), "settled_on_platform": True}, now)
        _order_event(session, row, DECISION_SETTLED_ON_ORDER, _decision_detail(payload, None), now)


def aftersale_of(payload: dict) -> str:
    items = payload.get("items") or [{}]
    return str(items[0].get("aftersale_id") or "")


def _order_event(session: Session, row: DouyinOutbox, kind: str, detail: dict, now: datetime) -> None:
    from ...orders.models import OrderEvent

    pk = _order_pk(session, row.shop_id, row.order_id)
    if pk is None:
        return
    session.add(OrderEvent(shop_id=row.shop_id, order_pk=pk, at=now, recorded_at=now, kind=kind, source="sync",
                           actor=ACTOR, detail=json.dumps(detail, ensure_ascii=False)))


def _case_event(session: Session, row: DouyinOutbox, payload: dict, action: str, detail: dict,
                now: datetime) -> None:
    from ...aftersales.models import AfterSaleEvent

    case_id = _case_id(session, row.shop_id, aftersale_of(payload))
    if case_id is None:
        return
    facts = {k: v for k, v in {**detail, "outbox_ref": row.ref}.items() if v not in (None, "")}
    session.add(AfterSaleEvent(shop_id=row.shop_id, case_id=case_id, at=now, recorded_at=now, action=action,
                               source="sync", actor=ACTOR, detail=json.dumps(facts, ensure_ascii=False)))


def _last_upload_event(session: Session, order_pk: int, ref: str) -> str | None:
    from ...orders.models import OrderEvent

    rows = session.execute(select(OrderEvent.kind, OrderEvent.detail).where(
        OrderEvent.order_pk == order_pk, OrderEvent.kind.in_((UPLOAD_REFUSED, UPLOAD_ACCEPTED)))
        .order_by(OrderEvent.id.desc())).all()
    for kind, detail in rows:
        if str(error_of(detail).get("shipment_id")) == ref:
            return kind
    return None


def _last_decision_event(session: Session, case_id: int, ref: str) -> str | None:
    from ...aftersales.models import AfterSaleEvent

    rows = session.execute(select(AfterSaleEvent.action, AfterSaleEvent.detail).where(
        AfterSaleEvent.case_id == case_id, AfterSaleEvent.action.in_((DECISION_REFUSED, DECISION_ACCEPTED)))
        .order_by(AfterSaleEvent.id.desc())).all()
    for action, detail in rows:
        if error_of(detail).get("outbox_ref") == ref:
            return action
    return None


def refused_uploads(session: Session, shop_id: int, order_id: str) -> list[dict]:
    """The order's tracking uploads the platform refused and nobody has got through since (the outbox rows still
    ``failed``), oldest first: tracking number, carrier code and the platform's reason. For the order page."""
    rows = session.execute(select(DouyinOutbox.payload, DouyinOutbox.last_error)
                           .where(DouyinOutbox.shop_id == shop_id, DouyinOutbox.order_id == order_id,
                                  DouyinOutbox.kind.in_(UPLOAD_KINDS), DouyinOutbox.state == "failed")
                           .order_by(DouyinOutbox.id)).all()
    out = []
    for payload, last_error in rows:
        data, error = error_of(payload), error_of(last_error)
        out.append({"tracking_no": data.get("logistics_code"), "carrier": data.get("company_code"),
                    "reason": reason_of(error) or None, "held": held(error)})
    return out


def refused_decisions(session: Session, shop_id: int, aftersale_id: str) -> list[dict]:
    """The case's decisions the platform refused and nobody has got through since, oldest first, with the
    platform's reason. For the case page. (Few rows per shop are ever failed: the payload is read in Python.)"""
    rows = session.execute(select(DouyinOutbox.payload, DouyinOutbox.last_error)
                           .where(DouyinOutbox.shop_id == shop_id, DouyinOutbox.kind == DECISION,
                                  DouyinOutbox.state == "failed", DouyinOutbox.ref.like(f"{aftersale_id}@%"))
                           .order_by(DouyinOutbox.id)).all()
    out = []
    for payload, last_error in rows:
        data = error_of(payload)
        if aftersale_of(data) != aftersale_id:
            continue
        item = (data.get("items") or [{}])[0]
        error = error_of(last_error)
        out.append({"operate_type": data.get("type"), "reject": "reject_reason_code" in item,
                    "reason": reason_of(error) or None, "held": held(error)})
    return out
