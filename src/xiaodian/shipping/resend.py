"""A parcel an after-sale case sends the buyer (补寄 re-send, an exchange or repaired item): a shipments row of kind
'resend', linked to its case, that logistics watches like any shipped parcel and that changes none of the order's
own shipping facts (status, shipped_at, ship-by violations, tracking list, export columns, Douyin write-back)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
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
