"""What the platform changed on an order that the order's timeline must show and the file intake does not record:
the ship-by moved by the platform (push tag 126, or any sync that brings a new ``exp_ship_time``). One
``ship_by_changed`` event per order whose stored ship-by the snapshot changed, with the old and new times, by the
sync principal, in the transaction of the upsert that changed it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ...orders.models import Order, OrderEvent


def ship_by_before(session: Session, shop_id: int, order_ids: Iterable[str]) -> dict[str, tuple[int, datetime | None]]:
    """order id → (row id, stored ship-by) of the orders the desk already holds, read before the upsert."""
    rows = session.execute(select(Order.order_id, Order.id, Order.ship_by)
                           .where(Order.shop_id == shop_id, Order.order_id.in_(list(order_ids)))).all()
    return {oid: (pk, ship_by) for oid, pk, ship_by in rows}


def record_ship_by_moves(session: Session, shop_id: int, before: dict[str, tuple[int, datetime | None]],
                         *, now: datetime, actor: str) -> int:
    """After the upsert: an event for each order whose ship-by is now another time. Returns how many."""
    if not before:
        return 0
    after = dict(session.execute(select(Order.id, Order.ship_by)
                                 .where(Order.id.in_([pk for pk, _ in before.values()]))).all())
    rows = []
    for pk, old in before.values():
        new = after.get(pk)
        if old is None or new is None or old == new:
            continue  # a ship-by appearing for the first time is the order's own story (paid, derived), not a move
        rows.append({"shop_id": shop_id, "order_pk": pk, "at": now, "recorded_at": now, "kind": "ship_by_changed",
                     "from_status": None, "to_status": None, "source": "sync", "actor": actor,
                     "detail": json.dumps({"previous_ship_by": old.isoformat(), "ship_by": new.isoformat()})})
    if rows:
        session.execute(insert(OrderEvent.__table__), rows)
    return len(rows)
