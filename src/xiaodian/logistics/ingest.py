"""Recording tracking scans: find (or adopt) the parcel row of a shipment, store new scans once, and re-project the
parcel's state from the full set of its scans. Pushes, polls, files and the demo carrier all come through here.

Why re-project from all scans instead of patching the row: the projection is a pure function of the set of
scans (domain.project), so whatever order pushes, polls and files arrive in, the row ends up the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..db import insert_ignore
from ..aftersales.models import AfterSaleCase  # a re-send's parcel is watched while its case is open
from ..orders.models import Order, Shipment
from . import domain, rules
from .models import Parcel, TrackingEvent

DONE_ORDER_STATUSES = ("completed", "cancelled")


@dataclass(frozen=True)
class Scan:
    """A scan as a source reports it (time tz-aware)."""

    at: datetime
    context: str
    code: int | None = None
    location: str = ""


def digest(context: str) -> str:
    return hashlib.md5(context.encode("utf-8")).hexdigest()


def adopt_shipments(session: Session, shop_id: int, now: datetime, *, after_id: int | None = None,
                    order_pk: int | None = None) -> int:
    """Give every shipment a parcel row (shipments are made by shipping, by imports and by after-sales' re-sends,
    which know nothing of logistics). Parcels of completed or cancelled orders are not watched: the buyer has the
    goods, or there are none to watch; a re-send is watched until its case is finished (parcel_done).
    ``after_id``: only shipments newer than that (the incremental scan)."""
    from ..shipping.domain import find_carrier  # imports name the carrier (中通快递); Kuaidi100 wants its code

    query = (select(Shipment.id, Shipment.order_pk, Shipment.carrier_code, Shipment.carrier_name, Shipment.tracking_no,
                    Shipment.shipped_at, Order.status, Shipment.kind, AfterSaleCase.finished_at)
             .join(Order, Order.id == Shipment.order_pk)
             .outerjoin(AfterSaleCase, AfterSaleCase.id == Shipment.aftersale_case_id)
             .where(Shipment.shop_id == shop_id, ~select(Parcel.shipment_id).where(
                 Parcel.shipment_id == Shipment.id).exists()))
    if after_id is not None:
        query = query.where(Shipment.id > after_id)
    if order_pk is not None:
        query = query.where(Shipment.order_pk == order_pk)
    rows = []
    for sid, order_pk, carrier, carrier_name, number, shipped_at, status, kind, finished in session.execute(query):
        if not carrier and carrier_name:
            found = find_carrier(carrier_name)
            carrier = found.code if found else None
        watch = not parcel_done(kind, status, finished)
        facts = rules.ParcelFacts(shipped_at, domain.ParcelState.PENDING, None, False, None)
        rows.append({"shipment_id": sid, "shop_id": shop_id, "order_pk": order_pk, "carrier_code": carrier,
                     "tracking_no": number, "shipped_at": shipped_at, "state": "pending", "event_count": 0,
                     "is_final": False, "watch": watch, "changed_at": now, "poll_failures": 0,
                     "next_check_at": rules.next_check(facts, now) if watch else None})
    total = 0
    for start in range(0, len(rows), 500):
        total += len(insert_ignore(session, Parcel.__table__, rows[start:start + 500]))
    return total


def parcel_done(kind: str | None, order_status: str, case_finished_at: datetime | None) -> bool:
    """Nothing more to watch on this parcel: its order is completed or cancelled, or, for an after-sale re-send
    (which usually goes out on a completed order: the first parcel arrived broken or short), its case is finished
    (the buyer confirmed receipt, or the case closed). A re-send still on its way is watched whatever the order."""
    if kind == "resend":
        return case_finished_at is not None
    return order_status in DONE_ORDER_STATUSES


def latest_adopted(session: Session, shop_id: int) -> int:
    return session.execute(select(func.max(Parcel.shipment_id)).where(Parcel.shop_id == shop_id)).scalar() or 0


def find_parcels(session: Session, shop_id: int, tracking_no: str, now: datetime) -> list[Parcel]:
    """The parcel rows carrying this number (adopting its shipment first if the scan has not yet)."""
    found = list(session.execute(select(Parcel).where(Parcel.shop_id == shop_id, Parcel.tracking_no == tracking_no))
                 .scalars())
    if found:
        return found
    shipment_ids = list(session.execute(select(Shipment.id).where(Shipment.shop_id == shop_id,
                                                                  Shipment.tracking_no == tracking_no)).scalars())
    if not shipment_ids:
        return []
    adopt_shipments(session, shop_id, now, after_id=min(shipment_ids) - 1)
    return list(session.execute(select(Parcel).where(Parcel.shipment_id.in_(shipment_ids))).scalars())


def record_scans(session: Session, parcel: Parcel, scans: list[Scan], *, source: str, now: datetime) -> int:
    """Store the scans this parcel does not have yet and re-project it. Returns how many were new."""
    rows = []
    seen = set()
    for s in scans:
        if s.at.tzinfo is None:
            raise ValueError("scan times must be tz-aware")
        context = (s.context or "").strip()[:2000]
        key = (s.at, digest(context))
        if key in seen:
            continue
        seen.add(key)
        rows.append({"shop_id": parcel.shop_id, "shipment_id": parcel.shipment_id, "at": s.at, "code": s.code,
                     "state": domain.normalise(s.code, context).value, "location": (s.location or "")[:100] or None,
                     "context": context, "digest": key[1], "source": source, "recorded_at": now})
    added = 0
    for start in range(0, len(rows), 500):
        added += len(insert_ignore(session, TrackingEvent.__table__, rows[start:start + 500]))
    if added:
        reproject(session, parcel, now)
    return added


def scans_of(session: Session, shipment_id: int) -> list[TrackingEvent]:
    return list(session.execute(select(TrackingEvent).where(TrackingEvent.shipment_id == shipment_id)
                                .order_by(TrackingEvent.at, TrackingEvent.id)).scalars())


def reproject(session: Session, parcel: Parcel, now: datetime, thresholds: rules.Thresholds | None = None) -> None:
    """Recompute the parcel's state from all its scans and mark it changed for the incremental scan."""
    events = [domain.Event.of(e.at, e.code, e.context, e.location or "") for e in scans_of(session, parcel.shipment_id)]
    p = domain.project(events)
    newest = p.newest
    values = {"state": p.state.value, "state_since": p.state_since,
              "picked_up_at": p.first_scan.at if p.first_scan else None,
              "last_event_at": newest.at if newest else None,
              "last_code": None if newest is None or newest.code == -1 else newest.code,
              "last_context": newest.context if newest else None,
              "last_location": (newest.location or None) if newest else None,
              "event_count": p.count, "is_final": p.is_final, "changed_at": now}
    facts = facts_of_values(parcel.shipped_at, values)
    values["next_check_at"] = rules.next_check(facts, now, thresholds or rules.DEFAULT_THRESHOLDS)
    if p.is_final:
        values["next_poll_at"] = None  # a final parcel is never queried again (Kuaidi100 etiquette)
    session.execute(update(Parcel).where(Parcel.shipment_id == parcel.shipment_id).values(**values)
                    .execution_options(synchronize_session=False))
    for key, value in values.items():
        setattr(parcel, key, value)


def facts_of_values(shipped_at, values: dict, order_done: bool = False) -> rules.ParcelFacts:
    return rules.ParcelFacts(
        shipped_at=shipped_at, state=domain.ParcelState(values["state"]), state_since=values["state_since"],
        picked_up=values["picked_up_at"] is not None, last_event_at=values["last_event_at"],
        last_code=values["last_code"], last_context=values["last_context"] or "",
        last_location=values["last_location"] or "", order_done=order_done)


_STATES = {s.value: s for s in domain.ParcelState}


def facts_of(parcel, order_done: bool = False) -> rules.ParcelFacts:
    """From a parcel row (ORM object or the scan's column tuple, where picked_up_at may be a bool)."""
    picked = parcel.picked_up_at
    picked = bool(picked) if isinstance(picked, int) else picked is not None  # bool is an int: 0/1 on SQLite
    return rules.ParcelFacts(parcel.shipped_at, _STATES[parcel.state], parcel.state_since, picked,
                             parcel.last_event_at, parcel.last_code, parcel.last_context or "",
                             parcel.last_location or "", order_done)
