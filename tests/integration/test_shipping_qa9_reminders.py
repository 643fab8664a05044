"""QA pass 9, #9: the warehouse works orders, not reminders. An order that earned its 6 h, 2 h and overdue reminders
is one line at its most pressing one; the count is of orders; acknowledging it closes the earlier ones too, in one
audited action; an escalation after the acknowledgement is open again."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from xiaodian.accounts.models import AuditEntry
from xiaodian.accounts.service import Principal
from xiaodian.db import transaction
from xiaodian.errors import DomainError
from xiaodian.orders.intake import upsert_orders
from xiaodian.shipping import reminders
from xiaodian.shipping.jobs import scan_shop

from ..conftest import NOW
from ..factories import make_record

CLERK = Principal(None, "cangku", "warehouse", "web")
H = timedelta(hours=1)
LATE, SOON = "6938459704022699001", "6938459704022699002"


def seed_and_scan(ctx, shop_id, *times):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW, records=[
            make_record(LATE, ship_by=NOW + 5 * H), make_record(SOON, ship_by=NOW + 9 * H)])
    for at in times:
        scan_shop(ctx.sessions, shop_id, at, full=True)


def listed(ctx, shop_id):
    with ctx.sessions() as session:
        total, rows = reminders.open_reminders(session, shop_id)
        report = reminders.reminders_report(session, shop_id)
    return total, rows, report


def ack(ctx, shop_id, reminder_id, now):
    with transaction(ctx.sessions) as session:
        return reminders.acknowledge(session, shop_id=shop_id, reminder_id=reminder_id, principal=CLERK, now=now)


def test_an_order_with_three_open_reminders_is_one_line_at_the_most_pressing(ctx, shop_id):
    seed_and_scan(ctx, shop_id, NOW, NOW + 4 * H, NOW + 6 * H)  # LATE: 6 h, 2 h, overdue; SOON: 6 h (at +6 h)
    total, rows, report = listed(ctx, shop_id)
    assert total == 2 == report["open"]  # orders, not the 4 reminder rows
    assert [(r.order_id, r.kind, r.superseded) for r in rows] == [(LATE, "overdue", 2), (SOON, "due_soon", 0)]
    assert [(r["order_id"], r["superseded"]) for r in report["reminders"]] == [(LATE, 2), (SOON, 0)]
    assert report["superseded"] == 2


def test_acknowledging_the_order_closes_its_earlier_reminders_in_one_audited_action(ctx, shop_id):
    seed_and_scan(ctx, shop_id, NOW, NOW + 4 * H, NOW + 6 * H)
    _total, rows, _report = listed(ctx, shop_id)
    late = rows[0]
    out = ack(ctx, shop_id, late.id, NOW + 6 * H)
    assert (out["order_id"], out["kind"]) == (LATE, "overdue") and len(out["also_acknowledged"]) == 2
    total, rows, _report = listed(ctx, shop_id)
    assert total == 1 and [r.order_id for r in rows] == [SOON]
    with ctx.sessions() as session:
        [entry] = session.execute(select(AuditEntry).where(AuditEntry.action == "shipping.reminder_ack")).scalars()
        assert entry.target_id == LATE and json.loads(entry.detail)["reminders"] == 3
        recent = reminders.recently_acknowledged(session, shop_id, NOW + 7 * H)
    assert [(r.order_id, r.kind, r.superseded) for r in recent] == [(LATE, "overdue", 2)]  # one line per ack
    for earlier in out["also_acknowledged"]:  # they were closed, by the same person
        with pytest.raises(DomainError) as info:
            ack(ctx, shop_id, earlier, NOW + 7 * H)
        assert info.value.code == "already_acknowledged" and info.value.details["by"] == "cangku"


def test_an_escalation_after_the_acknowledgement_is_open_again(ctx, shop_id):
    seed_and_scan(ctx, shop_id, NOW)
    _total, rows, _report = listed(ctx, shop_id)
    assert [(r.order_id, r.kind) for r in rows] == [(LATE, "due_soon")]
    ack(ctx, shop_id, rows[0].id, NOW + H)
    scan_shop(ctx.sessions, shop_id, NOW + 4 * H, full=True)  # now due within 2 h
    total, rows, _report = listed(ctx, shop_id)
    assert total == 2 and [(r.order_id, r.kind, r.superseded) for r in rows] == [
        (LATE, "due_urgent", 0), (SOON, "due_soon", 0)]


def test_acknowledging_a_less_pressing_reminder_leaves_the_more_pressing_one_open(ctx, shop_id):
    """An old id (from a list fetched before the order went overdue) closes only itself and what came before it."""
    seed_and_scan(ctx, shop_id, NOW, NOW + 4 * H, NOW + 6 * H)
    with ctx.sessions() as session:
        from xiaodian.shipping.models import Reminder
        ids = dict(session.execute(select(Reminder.kind, Reminder.id).join(
            reminders.Order, reminders.Order.id == Reminder.order_pk).where(reminders.Order.order_id == LATE)).all())
    out = ack(ctx, shop_id, ids["due_urgent"], NOW + 6 * H)
    assert out["also_acknowledged"] == [ids["due_soon"]]
    _total, rows, _report = listed(ctx, shop_id)
    assert [(r.order_id, r.kind, r.superseded) for r in rows][0] == (LATE, "overdue", 0)
