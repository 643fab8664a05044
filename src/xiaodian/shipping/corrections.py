"""Correcting a mistyped tracking number on a shipment (carrier and/or number), with a reason: the same checks as
shipping, refused once the parcel is in the carrier's hands or the desk's limits have passed; recorded in the order's
timeline, the audit log and the shipment's correction history. The one use case pages, API and CLI call.

The old and new numbers are both kept: a changed number is exactly what a fake-shipment (虚假发货) review asks about.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import allowed, check
from ..accounts.service import Principal
from ..clock import iso
from ..db import row_id
from ..errors import Conflict, NotFound, ValidationFailed
from ..orders.models import RESEND, Order, OrderEvent, Shipment
from ..orders.queries import require_order
from . import domain
from .models import ShippingSettings, TrackingCorrection
from .queries import get_settings
from .resend import move_case_number, resend_cases
from .service import check_carrier_and_number, lock_tracking_numbers, refuse_if_owned, unusual_number

MAX_REASON = 200


class CorrectionRefused(Conflict):
    """The number can no longer be corrected (parcel picked up or signed, order done, a limit passed)."""

    code = "correction_refused"


def correction_rules(row: ShippingSettings) -> domain.CorrectionRules:
    return domain.CorrectionRules(window_hours=row.correction_window_hours, max_corrections=row.max_corrections)


@dataclass
class ShipmentState:
    """A package of an order as the correction form and the API show it: may its number still be corrected?"""

    shipment_id: int
    carrier_code: str | None
    carrier: str | None
    tracking_no: str
    shipped_at: datetime | None
    parcel_state: str | None
    corrections: int
    correctable: bool
    refusal_code: str | None
    refusal: str | None
    resend_of: str | None = None  # an after-sale re-send (补寄): its case's aftersale_id

    def as_json(self) -> dict:
        """Times in shop time (+08:00), as every other JSON output gives them (QA 5 E17: this gave the stored UTC)."""
        out = asdict(self)
        out["shipped_at"] = iso(self.shipped_at)
        return out


def _parcels(session: Session, shipment_ids: list[int]) -> dict[int, tuple[str, bool]]:
    """(state, picked up?) of each package, as the logistics capability knows it."""
    from ..logistics.queries import shipment_parcel_states

    return shipment_parcel_states(session, shipment_ids)


def _correction_counts(session: Session, shipment_ids: list[int]) -> dict[int, int]:
    if not shipment_ids:
        return {}
    return dict(session.execute(select(TrackingCorrection.shipment_id, func.count())
                                .where(TrackingCorrection.shipment_id.in_(shipment_ids))
                                .group_by(TrackingCorrection.shipment_id)).all())


def shipment_states(session: Session, shop_id: int, order: Order, now: datetime,
                    rules: domain.CorrectionRules | None = None) -> list[ShipmentState]:
    """The order's packages, its own first and then its after-sale re-sends (补寄), each with whether its number may
    still be corrected: an own parcel by the order's status, a re-send by its case (it usually goes out on a
    completed order), both by the parcel itself (no carrier scan yet, the window, the count)."""
    rules = rules or correction_rules(get_settings(session, shop_id))
    shipments = list(session.execute(select(Shipment).where(Shipment.order_pk == order.id)
                                     .order_by(Shipment.kind == RESEND, Shipment.id)).scalars())
    ids = [s.id for s in shipments]
    parcels, counts, cases = _parcels(session, ids), _correction_counts(session, ids), resend_cases(session, ids)
    out = []
    for s in shipments:
        state, picked = parcels.get(s.id, (None, False))
        made = counts.get(s.id, 0)
        if s.kind == RESEND:
            case, finished = cases.get(s.id, (None, True))  # a re-send whose case is gone is no one's to correct
            refusal = domain.resend_correction_refusal(finished, state, picked, s.shipped_at, made, now, rules)
        else:
            case, refusal = None, domain.correction_refusal(order.status, state, picked, s.shipped_at, made, now, rules)
        out.append(ShipmentState(s.id, s.carrier_code, s.carrier_name or s.carrier_code, s.tracking_no, s.shipped_at,
                                 state, made, refusal is None, refusal[0] if refusal else None,
                                 refusal[1] if refusal else None, case))
    return out


def order_shipment_states(session: Session, *, shop_id: int, order_id: str, now: datetime) -> tuple[Order,
                                                                                                   list[ShipmentState]]:
    order = require_order(session, shop_id, order_id)
    return order, shipment_states(session, shop_id, order, now)


def corrections_of(session: Session, order_pk: int) -> list[TrackingCorrection]:
    return list(session.execute(select(TrackingCorrection).where(TrackingCorrection.order_pk == order_pk)
                                .order_by(TrackingCorrection.at, TrackingCorrection.id)).scalars())


def find_shipment(session: Session, order: Order, *, shipment_id: int | str | None = None,
                  tracking_no: str | None = None) -> Shipment:
    """The order's package by id, or by its current number (the CLI's --old): its own, or an after-sale re-send."""
    query = select(Shipment).where(Shipment.order_pk == order.id)
    if shipment_id is not None:
        pk = row_id(shipment_id)
        if pk is None:
            raise NotFound(f"order {order.order_id} has no shipment {str(shipment_id)[:40]}",
                           code="shipment_not_found", details={"shipment_id": str(shipment_id)[:40]})
        query = query.where(Shipment.id == pk)
    else:
        query = query.where(Shipment.tracking_no == domain.normalise_tracking(tracking_no))
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        what = f"shipment {shipment_id}" if shipment_id is not None else f"tracking number {tracking_no}"
        raise NotFound(f"order {order.order_id} has no {what}", code="shipment_not_found",
                       details={"order_id": order.order_id})
    return found


def may_correct(role: str, *, resend: bool) -> bool:
    """Whether this role corrects this kind of parcel (see correct_tracking): the page offers the form only then."""
    if resend:
        return allowed(role, "shipping.ship") or allowed(role, "aftersales.decide")
    return allowed(role, "shipping.ship")


def check_may_correct(role: str, *, resend: bool) -> None:
    if not may_correct(role, resend=resend):
        check(role, "shipping.ship")  # the refusal names the permission an own parcel needs


def correct_tracking(session: Session, *, shop_id: int, order_id: str, carrier: str, tracking_no: str, reason: str,
                     principal: Principal, now: datetime, shipment_id: int | str | None = None,
                     old_tracking_no: str | None = None, confirm_warnings: bool = False) -> dict:
    """Correct one package's carrier and/or number, in the caller's transaction. Refusals carry stable codes:
    ``correction_refused`` (details.reason_code says why), ``validation_failed``/``tracking_*`` (the same checks as
    shipping), ``tracking_in_use``, ``confirmation_required``, ``concurrent_change``.

    Who: an order's own parcel is the warehouse's (shipping.ship); an after-sale re-send (补寄) is recorded by
    customer service with the case (aftersales.decide), so they may correct its number too, without asking the
    warehouse."""
    check(principal.role, "shipping.correct")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("give a reason for the correction (e.g. 单号输错一位)", code="reason_required",
                               details={"field": "reason"})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"the reason is longer than {MAX_REASON} characters", details={"field": "reason"})
    order = require_order(session, shop_id, order_id.strip())
    shipment = find_shipment(session, order, shipment_id=shipment_id, tracking_no=old_tracking_no)
    [state] = [s for s in shipment_states(session, shop_id, order, now) if s.shipment_id == shipment.id]
    check_may_correct(principal.role, resend=state.resend_of is not None)
    if not state.correctable:
        raise CorrectionRefused(state.refusal, details={"reason_code": state.refusal_code, "order_id": order.order_id,
                                                        "shipment_id": shipment.id})
    new_carrier, number, warnings = check_carrier_and_number(carrier, tracking_no)
    if (new_carrier.code, number) == (shipment.carrier_code, shipment.tracking_no):
        raise ValidationFailed("the carrier and number are what the package already has; nothing to correct",
                               code="correction_unchanged", details={"field": "tracking_no"})
    lock_tracking_numbers(session, shop_id, [number])  # the check below and the update stand or fall together
    owner = session.execute(select(Order.order_id, Shipment.id).join(Shipment, Shipment.order_pk == Order.id)
                            .where(Shipment.shop_id == shop_id, Shipment.tracking_no == number,
                                   Shipment.id != shipment.id).limit(1)).first()
    if state.resend_of is not None:  # checked as a new re-send's number is (shipping.resend.refuse_taken_number)
        refuse_if_owned(number, owner[0] if owner else None, order.order_id)
    if owner is not None:
        raise Conflict(f"{number} is already used on order {owner[0]}", code="tracking_in_use",
                       details={"tracking_no": number, "order_id": owner[0]})
    if warnings and not confirm_warnings:
        raise unusual_number(new_carrier, number, warnings, then="save it")
    before = {"carrier": shipment.carrier_name or shipment.carrier_code, "carrier_code": shipment.carrier_code,
              "tracking_no": shipment.tracking_no}
    after = {"carrier": new_carrier.name, "carrier_code": new_carrier.code, "tracking_no": number}
    table = Shipment.__table__
    changed = session.execute(update(table).where(table.c.id == shipment.id,
                                                  table.c.tracking_no == shipment.tracking_no)
                              .values(carrier_code=new_carrier.code, carrier_name=new_carrier.name,
                                      tracking_no=number).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict("someone else changed this package's number just now; reload and check",
                       code="concurrent_change", details={"shipment_id": shipment.id})
    session.expire(shipment)
    session.add(TrackingCorrection(shop_id=shop_id, order_pk=order.id, shipment_id=shipment.id,
                                   old_carrier_code=before["carrier_code"], old_tracking_no=before["tracking_no"],
                                   new_carrier_code=new_carrier.code, new_tracking_no=number, reason=reason, at=now,
                                   actor=principal.login, source=principal.channel))
    if state.resend_of is None:
        from ..channels.douyin.outbox import amend_logistics_upload

        platform = amend_logistics_upload(session, shop_id=shop_id, shipment_id=shipment.id,
                                          carrier_code=new_carrier.code, tracking_no=number)
    else:  # the order's shipment on Douyin is its own parcel: a re-send is never uploaded as one, nor amended
        platform = None
        move_case_number(session, shipment, carrier_code=new_carrier.code, tracking_no=number, now=now,
                         principal=principal, old_tracking_no=before["tracking_no"], reason=reason)
    resend = {"resend_of": state.resend_of} if state.resend_of is not None else {}
    detail = {"shipment_id": shipment.id, **resend, "before": before, "after": after, "reason": reason}
    if platform:
        detail["platform_upload"] = platform
    if warnings:
        detail["confirmed_warnings"] = warnings
    session.add(OrderEvent(shop_id=shop_id, order_pk=order.id, at=now, recorded_at=now, kind="tracking_edited",
                           source=principal.channel, actor=principal.login,
                           detail=json.dumps(detail, ensure_ascii=False)))
    audit.record(session, principal=principal, action="shipping.correct_tracking", now=now, shop_id=shop_id,
                 target_type="order", target_id=order.order_id, before=before, after=after,
                 detail={"shipment_id": shipment.id, **resend, "reason": reason})
    _restart_tracking(session, shop_id, order.id, shipment.id, now, principal,
                      f"tracking number corrected: {before['tracking_no']} → {number} ({reason})")
    return {"order_id": order.order_id, "shipment_id": shipment.id, "resend_of": state.resend_of, "before": before,
            "after": after, "reason": reason, "warnings": warnings, "corrections": state.corrections + 1,
            "platform_upload": platform}


def _restart_tracking(session: Session, shop_id: int, order_pk: int, shipment_id: int, now: datetime,
                      principal: Principal, note: str) -> None:
    """The package's tracking picture described the wrong number (and, by the rule above, no pickup scan): logistics
    drops it (its parcel, scans, and cases about the old number closed with the note) and adopts the package afresh
    under the new number (its own adoption, the same as for a new shipment)."""
    from ..logistics.ingest import adopt_shipments
    from ..logistics.service import forget_parcel

    session.flush()
    forgotten = forget_parcel(session, shipment_id, now=now, note=note, actor=principal.login,
                              source=principal.channel)
    if forgotten.parcel:
        adopt_shipments(session, shop_id, now, order_pk=order_pk)
