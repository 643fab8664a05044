"""Parcels named by order snapshots (export column 快递单号, a platform sync's logistics): each number once per order,
never one a clerk corrected away, linked to the SKU orders whose rows name it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import insert_ignore
from ..shipping.domain import normalise_tracking  # pure rule: how the desk compares tracking numbers
from .bulk_writes import bulk_insert, chunks
from .domain import OrderRecord, tracking_numbers
from .models import Shipment
from .snapshot_columns import event_row

_SHIPMENTS = Shipment.__table__


def add_shipments(session: Session, shop_id: int, pending: list[dict], known: set[tuple[int, str]]) -> list[dict]:
    """Tracking numbers from snapshots (export column 快递单号); each number once per order.

    A number the order already has is skipped, and so is one a clerk corrected away on that order (the
    correction history): an export or a platform sync made before the correction still carries the mistyped
    number, and must not bring it back as a second package. Returns the timeline events to write with the
    rest of the batch. ``known``: known_parcels of the pending orders already stored (an order created by this batch
    has none), read once by the caller; the numbers added here join it."""
    rows, events, held = [], [], []
    for p in pending:
        rec: OrderRecord = p["rec"]
        for number in tracking_numbers(rec.tracking_no):
            key = (p["order_pk"], normalise_tracking(number))
            if key in known:
                continue
            known.add(key)
            rows.append({"shop_id": shop_id, "order_pk": p["order_pk"], "carrier_code": None,
                         "carrier_name": rec.carrier, "tracking_no": number,
                         "shipped_at": rec.shipped_at, "recorded_at": p["now"], "source": p["source"]})
            events.append(event_row(shop_id, p["order_pk"], rec.shipped_at or p["now"], p["now"], "tracking_added",
                                 p["source"], None, detail={"carrier": rec.carrier, "tracking_no": number}))
            held.extend((key, sku) for sku in _skus_of(rec, key[1]))
    if rows:
        bulk_insert(session, _SHIPMENTS, rows)
    if held:
        _link_items(session, shop_id, held)
    return events


def known_parcels(session: Session, pks: list[int]) -> set[tuple[int, str]]:
    """(order row id, normalised number) of these orders' parcels, and of the numbers corrected away on them."""
    from ..shipping.queries import corrected_away  # shipping owns the correction history (imported late: a cycle)

    known: set = set()
    for chunk in chunks(pks):
        known.update((pk, normalise_tracking(number)) for pk, number in session.execute(
            select(Shipment.order_pk, Shipment.tracking_no).where(Shipment.order_pk.in_(chunk))))
        known.update((pk, normalise_tracking(number)) for pk, number in corrected_away(session, chunk))
    return known


def _skus_of(rec: OrderRecord, number: str) -> list[str]:
    """The SKU orders whose export rows name this parcel (normalised number); none when the file does not say."""
    return [sku for sku, numbers in (rec.item_tracking or {}).items()
            if any(normalise_tracking(n) == number for n in numbers)]


def _link_items(session: Session, shop_id: int, held: list[tuple[tuple[int, str], str]]) -> None:
    """Records which SKU orders the new parcels hold (shipment_items), as a shipment made in the desk does: an export
    showing one item of three shipped once left all three on the ship form, so the shipped one could go twice.
    A SKU order already in a parcel keeps that one (a SKU order ships once)."""
    from ..shipping.models import ShipmentItem  # shipping owns the table (imported late: a cycle)

    ids: dict[tuple[int, str], int] = {}
    for chunk in chunks(sorted({pk for (pk, _n), _s in held})):
        for sid, pk, number in session.execute(select(_SHIPMENTS.c.id, _SHIPMENTS.c.order_pk, _SHIPMENTS.c.tracking_no)
                                               .where(_SHIPMENTS.c.order_pk.in_(chunk))):
            key = (pk, normalise_tracking(number))
            ids[key] = max(sid, ids.get(key, 0))
    insert_ignore(session, ShipmentItem.__table__,
                  [{"shop_id": shop_id, "shipment_id": ids[key], "order_pk": key[0], "sku_order_id": sku}
                   for key, sku in held if key in ids], keys=["shop_id", "sku_order_id"])
