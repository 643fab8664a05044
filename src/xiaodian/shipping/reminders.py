"""The deadline reminders the scan records (jobs.reminder_windows: ship-by within 6 h, within 2 h, passed) as a
list the warehouse works from, each acknowledged by someone so none is missed. A reminder is open while nobody has
acknowledged it and its order still has to ship by that same deadline; shipping the order (or the platform moving
the deadline) closes it without an acknowledgement.

The scan records up to three reminders for one order and deadline (6 h, then 2 h, then overdue), but the warehouse
works orders, not reminders (QA pass 9, #9): the list shows each order once, at its most pressing open reminder, and
says how many earlier ones it stands for; acknowledging it closes those earlier, less pressing ones too, in one
audited action. A reminder that comes after the acknowledgement (the order went from 2 h to overdue) is open again:
that escalation is news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..clock import iso
from ..db import row_id
from ..errors import Conflict, NotFound
from ..orders.models import Order
from .models import Reminder
from .queries import UNSHIPPED, get_settings

KINDS = ("overdue", "due_urgent", "due_soon")  # most pressing first
_SEVERITY = case({"overdue": 0, "due_urgent": 1}, value=Reminder.kind, else_=2)


@dataclass
class ReminderRow:
    id: int
    order_id: str
    kind: str
    ship_by: datetime
    created_at: datetime
    status: str
    items: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    superseded: int = 0  # the order's other open, less pressing reminders this line stands for

    def as_json(self) -> dict:
        return {"id": self.id, "order_id": self.order_id, "kind": self.kind, "ship_by": iso(self.ship_by),
                "created_at": iso(self.created_at), "status": self.status, "items": self.items,
                "acknowledged_at": iso(self.acknowledged_at), "acknowledged_by": self.acknowledged_by,
                "superseded": self.superseded}


def _still_due():
    """The order still has to ship by the deadline the reminder was about."""
    return [Order.id == Reminder.order_pk, Order.status.in_(UNSHIPPED), Order.ship_by == Reminder.ship_by]


def _open(shop_id: int) -> list:
    """An open reminder: nobody has acknowledged it and its order still has to ship by that deadline."""
    return [Reminder.shop_id == shop_id, Reminder.acknowledged_at.is_(None), *_still_due()]


def _rows(session: Session, conds: list, order_by: list, limit: int) -> list[ReminderRow]:
    return [ReminderRow(*r) for r in session.execute(
        select(Reminder.id, Order.order_id, Reminder.kind, Reminder.ship_by, Reminder.created_at, Order.status,
               Order.items_summary, Reminder.acknowledged_at, Reminder.acknowledged_by)
        .join(Order, Order.id == Reminder.order_pk).where(*conds).order_by(*order_by).limit(limit)).all()]


def open_count(session: Session, shop_id: int) -> int:
    """How many orders have an open reminder (the number the page and the API show: orders, not reminders)."""
    return session.execute(select(func.count(func.distinct(Reminder.order_pk))).select_from(Reminder)
                           .join(Order, Order.id == Reminder.order_pk).where(*_open(shop_id))).scalar_one()


def open_reminders(session: Session, shop_id: int, limit: int = 500) -> tuple[int, list[ReminderRow]]:
    """(how many orders have an open reminder, the first ``limit`` of them): one line per order at its most
    pressing open reminder, overdue first, then due within 2 h, then within 6 h; the earliest deadline first
    within each."""
    rank = func.row_number().over(partition_by=Reminder.order_pk, order_by=(_SEVERITY, Reminder.id)).label("rank")
    per_order = func.count().over(partition_by=Reminder.order_pk).label("per_order")
    ranked = (select(Reminder.id.label("rid"), rank, per_order).join(Order, Order.id == Reminder.order_pk)
              .where(*_open(shop_id)).subquery())
    found = session.execute(
        select(Reminder.id, Order.order_id, Reminder.kind, Reminder.ship_by, Reminder.created_at, Order.status,
               Order.items_summary, Reminder.acknowledged_at, Reminder.acknowledged_by, ranked.c.per_order - 1)
        .join(ranked, ranked.c.rid == Reminder.id).join(Order, Order.id == Reminder.order_pk)
        .where(ranked.c.rank == 1).order_by(_SEVERITY, Reminder.ship_by, Reminder.id).limit(limit)).all()
    return open_count(session, shop_id), [ReminderRow(*r) for r in found]


def recently_acknowledged(session: Session, shop_id: int, now: datetime, hours: int = 24,
                          limit: int = 100) -> list[ReminderRow]:
    """Who acknowledged what lately (the page shows it under the open list): one line per acknowledgement, at the
    most pressing reminder it closed (the earlier ones it closed with it are counted in ``superseded``)."""
    conds = [Reminder.shop_id == shop_id, Reminder.acknowledged_at >= now - timedelta(hours=hours)]
    acks: dict[tuple, ReminderRow] = {}
    for row in _rows(session, conds, [Reminder.acknowledged_at.desc(), _SEVERITY, Reminder.id.desc()], limit * 3):
        first = acks.setdefault((row.order_id, row.acknowledged_at, row.acknowledged_by), row)
        if first is not row:
            first.superseded += 1
    return list(acks.values())[:limit]


def reminders_report(session: Session, shop_id: int, limit: int = 500) -> dict:
    settings = get_settings(session, shop_id)
    total, rows = open_reminders(session, shop_id, limit)
    return {"open": total, "due_soon_hours": settings.due_soon_hours, "urgent_hours": settings.urgent_hours,
            "superseded": sum(r.superseded for r in rows), "reminders": [r.as_json() for r in rows]}


def acknowledge(session: Session, *, shop_id: int, reminder_id: int | str, principal: Principal,
                now: datetime) -> dict:
    """One person acknowledges an order's reminder (in the caller's transaction), and with it the order's earlier,
    less pressing open reminders for the same deadline: whoever has the overdue order in hand has its 2 h and 6 h
    warnings in hand too. One audit entry says how many reminders it closed. A second acknowledgement of the same
    reminder is refused with who was first, so two clerks learn they looked at the same order."""
    check(principal.role, "shipping.ship")
    rid = row_id(reminder_id)
    found = None if rid is None else session.execute(
        select(Reminder, Order.order_id).join(Order, Order.id == Reminder.order_pk)
        .where(Reminder.id == rid, Reminder.shop_id == shop_id)).first()
    if found is None:
        raise NotFound(f"no reminder {str(reminder_id)[:40]}", code="reminder_not_found",
                       details={"reminder_id": str(reminder_id)[:40]})
    reminder, order_id = found
    done = session.execute(update(Reminder).where(Reminder.id == rid, Reminder.acknowledged_at.is_(None))
                           .values(acknowledged_at=now, acknowledged_by=principal.login)
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        session.refresh(reminder)
        raise Conflict(f"already acknowledged by {reminder.acknowledged_by} at {iso(reminder.acknowledged_at)}",
                       code="already_acknowledged", details={"reminder_id": rid, "by": reminder.acknowledged_by})
    severity = KINDS.index(reminder.kind) if reminder.kind in KINDS else len(KINDS)
    earlier = list(KINDS[severity + 1:])
    also = list(session.execute(select(Reminder.id).where(
        Reminder.order_pk == reminder.order_pk, Reminder.ship_by == reminder.ship_by, Reminder.kind.in_(earlier),
        Reminder.acknowledged_at.is_(None), Reminder.id != rid).order_by(Reminder.id)).scalars())
    if also:
        session.execute(update(Reminder).where(Reminder.id.in_(also), Reminder.acknowledged_at.is_(None))
                        .values(acknowledged_at=now, acknowledged_by=principal.login)
                        .execution_options(synchronize_session=False))
    audit.record(session, principal=principal, action="shipping.reminder_ack", now=now, shop_id=shop_id,
                 target_type="order", target_id=order_id,
                 detail={"reminder_id": rid, "kind": reminder.kind, "ship_by": iso(reminder.ship_by),
                         "reminders": 1 + len(also)})
    return {"id": rid, "order_id": order_id, "kind": reminder.kind, "acknowledged_at": iso(now),
            "acknowledged_by": principal.login, "also_acknowledged": also}
