"""The ship-by second itself: shipping exactly at ship_by is on time (domain.md §2), so at that second an unshipped
order is still due (24h需发货), not overdue (超时未发货), in every place that decides it: the views, their counts
(home cards, tabs), the order's own JSON, the deadline scan's violations and reminders, the on-time chart. QA #8
found it listed as overdue while its JSON said not overdue. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from xiaodian.db import transaction
from xiaodian.orders.intake import upsert_orders
from xiaodian.orders.models import Order
from xiaodian.shipping.jobs import scan_shop
from xiaodian.shipping.models import Reminder, Violation
from xiaodian.shipping.queries import daily_on_time, view_counts

from ..conftest import NOW
from ..factories import make_record

AT_DEADLINE = "6938459704022657301"  # ship_by == now, to the second
PAST = "6938459704022657302"  # ship_by one second ago


def seed(ctx, shop_id) -> None:
    with transaction(ctx.sessions) as session:
        upsert_orders(session, shop_id=shop_id, cipher=ctx.cipher, now=NOW - timedelta(days=1), records=[
            make_record(AT_DEADLINE, ship_by=NOW), make_record(PAST, ship_by=NOW - timedelta(seconds=1))])


def listed(client, view: str, q: str | None = None) -> dict[str, bool]:
    params = {"view": view, **({"q": q} if q else {})}
    body = client.get("/api/v1/orders", params=params).json()
    return {o["order_id"]: o["overdue"] for o in body["orders"]}


def test_at_the_ship_by_second_an_order_is_due_not_overdue_in_views_counts_and_json(ctx, shop_id, owner_client):
    seed(ctx, shop_id)
    assert listed(owner_client, "overdue") == {PAST: True}
    assert listed(owner_client, "due24h") == {AT_DEADLINE: False}
    assert listed(owner_client, "overdue", AT_DEADLINE) == {}  # a search within the view: the same rule
    assert listed(owner_client, "due24h", AT_DEADLINE) == {AT_DEADLINE: False}
    with ctx.sessions() as session:
        counts = view_counts(session, shop_id, NOW)
        assert (counts["overdue"], counts["due24h"]) == (1, 1)
        assert daily_on_time(session, shop_id, NOW)[-1].due == 1  # only the passed deadline counts yet


def test_the_deadline_scan_records_nothing_overdue_at_the_ship_by_second(ctx, shop_id):
    seed(ctx, shop_id)
    report = scan_shop(ctx.sessions, shop_id, NOW, full=True)
    assert report.overdue == 1
    with ctx.sessions() as session:
        pks = dict(session.execute(select(Order.order_id, Order.id)).all())
        violations = set(session.execute(select(Violation.order_pk)).scalars())
        kinds = {(pk, kind) for pk, kind in session.execute(select(Reminder.order_pk, Reminder.kind))}
    assert violations == {pks[PAST]}
    assert kinds == {(pks[PAST], "overdue"), (pks[AT_DEADLINE], "due_soon"), (pks[AT_DEADLINE], "due_urgent")}
    later = scan_shop(ctx.sessions, shop_id, NOW + timedelta(seconds=1))  # incremental: the second that follows
    assert later.overdue == 1
    with ctx.sessions() as session:
        assert len(session.execute(select(Violation.order_pk)).all()) == 2
        assert session.execute(select(Reminder.id).where(Reminder.order_pk == pks[AT_DEADLINE],
                                                         Reminder.kind == "overdue")).first() is not None
