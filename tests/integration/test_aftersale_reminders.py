"""The after-sale deadline scan: one reminder per case and deadline within 12 hours, one overdue flag once it
passes, each saying what the platform does on expiry; running it again records nothing new."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from xiaodian.aftersales import service
from xiaodian.aftersales.domain import CaseType
from xiaodian.aftersales.jobs import scan_all_shops
from xiaodian.aftersales.models import AfterSaleEvent, AfterSaleReminder
from xiaodian.db import transaction
from xiaodian.orders.domain import OrderStatus
from xiaodian.orders.intake import upsert_orders

from ..conftest import NOW
from ..factories import make_record


def test_reminders_are_raised_once_and_overdue_cases_are_flagged_once(ctx, shop_id):
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW,
                      records=[make_record(order_id=f"693845970402265{i:04d}", status=OrderStatus.SHIPPED)
                               for i in range(3)])
        for i, hours_ago in enumerate((40, 47, 10)):  # due in 8 h, due in 1 h, due in 38 h
            service.open_case(session, shop_id=shop_id, aftersale_id=f"c{i}", order_id=f"693845970402265{i:04d}",
                              sku_order_id=None, case_type=CaseType.REFUND_SHIPPED,
                              applied_at=NOW - timedelta(hours=hours_ago), now=NOW, source="sync", principal=None)
    first = scan_all_shops(ctx.sessions, NOW)[0]
    assert (first.due_soon, first.overdue) == (2, 0)
    assert scan_all_shops(ctx.sessions, NOW)[0].due_soon == 0  # idempotent
    later = scan_all_shops(ctx.sessions, NOW + timedelta(hours=2))[0]
    assert (later.due_soon, later.overdue) == (0, 1)
    assert scan_all_shops(ctx.sessions, NOW + timedelta(hours=3))[0].overdue == 0
    with ctx.sessions() as session:
        kinds = sorted(session.execute(select(AfterSaleReminder.kind)).scalars())
        flag = session.execute(select(AfterSaleEvent.detail).where(AfterSaleEvent.action == "reminder_overdue")).scalar()
    assert kinds == ["due_soon", "due_soon", "overdue"]
    assert json.loads(flag)["platform_on_expiry"] == "auto_agree"
