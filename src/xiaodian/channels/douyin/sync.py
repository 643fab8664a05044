"""Incremental order sync and reconciliation against order.searchList (domain.md §5).

Windows by ``update_time`` (never by create time: a status change would be lost), pages of 100, the detail
fetched for rows the list leaves short, and every page applied through the same idempotent upsert as the file
import. The cursor moves only after a whole window is in, each page commits on its own: a sync killed half-way
re-reads that window next time, and the upsert makes the re-read change nothing. Reconciliation is the same
sweep over recent days without moving the cursor, reporting the orders it had to repair (what pushes missed).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ...accounts import audit
from ...db import PlannerStatistics, transaction
from ...orders.intake import BULK_TABLES, upsert_orders
from ...orders.models import Order
from ...privacy.crypto import PiiCipher
from .client import DouyinClient, DouyinError
from .mapping import MappingError, needs_detail, to_record
from .models import DouyinInbox
from .push import SYNC_TAG, problem, set_aside
from .timeline import record_ship_by_moves, ship_by_before
from .service import SYNC, record_error, require_connection
from .settle import settle_uploads
from .windows import plan_windows, sync_start

PAGE_SIZE = 100  # the platform's maximum page size
log = logging.getLogger("xiaodian.douyin.sync")


@dataclass
class SyncReport:
    orders: dict = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    windows: int = 0
    pages: int = 0
    details: int = 0
    errors: list[dict] = field(default_factory=list)
    repaired: list[dict] = field(default_factory=list)  # orders created or moved to another status
    cursor: datetime | None = None

    def as_json(self) -> dict:
        data = asdict(self)
        data["cursor"] = self.cursor.isoformat() if self.cursor else None
        return data


def sync_orders(sessions: sessionmaker[Session], *, shop_id: int, client: DouyinClient, cipher: PiiCipher,
                now: datetime, settings, since: datetime | None = None, until: datetime | None = None,
                move_cursor: bool = True) -> SyncReport:
    report = SyncReport()
    with sessions() as session:
        cursor = require_connection(session, shop_id).sync_cursor
        statistics = PlannerStatistics(session, BULK_TABLES)  # a first sync is a bulk load too
    start = sync_start(cursor, now, overlap=timedelta(minutes=settings.douyin_sync_overlap_minutes),
                       first_sync=timedelta(days=settings.douyin_first_sync_days), since=since)
    width = timedelta(hours=settings.douyin_sync_window_hours)
    try:
        for window_start, window_end in plan_windows(start, until or now, width):
            _sync_window(sessions, shop_id, client, cipher, now, window_start, window_end, report, statistics)
            report.windows += 1
            if move_cursor:
                with transaction(sessions) as session:
                    conn = require_connection(session, shop_id)
                    conn.sync_cursor = max(conn.sync_cursor or window_end, window_end)
                    conn.last_sync_at = now
                    report.cursor = conn.sync_cursor
    except DouyinError as exc:
        report.errors.append(exc.as_json())
        record_error(sessions, shop_id=shop_id, error=exc, now=now)
    if move_cursor and not report.errors and report.windows == 0:
        with transaction(sessions) as session:
            require_connection(session, shop_id).last_sync_at = now
    return report


def _sync_window(sessions, shop_id, client, cipher, now, start: datetime, end: datetime, report: SyncReport,
                 statistics: PlannerStatistics) -> None:
    page = 0
    while True:
        data = client.call("order.searchList", {
            "update_time_start": int(start.timestamp()), "update_time_end": int(end.timestamp()),
            "page": page, "size": PAGE_SIZE, "order_by": "update_time", "order_asc": True})
        report.pages += 1
        rows = data.get("shop_order_list") or []
        records = []
        for row in rows:
            if isinstance(row, dict) and needs_detail(row):
                detail = client.call("order.orderDetail", {"shop_order_id": str(row.get("order_id"))})
                report.details += 1
                row = detail.get("shop_order_detail") or row
            try:
                records.append(to_record(row))
            except MappingError as exc:
                # Set aside (the owner's status page lists it, naming the field); the rest of the window goes on
                # and the cursor still moves.
                order_id = str(row.get("order_id") or "") if isinstance(row, dict) else ""
                report.errors.append({"order_id": order_id or None, "field": exc.field, "msg": str(exc)})
                if order_id.isdigit():
                    set_aside(sessions, shop_id=shop_id, now=now, reason=problem(exc), order_id=order_id[:32])
        if records:
            _apply_isolated(sessions, shop_id, records, cipher, now, report)
            with sessions() as session:
                statistics.written_so_far(session, report.orders["created"] + report.orders["updated"])
        total = int(data.get("total") or 0)
        if not rows or (page + 1) * PAGE_SIZE >= total:
            return
        page += 1


def _apply_isolated(sessions, shop_id, records, cipher, now, report: SyncReport) -> None:
    """The page in one transaction; should the desk fail to store it (an order the mapping let through but the
    database refuses), each order on its own, and the one that cannot be stored is set aside naming the cause,
    so one order never stops the sync (nothing of it is half-written: its transaction is rolled back)."""
    try:
        _apply(sessions, shop_id, records, cipher, now, report)
        return
    except (SQLAlchemyError, ValueError, OverflowError):
        log.warning("douyin sync: a page could not be stored whole; applying its orders one by one", exc_info=True)
    for record in records:
        try:
            _apply(sessions, shop_id, [record], cipher, now, report)
        except (SQLAlchemyError, ValueError, OverflowError) as exc:
            cause = str(getattr(exc, "orig", None) or exc).splitlines()[0][:160]
            error = MappingError("order", f"the desk cannot store it ({type(exc).__name__}: {cause})")
            report.errors.append({"order_id": record.order_id, "field": error.field, "msg": str(error)})
            set_aside(sessions, shop_id=shop_id, now=now, reason=problem(error), order_id=record.order_id)


def _apply(sessions, shop_id, records, cipher, now, report: SyncReport) -> None:
    ids = [r.order_id for r in records]
    with transaction(sessions) as session:
        before = dict(session.execute(select(Order.order_id, Order.status)
                                      .where(Order.shop_id == shop_id, Order.order_id.in_(ids))).all())
        ship_by = ship_by_before(session, shop_id, ids)
        result = upsert_orders(session, shop_id=shop_id, records=records, cipher=cipher, now=now, source="sync",
                               actor=SYNC.login)
        record_ship_by_moves(session, shop_id, ship_by, now=now, actor=SYNC.login)
        # refused uploads the merchant made in the back office: the platform's order holds the waybill now
        settle_uploads(session, shop_id=shop_id, tracking={r.order_id: r.tracking_no for r in records}, now=now)
        # An order set aside by an earlier sync and readable now is no longer a problem.
        session.execute(update(DouyinInbox).where(
            DouyinInbox.shop_id == shop_id, DouyinInbox.tag == SYNC_TAG, DouyinInbox.state == "failed",
            DouyinInbox.order_id.in_(ids)).values(state="done", outcome="read by a later sync", processed_at=now),
            execution_options={"synchronize_session": False})
        for name in ("created", "updated", "unchanged"):
            report.orders[name] += getattr(result, name)
        for rejection in result.rejected:
            report.errors.append({"order_id": records[rejection.index].order_id, "field": rejection.field,
                                  "code": rejection.code, "msg": rejection.message})
        if result.created or result.updated:
            after = dict(session.execute(select(Order.order_id, Order.status)
                                         .where(Order.shop_id == shop_id, Order.order_id.in_(ids))).all())
            for order_id in ids:
                if before.get(order_id) != after.get(order_id) and after.get(order_id):
                    report.repaired.append({"order_id": order_id, "from": before.get(order_id),
                                            "to": after[order_id]})


def reconcile(sessions: sessionmaker[Session], *, shop_id: int, client: DouyinClient, cipher: PiiCipher,
              now: datetime, settings, days: float = 3.0) -> SyncReport:
    """Sweeps the last ``days`` of updates without moving the sync cursor and audits what it repaired."""
    report = sync_orders(sessions, shop_id=shop_id, client=client, cipher=cipher, now=now, settings=settings,
                         since=now - timedelta(days=days), move_cursor=False)
    with transaction(sessions) as session:
        audit.record(session, principal=SYNC, action="douyin.reconcile", now=now, shop_id=shop_id,
                     target_type="shop", target_id=str(shop_id),
                     detail={"orders": report.orders, "repaired": len(report.repaired),
                             "repaired_ids": [r["order_id"] for r in report.repaired[:100]],
                             "errors": len(report.errors)})
    return report
