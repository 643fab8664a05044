"""The deadline scan on SQLite and PostgreSQL: violations and reminders recorded once, however often and by
however many workers it runs; incremental scans see new deadlines; missing ship-by times are derived."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order, OrderEvent
from xiaodian.shipping.jobs import scan_shop
from xiaodian.shipping.models import Reminder, Violation

from ..conftest import NOW
from ..factories import make_record


def oid(i: int) -> str:
    return f"69384597040226{i:05d}"


def seed(ctx, shop_id, records):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=records, cipher=ctx.cipher, now=NOW)


def count(ctx, model, *conds) -> int:
    with ctx.sessions() as session:
        return session.execute(select(func.count()).select_from(model).where(*conds)).scalar_one()


def test_full_scan_records_each_late_order_once_and_nothing_for_on_time(ctx, shop_id):
    seed(ctx, shop_id, [
        make_record(oid(1), ship_by=NOW - timedelta(hours=2)),  # overdue, unshipped
        make_record(oid(2), ship_by=NOW + timedelta(hours=2)),  # due soon
        make_record(oid(3), ship_by=NOW + timedelta(days=2)),  # fine
        make_record(oid(4), status=OrderStatus.SHIPPED, ship_by=NOW - timedelta(days=1),
                    shipped_at=NOW - timedelta(hours=20), tracking_no="SF1234567890123"),  # shipped late (import)
        make_record(oid(5), status=OrderStatus.SHIPPED, ship_by=NOW - timedelta(days=1),
                    shipped_at=NOW - timedelta(days=2), tracking_no="SF1234567890124"),  # shipped on time
    ])
    first = scan_shop(ctx.sessions, shop_id, NOW, full=True)
    # Reminders: oid(1) overdue; oid(2), due in exactly 2 h, within both the 6 h and the 2 h window.
    assert (first.overdue, first.late_shipped, first.reminders) == (1, 1, 3)
    again = scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=1), full=True)
    assert (again.overdue, again.late_shipped, again.reminders) == (0, 0, 0)
    with ctx.sessions() as session:
        kinds = dict(session.execute(select(Order.order_id, Violation.kind)
                                     .join(Violation, Violation.order_pk == Order.id)).all())
    assert kinds == {oid(1): "overdue_unshipped", oid(4): "late_shipment"}
    assert count(ctx, OrderEvent, OrderEvent.kind == "violation_recorded") == 2


def test_incremental_scan_sees_deadlines_passing_since_the_last_scan(ctx, shop_id):
    seed(ctx, shop_id, [make_record(oid(1), ship_by=NOW + timedelta(minutes=30))])
    assert scan_shop(ctx.sessions, shop_id, NOW, full=True).overdue == 0
    later = scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=31))
    assert not later.full and later.overdue == 1
    assert count(ctx, Violation) == 1


def test_two_workers_scanning_at_once_never_record_twice(ctx, shop_id):
    seed(ctx, shop_id, [make_record(oid(i), ship_by=NOW - timedelta(minutes=i + 1)) for i in range(60)])
    barrier = threading.Barrier(2, timeout=20)
    reports = []

    def worker(name):
        barrier.wait()
        reports.append(scan_shop(ctx.sessions, shop_id, NOW, full=True, holder=name))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(reports) == 2
    assert sum(r.overdue for r in reports) == 60 and count(ctx, Violation) == 60
    assert count(ctx, OrderEvent, OrderEvent.kind == "violation_recorded") == 60
    # Even with the lease ignored (an expired lease, a hand-run scan) nothing is recorded twice.
    assert scan_shop(ctx.sessions, shop_id, NOW + timedelta(hours=1), full=True, holder="w9").overdue == 0
    assert count(ctx, Violation) == 60


def test_due_soon_reminders_once_per_deadline(ctx, shop_id):
    seed(ctx, shop_id, [make_record(oid(1), ship_by=NOW + timedelta(hours=1))])
    assert scan_shop(ctx.sessions, shop_id, NOW, full=True).reminders == 2  # within 6 h and within 2 h
    assert scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=1), full=True).reminders == 0
    assert count(ctx, Reminder) == 2


def test_reminders_come_at_6_hours_2_hours_and_when_overdue_each_once(ctx, shop_id):
    seed(ctx, shop_id, [make_record(oid(1), ship_by=NOW + timedelta(hours=7))])
    assert scan_shop(ctx.sessions, shop_id, NOW, full=True).reminders == 0
    steps = [(NOW + timedelta(hours=1, minutes=1), ["due_soon"]),  # 5 h 59 min left
             (NOW + timedelta(hours=1, minutes=2), []),
             (NOW + timedelta(hours=5, minutes=1), ["due_urgent"]),  # 1 h 59 min left
             (NOW + timedelta(hours=7, minutes=1), ["overdue"]),
             (NOW + timedelta(hours=7, minutes=2), [])]
    for at, kinds in steps:
        before = count(ctx, Reminder)
        assert scan_shop(ctx.sessions, shop_id, at, full=False).reminders == len(kinds), at
        with ctx.sessions() as session:
            new = list(session.execute(select(Reminder.kind).order_by(Reminder.id).offset(before)).scalars())
        assert new == kinds, at
    assert scan_shop(ctx.sessions, shop_id, NOW + timedelta(hours=8), full=True).reminders == 0


def test_scan_derives_ship_by_for_orders_without_one(ctx, shop_id):
    seed(ctx, shop_id, [make_record(oid(1), paid_at=NOW - timedelta(hours=50), ship_by=None)])
    report = scan_shop(ctx.sessions, shop_id, NOW, full=True)
    assert report.derived == 1 and report.overdue == 1  # 48 h default passed two hours ago
    with ctx.sessions() as session:
        order = session.execute(select(Order)).scalar_one()
    assert (order.ship_by_source, order.ship_promise) == ("promise", "48h")


def test_an_imported_order_already_overdue_is_seen_by_the_next_minutes_scan(ctx, shop_id):
    """QA pass 7, #2: the minute's incremental scan looks only at deadlines that passed since its last run, so orders
    imported with a ship-by already past (or inside the 6 h window) went without a violation or a reminder until the
    hourly full scan. Importing them now asks the next scan to look at everything."""
    assert scan_shop(ctx.sessions, shop_id, NOW, full=True).overdue == 0  # the shop's scans are running
    assert not scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=1)).full
    later = NOW + timedelta(minutes=2)
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=later, records=[
            make_record(oid(1), ship_by=NOW - timedelta(days=1)),  # overdue since yesterday
            make_record(oid(2), ship_by=later + timedelta(hours=3))])  # inside the 6 h window, outside the 2 h one
    scan = scan_shop(ctx.sessions, shop_id, later + timedelta(minutes=1))
    assert scan.full and (scan.overdue, scan.reminders) == (1, 2)  # oid(1): overdue; oid(2): due within 6 h
    assert not scan_shop(ctx.sessions, shop_id, later + timedelta(minutes=2)).full  # once


def test_an_ask_made_while_a_full_scan_runs_is_not_swallowed_by_its_end(ctx, shop_id, monkeypatch):
    """An import commits an overdue order while an hourly full scan is under way, after the scan has read past it.
    The scan's end used to record 'full run done' over the import's ask, and the order waited an hour."""
    from xiaodian.shipping import jobs

    assert scan_shop(ctx.sessions, shop_id, NOW, full=True).overdue == 0
    later = NOW + timedelta(minutes=2)
    original = jobs._late_shipped

    def import_meanwhile(*args, **kwargs):  # the full scan has already looked for overdue orders
        with transaction(ctx.sessions) as session:
            upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=later, records=[
                make_record(oid(1), ship_by=NOW - timedelta(days=1))])
        return original(*args, **kwargs)

    monkeypatch.setattr(jobs, "_late_shipped", import_meanwhile)
    running = scan_shop(ctx.sessions, shop_id, later, full=True)  # the hourly full scan
    assert running.full and running.overdue == 0
    monkeypatch.setattr(jobs, "_late_shipped", original)
    scan = scan_shop(ctx.sessions, shop_id, later + timedelta(minutes=1))
    assert scan.full and scan.overdue == 1
    assert not scan_shop(ctx.sessions, shop_id, later + timedelta(minutes=2)).full  # the ask is served once


def test_a_failed_scan_keeps_its_watermark_and_the_ask_for_a_full_one(ctx, shop_id, monkeypatch):
    from xiaodian.shipping import jobs

    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    seed(ctx, shop_id, [make_record(oid(1), ship_by=NOW - timedelta(days=1))])  # asks for a full scan

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(jobs, "_overdue", broken)
    with pytest.raises(RuntimeError):
        scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=1))
    monkeypatch.undo()
    scan = scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=2))
    assert scan.full and scan.overdue == 1


def test_a_new_paid_order_keeps_the_scans_incremental(ctx, shop_id):
    """Every new paid order has a ship-by a day or two ahead: the incremental scan sees it enter the window, so a
    push stream of new orders must not turn every minute's scan into a full one."""
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    seed(ctx, shop_id, [make_record(oid(1), ship_by=NOW + timedelta(hours=48))])
    assert not scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=1)).full


def test_a_ship_by_worked_out_in_the_past_is_recorded_by_the_same_scan(ctx, shop_id):
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    seed(ctx, shop_id, [make_record(oid(1), paid_at=NOW - timedelta(hours=50), ship_by=None)])
    report = scan_shop(ctx.sessions, shop_id, NOW + timedelta(minutes=1))
    assert report.derived == 1 and report.full and report.overdue == 1  # 48 h from payment passed 2 h ago
