"""A parcel an after-sale case sends the buyer (补寄 re-send, an exchange or repaired item): a shipments row of kind
'resend', linked to its case, that logistics watches like any shipped parcel and that changes none of the order's
own shipping facts (status, shipped_at, ship-by violations, tracking list, export columns, Douyin write-back)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..orders.models import RESEND, Shipment
from .service import lock_tracking_numbers, refuse_if_owned, tracking_owner


def refuse_taken_number(session: Session, *, shop_id: int, order_id: str, tracking_no: str) -> None:
    """A number belongs to one parcel: one already on an order (this one or another, as an order parcel or as a
    re-send) cannot go on a re-send either (domain.md counts a reused number as 虚假发货). Locked as shipping locks
    it, so a clerk shipping an order with the same number at the same moment cannot take it too."""
    lock_tracking_numbers(session, shop_id, [tracking_no])
    refuse_if_owned(tracking_no, tracking_owner(session, shop_id, tracking_no), order_id)


def record_resend(session: Session, *, shop_id: int, order_pk: int, order_id: str, aftersale_case_id: int,
                  carrier_code: str, carrier_name: str, tracking_no: str, now: datetime, source: str) -> int:
    """Checks the number (refuse_taken_number), writes the re-send's shipment row and gives it its parcel at once
    (logistics adopts it, watched even on a completed order: the buyer is waiting for this parcel). In the caller's
    transaction; returns the shipment id."""
    from ..logistics.ingest import adopt_shipments  # logistics owns parcels (imported late: a cycle)

    refuse_taken_number(session, shop_id=shop_id, order_id=order_id, tracking_no=tracking_no)
    session.flush()
    shipment_id = session.execute(insert(Shipment.__table__).returning(Shipment.__table__.c.id).values(
        shop_id=shop_id, order_pk=order_pk, carrier_code=carrier_code, carrier_name=carrier_name,
        tracking_no=tracking_no, shipped_at=now, recorded_at=now, source=source, kind=RESEND,
        aftersale_case_id=aftersale_case_id)).scalar_one()
    adopt_shipments(session, shop_id, now, order_pk=order_pk)
    return shipment_id


def resend_cases(session: Session, shipment_ids: list[int]) -> dict[int, tuple[str, bool]]:
    """shipment id → (the case's aftersale_id, is the case finished?) for the re-sends among these shipments: a
    correction of a re-send is ruled by its case (shipping.domain.resend_correction_refusal), not by the order."""
    from ..aftersales.models import AfterSaleCase  # the case a re-send belongs to (read only)

    if not shipment_ids:
        return {}
    return {sid: (aftersale_id, finished is not None) for sid, aftersale_id, finished in session.execute(
        select(Shipment.id, AfterSaleCase.aftersale_id, AfterSaleCase.finished_at)
        .join(AfterSaleCase, AfterSaleCase.id == Shipment.aftersale_case_id)
        .where(Shipment.id.in_(shipment_ids), Shipment.kind == RESEND))}


def move_case_number(session: Session, shipment: Shipment, *, carrier_code: str, tracking_no: str, now: datetime,
                     principal, old_tracking_no: str, reason: str) -> None:
    """A corrected re-send number is the case's too: the case page and API name the parcel by its reship_* columns,
    which must not keep the mistyped number. The case's history keeps what was typed at the time and gets a step of
    its own for the correction (old and new number, reason, who), so the clerk answering the buyer from the case
    sees why the number changed; the correction record and the order's timeline keep both numbers too."""
    from ..aftersales.models import AfterSaleCase, AfterSaleEvent

    session.execute(update(AfterSaleCase.__table__)
                    .where(AfterSaleCase.__table__.c.id == shipment.aftersale_case_id)
                    .values(reship_carrier=carrier_code, reship_tracking_no=tracking_no)
                    .execution_options(synchronize_session=False))
    detail = {"carrier": carrier_code, "tracking_no": tracking_no, "old_tracking_no": old_tracking_no,
              "reason": reason}
    session.execute(insert(AfterSaleEvent.__table__).values(
        shop_id=shipment.shop_id, case_id=shipment.aftersale_case_id, at=now, recorded_at=now,
        action="resend_corrected", source=principal.channel, actor=principal.login,
        detail=json.dumps(detail, ensure_ascii=False)))
