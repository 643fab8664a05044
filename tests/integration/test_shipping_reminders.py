"""The deadline reminders as a list the warehouse works from, on SQLite and PostgreSQL: what the scan records is
listed most pressing first, acknowledged one by one (once, by whom, audited), and closes by itself when the order
ships or the platform moves its deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import DomainError
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order
from xiaodian.shipping import reminders, service
from xiaodian.shipping.jobs import scan_shop
from xiaodian.shipping.service import ShipRequest

from ..conftest import NOW
from ..factories import make_record

CLERK = Principal(None, "cangku", "warehouse", "web")
CS = Principal(None, "kefu", "cs", "web")
H = timedelta(hours=1)


def oid(i: int) -> str:
    return f"69384597040226{i:05d}"


def seed(ctx, shop_id, *records):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, records=list(records), cipher=ctx.cipher, now=NOW)


def open_list(ctx, shop_id):
    with ctx.sessions() as session:
        total, rows = reminders.open_reminders(session, shop_id)
    assert total == len(rows)
    return [(r.order_id, r.kind) for r in rows], rows


def ack(ctx, shop_id, reminder_id, principal=CLERK, now=NOW + 5 * timedelta(minutes=1)):
    with transaction(ctx.sessions) as session:
        return reminders.acknowledge(session, shop_id=shop_id, reminder_id=reminder_id, principal=principal, now=now)


def test_open_reminders_come_most_pressing_first(ctx, shop_id):
    seed(ctx, shop_id, make_record(oid(1), ship_by=NOW + 5 * H), make_record(oid(2), ship_by=NOW - 2 * H),
         make_record(oid(3), ship_by=NOW + 1 * H), make_record(oid(4), ship_by=NOW + 30 * H))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    listed, rows = open_list(ctx, shop_id)
    # one line per order, at its most pressing reminder (QA pass 9, #9)
    assert listed == [(oid(2), "overdue"), (oid(3), "due_urgent"), (oid(1), "due_soon")]
    assert [r.superseded for r in rows] == [0, 1, 0]


def test_each_reminder_is_acknowledged_once_by_someone_and_audited(ctx, shop_id):
    seed(ctx, shop_id, make_record(oid(1), ship_by=NOW + 1 * H))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    _listed, rows = open_list(ctx, shop_id)
    urgent = next(r for r in rows if r.kind == "due_urgent")
    out = ack(ctx, shop_id, urgent.id)
    assert (out["order_id"], out["kind"], out["acknowledged_by"]) == (oid(1), "due_urgent", "cangku")
    listed, _rows = open_list(ctx, shop_id)
    assert listed == []  # the earlier 6 h one went with it (QA pass 9, #9)
    with pytest.raises(DomainError) as info:
        ack(ctx, shop_id, urgent.id, principal=Principal(None, "laoban", "owner", "web"))
    assert info.value.code == "already_acknowledged" and "cangku" in info.value.message
    with ctx.sessions() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "shipping.reminder_ack")).scalar_one()
        assert (entry.login, entry.target_id) == ("cangku", oid(1))
        recent = reminders.recently_acknowledged(session, shop_id, NOW + H)
    assert [(r.order_id, r.acknowledged_by) for r in recent] == [(oid(1), "cangku")]


def test_customer_service_sees_the_list_but_cannot_acknowledge(ctx, shop_id):
    seed(ctx, shop_id, make_record(oid(1), ship_by=NOW - H))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    _listed, [row] = open_list(ctx, shop_id)
    with pytest.raises(DomainError) as info:
        ack(ctx, shop_id, row.id, principal=CS)
    assert info.value.code == "forbidden"
    for bad in (999999, "abc"):
        with pytest.raises(DomainError) as info:
            ack(ctx, shop_id, bad)
        assert info.value.code == "reminder_not_found"


def test_a_reminder_closes_when_its_order_ships_or_its_deadline_moves(ctx, shop_id):
    seed(ctx, shop_id, make_record(oid(1), ship_by=NOW + 3 * H), make_record(oid(2), ship_by=NOW + 3 * H))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    assert len(open_list(ctx, shop_id)[0]) == 2
    with transaction(ctx.sessions) as session:
        service.ship_order(session, shop_id=shop_id, principal=CLERK, now=NOW,
                           req=ShipRequest(oid(1), "shunfeng", "SF1234567890123"))
        order = session.execute(select(Order).where(Order.order_id == oid(2))).scalar_one()
        order.ship_by = NOW + 30 * H  # the platform moved the deadline (push tag 126)
    assert open_list(ctx, shop_id)[0] == []


def test_the_reminder_hours_and_correction_limits_are_owner_settings(ctx, shop_id):
    from xiaodian.shipping import preferences
    from xiaodian.shipping.queries import get_settings

    owner = Principal(None, "laoban", "owner", "web")
    with transaction(ctx.sessions) as session:
        with pytest.raises(DomainError) as info:
            preferences.update_settings(session, shop_id=shop_id, principal=owner, now=NOW,
                                        changes={"urgent_hours": 6})  # not before the first (6 h) reminder
        assert info.value.details["field"] == "urgent_hours"
    with transaction(ctx.sessions) as session:
        with pytest.raises(DomainError) as info:
            preferences.update_settings(session, shop_id=shop_id, principal=CLERK, now=NOW,
                                        changes={"urgent_hours": 3})
        assert info.value.code == "forbidden"
    with transaction(ctx.sessions) as session:
        preferences.update_settings(session, shop_id=shop_id, principal=owner, now=NOW, changes={
            "due_soon_hours": 12, "urgent_hours": 4, "correction_window_hours": 48, "max_corrections": 1})
    with ctx.sessions() as session:
        saved = get_settings(session, shop_id)
        assert (saved.due_soon_hours, saved.urgent_hours, saved.correction_window_hours, saved.max_corrections) == (
            12, 4, 48, 1)
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "shipping.settings")).scalar_one()
    seed(ctx, shop_id, make_record(oid(1), ship_by=NOW + 3 * H), make_record(oid(2), ship_by=NOW + 10 * H))
    scan_shop(ctx.sessions, shop_id, NOW, full=True)
    listed, _rows = open_list(ctx, shop_id)
    assert listed == [(oid(1), "due_urgent"), (oid(2), "due_soon")]
