"""The deadline scan: derive missing ship-by times, record overdue and late-shipped violations, and deadline
reminders (due within 6 h, within 2 h, overdue; reminders.py lists them). Indexed candidate queries → pure rule →
batched writes; idempotent and safe to run from several processes at once.

Coordination through the database, twice over: a lease row per (shop, job) taken by a conditional UPDATE, so
normally one worker scans a shop at a time; and unique constraints (one violation per order, one reminder per
order and deadline) written with INSERT … ON CONFLICT DO NOTHING, so even two scans that overlap (an expired
lease, a hand-run `xiaodian scan deadlines`) never record anything twice.

Incremental scans (every minute) look only at deadlines that passed, or entered the due-soon window, since the
last scan's watermark (minus a margin); a full scan (at start and hourly) looks at everything, including
orders imported late and shipped after their deadline.
"""

from __future__ import annotations

import json
import logging
import socket
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from ..accounts import audit
from ..accounts.models import Shop
from ..db import insert_ignore
from ..orders.domain import OrderStatus
from ..orders.models import Order, OrderEvent
from ..leases import DEADLINE_SCAN, full_run_due, release_lease, take_lease
from . import domain
from .models import JobLease, Reminder, Violation
from .queries import UNSHIPPED, get_settings, late_rules

log = logging.getLogger("xiaodian.jobs.deadlines")
JOB = DEADLINE_SCAN
LEASE = timedelta(minutes=5)
MARGIN = timedelta(minutes=5)
FULL_EVERY = timedelta(hours=1)
LATE_LOOKBACK = timedelta(days=30)
BATCH = 1000
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class ScanReport:
    shop_id: int
    full: bool
    skipped: bool = False  # another worker holds the lease
    derived: int = 0
    overdue: int = 0
    late_shipped: int = 0
    reminders: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict:
        return asdict(self)


def _take_lease(sessions: sessionmaker[Session], shop_id: int, now: datetime, holder: str) -> JobLease | None:
    return take_lease(sessions, shop_id, JOB, now, holder, LEASE)


def _release(sessions, shop_id: int, now: datetime, holder: str, full: bool, ok: bool, served_asks: int) -> None:
    # a failed scan keeps the old watermark (and the asks for a full one), so the next looks at the same orders again
    release_lease(sessions, shop_id, JOB, now, holder, full=full, advance=ok, served_asks=served_asks)


def scan_shop(sessions: sessionmaker[Session], shop_id: int, now: datetime, *, full: bool | None = None,
              holder: str = HOLDER) -> ScanReport:
    """One scan of one shop. ``full=None`` decides: full when never run or the last full scan is an hour old."""
    import time

    started = time.perf_counter()
    lease = _take_lease(sessions, shop_id, now, holder)
    if lease is None:
        return ScanReport(shop_id, bool(full), skipped=True)
    if full is None:
        full = full_run_due(lease, now, FULL_EVERY)
    since = None if full or lease.watermark is None else lease.watermark - MARGIN
    report = ScanReport(shop_id, full)
    ok = False
    try:
        report.derived = _derive(sessions, shop_id, now)
        if report.derived and not full:
            # A ship-by worked out just now may lie before the watermark (paid yesterday, promised within a day):
            # the incremental conditions would pass it by, so this run looks at everything.
            full, since = True, None
            report.full = True
        with sessions.begin() as session:
            settings = get_settings(session, shop_id)
            rules = late_rules(settings)
            windows = reminder_windows(settings)
        report.overdue = _overdue(sessions, shop_id, now, since, rules)
        if full:
            report.late_shipped = _late_shipped(sessions, shop_id, now, rules)
        report.reminders = sum(_reminders(sessions, shop_id, now, kind, window, since) for kind, window in windows)
        if report.derived or report.overdue or report.late_shipped or report.reminders:
            with sessions.begin() as session:
                audit.record(session, principal=audit.SYSTEM, action="shipping.deadline_scan", now=now,
                             shop_id=shop_id, detail={k: v for k, v in report.as_json().items() if k != "seconds"})
        ok = True
    finally:
        _release(sessions, shop_id, now, holder, full, ok, lease.full_asks)
    report.seconds = round(time.perf_counter() - started, 4)
    return report


def _derive(sessions, shop_id: int, now: datetime) -> int:
    from .service import derive_ship_by

    statuses = (OrderStatus.PAID_PENDING.value, *UNSHIPPED)
    total = 0
    last_id = 0
    while True:
        with sessions.begin() as session:
            batch = list(session.execute(
                select(Order).where(Order.shop_id == shop_id, Order.status.in_(statuses), Order.ship_by.is_(None),
                                    Order.paid_at.is_not(None), Order.id > last_id).order_by(Order.id).limit(BATCH)
            ).scalars())
            if not batch:
                return total
            total += derive_ship_by(session, shop_id, batch, now)
            last_id = batch[-1].id


def _write_violations(session: Session, shop_id: int, rows: list, now: datetime, rules, shipped: bool) -> int:
    values = []
    for pk, ship_by, shipped_at, amount in rows:
        found = domain.violation_for(ship_by, shipped_at if shipped else None, now, amount, rules)
        if found is None:
            continue
        values.append({"shop_id": shop_id, "order_pk": pk, "kind": found.kind.value, "ship_by": ship_by,
                       "shipped_at": shipped_at if shipped else None, "late_by_seconds": found.late_by_seconds,
                       "points": found.points, "compensation_fen": found.compensation_fen, "detected_at": now,
                       "source": "job"})
    inserted = set()
    for start in range(0, len(values), 500):
        inserted.update(insert_ignore(session, Violation.__table__, values[start:start + 500], ["order_pk"]))
    events = [{"shop_id": shop_id, "order_pk": v["order_pk"], "at": now, "recorded_at": now,
               "kind": "violation_recorded", "from_status": None, "to_status": None, "source": "job", "actor": None,
               "detail": json.dumps({"kind": v["kind"], "late_by_seconds": v["late_by_seconds"],
                                     "points": v["points"], "compensation_fen": v["compensation_fen"]})}
              for v in values if v["order_pk"] in inserted]
    if events:
        session.execute(OrderEvent.__table__.insert(), events)
    return len(inserted)


def _no_violation():
    return ~exists().where(Violation.order_pk == Order.id)


def _overdue(sessions, shop_id: int, now: datetime, since: datetime | None, rules) -> int:
    conds = [Order.ship_by < now, _no_violation()]  # at ship_by itself the order may still ship on time
    if since is not None:
        conds.append(Order.ship_by >= since)  # the last scan took deadlines before its own now
    return _in_batches(sessions, shop_id, UNSHIPPED, conds, now, rules, shipped=False)


def _late_shipped(sessions, shop_id: int, now: datetime, rules) -> int:
    conds = [Order.ship_by >= now - LATE_LOOKBACK, Order.ship_by <= now, Order.shipped_at > Order.ship_by,
             _no_violation()]
    return _in_batches(sessions, shop_id, (OrderStatus.SHIPPED.value, OrderStatus.COMPLETED.value), conds, now,
                       rules, shipped=True)


def _candidates(session: Session, shop_id: int, status: str, conds: list, columns: list, after) -> list:
    """One batch of one status in ship_by order, keyset-paged: walks ix_orders_shop_ship_by (shop, status,
    ship_by) instead of the whole table."""
    query = select(*columns, Order.ship_by, Order.id).where(Order.shop_id == shop_id, Order.status == status, *conds)
    if after is not None:
        query = query.where(tuple_(Order.ship_by, Order.id) > after)
    return session.execute(query.order_by(Order.ship_by, Order.id).limit(BATCH)).all()


def _in_batches(sessions, shop_id, statuses, conds, now, rules, shipped: bool) -> int:
    total = 0
    for status in statuses:
        after = None
        while True:
            with sessions.begin() as session:
                rows = _candidates(session, shop_id, status, conds,
                                   [Order.id, Order.ship_by, Order.shipped_at, Order.pay_amount_fen], after)
                if not rows:
                    break
                total += _write_violations(session, shop_id, [r[:4] for r in rows], now, rules, shipped)
                after = (rows[-1][-2], rows[-1][-1])
    return total


def reminder_windows(settings) -> list[tuple[str, timedelta | None]]:
    """The reminders the scan records, each once per order and deadline: ship-by within due_soon_hours (default
    6 h) and within urgent_hours (default 2 h) — both assumptions, configurable — and passed (None)."""
    return [("due_soon", timedelta(hours=settings.due_soon_hours)),
            ("due_urgent", timedelta(hours=settings.urgent_hours)), ("overdue", None)]


def _reminders(sessions, shop_id: int, now: datetime, kind: str, window: timedelta | None,
               since: datetime | None) -> int:
    """Reminders of one kind for unshipped orders: ship_by within ``window`` from now (None: already passed).
    An incremental scan looks only at deadlines that entered the window since the last scan."""
    # Overdue is strictly after ship_by (shipping at ship_by is on time): the ship_by second is still "due".
    conds = ([Order.ship_by >= now, Order.ship_by <= now + window] if window is not None else [Order.ship_by < now])
    conds.append(~exists().where(and_(Reminder.order_pk == Order.id, Reminder.kind == kind,
                                      Reminder.ship_by == Order.ship_by)))
    if since is not None:
        conds.append(Order.ship_by > since + window if window is not None else Order.ship_by >= since)
    total = 0
    for status in UNSHIPPED:
        after = None
        while True:
            with sessions.begin() as session:
                rows = _candidates(session, shop_id, status, conds, [], after)
                if not rows:
                    break
                values = [{"shop_id": shop_id, "order_pk": pk, "kind": kind, "ship_by": ship_by,
                           "created_at": now} for ship_by, pk in rows]
                for start in range(0, len(values), 500):
                    total += len(insert_ignore(session, Reminder.__table__, values[start:start + 500],
                                               ["order_pk", "kind", "ship_by"]))
                after = rows[-1]
    return total


def scan_all_shops(sessions: sessionmaker[Session], now: datetime, *, full: bool | None = None,
                   holder: str = HOLDER) -> list[ScanReport]:
    """Every shop, each in its own transactions: a failing shop is logged and the others still run."""
    with sessions() as session:
        shop_ids = list(session.execute(select(Shop.id).order_by(Shop.id)).scalars())
    reports = []
    for shop_id in shop_ids:
        try:
            reports.append(scan_shop(sessions, shop_id, now, full=full, holder=holder))
        except Exception:  # one shop's failure must not stop the others
            log.exception("deadline scan failed for shop %s", shop_id)
    return reports
